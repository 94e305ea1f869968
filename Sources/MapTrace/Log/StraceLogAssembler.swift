// Turns the lines of one file into events: joins `<unfinished ...>` with `<... resumed>` per pid,
// puts pids on the lines that strace printed without one, and keeps time stamps comparable.

/// The events of one file, with what merging several files needs.
struct StraceFileEvents {
    var events: [StraceEvent] = []
    /// Per event: its time stamp, or the last one before it in the file.
    var sortTimes: [Double?] = []
    var issues: [StraceParseIssue] = []
    var timeFormat: String?
    var hasPids = false
    /// Lines that parsed as an event or as strace's own notices.
    var recognizedLines = 0
    var sawTooLongLine = false
    /// Events already handed on by `StraceLogAssembler.drain` (a streamed read keeps none).
    var drained = 0
}

/// Reads one file's lines in order. Feed it with `consume`, then call `finish`.
struct StraceLogAssembler {
    /// Issues kept per file; beyond this a garbage file would fill memory with messages.
    static let issueLimit = 1000
    /// Give up on a file when this many lines in a row at its start are not strace.
    static let hopelessPrefix = 10_000

    let file: Int
    private(set) var output = StraceFileEvents()
    private var pending: [Int32?: PendingCall] = [:]
    private var carry: (bytes: [UInt8], line: Int)?
    private var nonEmptyLines = 0
    private var suppressedIssues = 0
    private var firstSuppressedLine = 0
    /// The number of the last line consumed.
    private var lastLine = 0
    // time
    private var relativeSum = 0.0
    private var lastClock: Double?
    private var dayOffset = 0.0
    private var lastTime: Double?
    // pid attribution for stderr logs, where strace omits `[pid N]` while one process is traced
    private var sawPidLeader = false
    private var livePids: Set<Int32> = []
    private var childPids: Set<Int32> = []
    private var leaderPidsInOrder: [Int32] = []
    private var unattributed: [Int] = []
    /// Pids whose exec'ing thread took them over (`+++ superseded by execve in pid N +++`).
    private var superseded: Set<Int32?> = []

    private struct PendingCall {
        var event: Int
        var name: String
        var argumentText: [UInt8]
    }

    init(file: Int) { self.file = file }

    /// True when the file's start holds no strace line at all: reading on is pointless.
    var isHopeless: Bool { output.recognizedLines == 0 && nonEmptyLines >= Self.hopelessPrefix }

    /// Takes the next line (without its newline).
    mutating func consume(_ raw: [UInt8], line: Int) {
        consume(raw, line: line, joined: false)
    }

    /// `joined`: the line is already two lines glued together; it is not carried again, so a file of
    /// notices cannot grow one line without end.
    private mutating func consume(_ raw: [UInt8], line: Int, joined: Bool) {
        lastLine = line
        var bytes = raw
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        if let held = carry {
            carry = nil
            consume(held.bytes + bytes, line: held.line, joined: true)
            return
        }
        guard bytes.contains(where: { !StraceByte.isBlank($0) }) else { return }
        nonEmptyLines += 1
        // stderr logs: "strace: Process N attached" cuts the parent's line; the rest is on the next line
        if let cut = StraceLogLine.noticeCut(bytes) {
            if let child = StraceLogLine.attachedPid(StraceLogScanner(bytes), from: cut) { childPids.insert(child) }
            output.recognizedLines += 1
            if joined {
                bytes.removeSubrange(cut...)
            } else {
                carry = (Array(bytes[..<cut]), line)
                return
            }
        }
        let leader = StraceLogLine.leader(bytes)
        let body = StraceLogLine.body(bytes, from: leader.bodyStart)
        if case .malformed(let reason) = body {
            // `???()`: strace's own line for a call it could not name (a thread that an execve
            // in another thread ended in the middle of a call)
            if bytes[leader.bodyStart...].starts(with: Array("???(".utf8)) {
                output.recognizedLines += 1
                return
            }
            issue(line: line, "\(reason): \(Self.excerpt(bytes))")
            return
        }
        output.recognizedLines += 1
        if case .notice(let attached) = body {
            if let attached { childPids.insert(attached) }
            return
        }
        let time = self.time(leader.timestamp)
        let pid = attribute(leader.pid)
        handle(body, pid: pid, time: time, line: line)
    }

    /// Records a line that was longer than the reader's limit and skipped.
    mutating func consumeTooLong(line: Int, length: Int, limit: Int) {
        if let held = carry { carry = nil; issue(line: held.line, "line cut short by the next one") }
        nonEmptyLines += 1
        output.sawTooLongLine = true
        issue(line: line, "line of \(length) bytes is longer than the \(limit)-byte limit; skipped")
    }

    /// Ends the file. `filePid` (from an `-ff` file's `.PID` suffix) goes to events without a pid.
    mutating func finish(filePid: Int32? = nil, lastLineHadNewline: Bool = true) -> StraceFileEvents {
        if let held = carry {
            carry = nil
            consume(held.bytes, line: held.line, joined: true)
        }
        if !lastLineHadNewline, let last = output.issues.last, last.line == lastLine {
            output.issues[output.issues.count - 1].message += " (the file ends without a newline)"
        }
        // the first process of a stderr log: the first `[pid N]` that is nobody's child
        if let initial = leaderPidsInOrder.first(where: { !childPids.contains($0) }) {
            for index in unattributed { setPid(initial, at: index - output.drained) }
        }
        if let filePid, !sawPidLeader {
            for index in output.events.indices where output.events[index].pid == nil { setPid(filePid, at: index) }
            output.hasPids = true
        }
        if suppressedIssues > 0 {
            output.issues.append(StraceParseIssue(file: file, line: firstSuppressedLine,
                                                  message: "\(suppressedIssues) more lines not understood from here on"))
        }
        return output
    }

    /// Hands on, in order, the events no later line can change: those before the first call
    /// still waiting for its `resumed` half and before the first event whose pid may yet be
    /// worked out. A log that names no pid for its first 10,000 events is taken to name none.
    mutating func drain(_ handler: (StraceEvent) -> Void) {
        if !sawPidLeader && unattributed.count > 10_000 { unattributed.removeAll() }
        var limit = output.drained + output.events.count
        if let first = pending.values.map(\.event).min() { limit = min(limit, first) }
        if let first = unattributed.first { limit = min(limit, first) }
        let count = limit - output.drained
        guard count > 0 else { return }
        for event in output.events.prefix(count) { handler(event) }
        output.events.removeFirst(count)
        output.sortTimes.removeFirst(count)
        output.drained += count
    }

    // MARK: - events

    private mutating func handle(_ body: StraceLineBody, pid: Int32?, time: Double?, line: Int) {
        switch body {
        case .call(var call):
            call.pid = pid; call.time = time; call.line = line; call.file = file
            append(.call(call), time: time)
            noteChild(of: call)
        case .unfinished(let name, let text, let resumesIn):
            var call = StraceCall(pid: pid, time: time, name: name, line: line, file: file)
            let scanner = StraceLogScanner(text)
            call.arguments = StraceLogCallText.arguments(scanner, scanner.scanArguments(from: 0))
            append(.call(call), time: time)
            // fs/exec.c de_thread: a thread's execve finishes under the leader's pid, which strace
            // announces on the first half as `<pid changed to N ...>`
            pending[resumesIn ?? pid] = PendingCall(event: output.drained + output.events.count - 1, name: name, argumentText: text)
        case .resumed(let name, let tail):
            resume(name: name, tail: tail, pid: pid, time: time, line: line)
        case .signal(let name, let fields):
            append(.signal(pid: pid, name: name, fields: fields, time: time, line: line), time: time)
        case .exit(let status, let signal):
            append(.exit(pid: pid, status: status, signal: signal, line: line), time: time)
            if let pid { livePids.remove(pid) }
        case .superseded(let former):
            // the exec'ing thread took over the leader's pid; older strace says so only here
            if let call = pending.removeValue(forKey: former) { pending[pid] = call }
            livePids.remove(former)
            superseded.insert(pid)
        case .notice, .malformed:
            break
        }
    }

    private mutating func resume(name: String, tail: [UInt8], pid: Int32?, time: Double?, line: Int) {
        let key: Int32?? = pending[pid]?.name == name ? .some(pid)
            : (pid != nil && pending[nil]?.name == name) ? .some(nil)
            : pid == nil ? uniquePending(named: name) : nil
        guard let key, let start = pending.removeValue(forKey: key) else {
            // -ff: a thread's execve starts in the thread's file, ended there by strace's note
            // `<pid changed to N ...>`, and resumes here in the leader's: no half is missing
            let otherFile = name.hasPrefix("execve") && superseded.remove(pid) != nil
            if !otherFile { issue(line: line, "\(name) resumed without its unfinished start; its arguments are incomplete") }
            if case .call(var call) = StraceLogCallText.parse(name: name, bytes: tail, argumentsStart: 0) {
                call.pid = pid; call.time = time; call.line = line; call.file = file
                append(.call(call), time: time)
            }
            return
        }
        guard case .call(var first) = output.events[start.event - output.drained] else { return }
        let joined = start.argumentText + tail
        switch StraceLogCallText.parse(name: name, bytes: joined, argumentsStart: 0) {
        case .call(let whole):
            first.arguments = whole.arguments
            first.result = whole.result
            first.resultFdPath = whole.resultFdPath
            first.errnoName = whole.errnoName
            first.injected = whole.injected
            first.duration = whole.duration
            first.mapCount = whole.mapCount
            first.mapCountLimit = whole.mapCountLimit
            output.events[start.event - output.drained] = .call(first)
            noteChild(of: first)
        case .unfinished(_, let text, let resumesIn):
            // resumed and interrupted again: still waiting for its end
            pending[resumesIn ?? key] = PendingCall(event: start.event, name: name, argumentText: text)
        default:
            issue(line: line, "\(name) resumed, but the joined call is not in strace notation: \(Self.excerpt(tail))")
        }
    }

    /// The pending call named `name` when it is the only one: for a resumed line whose pid could not
    /// be worked out.
    private func uniquePending(named name: String) -> Int32?? {
        let matching = pending.filter { $0.value.name == name }
        return matching.count == 1 ? .some(matching.first!.key) : nil
    }

    private mutating func append(_ event: StraceEvent, time: Double?) {
        if time != nil { lastTime = time }
        output.events.append(event)
        output.sortTimes.append(lastTime)
        if event.pid == nil && !sawPidLeader { unattributed.append(output.drained + output.events.count - 1) }
    }

    private mutating func setPid(_ pid: Int32, at index: Int) {
        switch output.events[index] {
        case .call(var call): call.pid = pid; output.events[index] = .call(call)
        case .signal(_, let name, let fields, let time, let line):
            output.events[index] = .signal(pid: pid, name: name, fields: fields, time: time, line: line)
        case .exit(_, let status, let signal, let line):
            output.events[index] = .exit(pid: pid, status: status, signal: signal, line: line)
        }
    }

    /// Children created by clone/fork are not the first process of the log.
    private mutating func noteChild(of call: StraceCall) {
        guard ["clone", "clone3", "fork", "vfork"].contains(call.name), let child = call.resultValue, child > 0,
              child <= Int64(StraceLogLine.pidMaxLimit) else { return }
        childPids.insert(Int32(child))
    }

    /// The pid of a line: its own, or, in a log that names pids, the only process alive.
    private mutating func attribute(_ pid: Int32?) -> Int32? {
        if let pid {
            if !sawPidLeader { sawPidLeader = true }
            output.hasPids = true
            if livePids.insert(pid).inserted && leaderPidsInOrder.count < 64 { leaderPidsInOrder.append(pid) }
            return pid
        }
        guard sawPidLeader, livePids.count == 1 else { return nil }
        return livePids.first
    }

    // MARK: - time

    /// Seconds for a line's stamp: `-r` deltas summed; a `-t`/`-tt` clock that runs backwards by
    /// more than half a day has crossed midnight.
    private mutating func time(_ stamp: StraceTimestamp?) -> Double? {
        guard let stamp else { return nil }
        if output.timeFormat == nil { output.timeFormat = stamp.format }
        switch stamp.format {
        case "r":
            relativeSum += stamp.seconds
            return relativeSum
        case "t", "tt":
            if let lastClock, stamp.seconds + 43_200 < lastClock { dayOffset += 86_400 }
            lastClock = stamp.seconds
            return stamp.seconds + dayOffset
        default:
            return stamp.seconds
        }
    }

    // MARK: - issues

    private mutating func issue(line: Int, _ message: String) {
        guard output.issues.count < Self.issueLimit else {
            if suppressedIssues == 0 { firstSuppressedLine = line }
            suppressedIssues += 1
            return
        }
        output.issues.append(StraceParseIssue(file: file, line: line, message: message))
    }

    /// The start of a line for a message: at most 80 characters, control bytes shown as `?`.
    static func excerpt(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(80).map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }
        let text = String(decoding: head, as: UTF8.self)
        return bytes.count > 80 ? text + "…" : text
    }
}
