// One line of an strace log, taken apart: the leader (pid, time stamp, `-n`/`-i` columns) and
// the body (a call, half of a split call, a signal, an exit, or strace's own chatter).

/// A time stamp at the start of a line, with the option that printed it.
struct StraceTimestamp: Equatable {
    /// Seconds: since midnight for `-t`/`-tt`, since the epoch for `-ttt`, since the previous line for `-r`.
    var seconds: Double
    /// "t", "tt", "ttt" or "r".
    var format: String
}

/// The leader of a line: everything before the call name.
struct StraceLineLeader {
    var pid: Int32?
    var timestamp: StraceTimestamp?
    /// Index of the first byte of the body.
    var bodyStart: Int
}

/// What the body of one line holds.
enum StraceLineBody {
    /// A call printed whole.
    case call(StraceCall)
    /// The first half of a call that another line resumes: its name and argument text so far, and
    /// the pid it resumes under when that differs (`<pid changed to N ...>`, an exec from a thread).
    case unfinished(name: String, argumentText: [UInt8], resumesIn: Int32?)
    /// `<... name resumed>` and what follows it.
    case resumed(name: String, tail: [UInt8])
    case signal(name: String, fields: [String: String])
    case exit(status: Int32?, signal: String?)
    /// `+++ superseded by execve in pid N +++`: thread N's pending execve finishes in this pid.
    case superseded(formerPid: Int32)
    /// strace's own messages and `-k` stack frames; `attachedPid` from "Process N attached".
    case notice(attachedPid: Int32?)
    /// Not strace notation; the reason says what is wrong.
    case malformed(String)
}

/// Parses single lines. Stateless: joining split calls and attributing pids is the assembler's job.
enum StraceLogLine {
    /// The largest pid Linux hands out (PID_MAX_LIMIT on 64-bit, include/linux/threads.h); a bare
    /// number above it at the start of a line is a time stamp, not a pid.
    static let pidMaxLimit: UInt64 = 4_194_304
    /// Epoch seconds before this are a `-r` delta, not a `-ttt` stamp (1973: no log is that old,
    /// no delta that long).
    static let epochThreshold = 1e8

    /// The leader of `bytes`: `[pid N]` or `N  ` (the `-o` file form), a time stamp, `-n`/`-i` columns.
    static func leader(_ bytes: [UInt8]) -> StraceLineLeader {
        var leader = StraceLineLeader(bodyStart: 0)
        var i = 0
        let pidOpen = Array("[pid".utf8)
        let scanner = StraceLogScanner(bytes)
        if scanner.matches(pidOpen, at: 0) {
            var j = pidOpen.count
            while j < bytes.count && bytes[j] == StraceByte.space { j += 1 }
            let digits = j
            while j < bytes.count && StraceByte.isDigit(bytes[j]) { j += 1 }
            if j > digits, let pid = number(bytes, digits..<j), pid <= pidMaxLimit {
                // `--decode-pids=comm` in newer strace: `[pid 123<comm>]`
                if j < bytes.count && bytes[j] == StraceByte.less {
                    while j < bytes.count && bytes[j] != StraceByte.greater { j += 1 }
                    j += 1
                }
                if j < bytes.count && bytes[j] == StraceByte.closeBracket {
                    leader.pid = Int32(pid)
                    i = j + 1
                }
            }
        } else if let first = bytes.first, StraceByte.isDigit(first) {
            var j = 0
            while j < bytes.count && StraceByte.isDigit(bytes[j]) { j += 1 }
            let digits = 0..<j
            // `-Y` (`--decode-pids=comm`) with -o: `123<comm> mmap(…`; a comm is at most 15 bytes
            if j < bytes.count && bytes[j] == StraceByte.less,
               let close = bytes[j...].prefix(18).firstIndex(of: StraceByte.greater) {
                j = close + 1
            }
            if j < bytes.count, StraceByte.isBlank(bytes[j]), let pid = number(bytes, digits), pid <= pidMaxLimit {
                leader.pid = Int32(pid)
                i = j
            }
        }
        i = skipBlanks(bytes, from: i)
        if let (stamp, end) = timestamp(bytes, at: i) {
            leader.timestamp = stamp
            i = skipBlanks(bytes, from: end)
        }
        // `-n` prints `[  9] `, `-i` prints `[00007f28fc05cca3] `
        while i < bytes.count && bytes[i] == StraceByte.openBracket {
            var j = i + 1
            while j < bytes.count && (StraceByte.isBlank(bytes[j]) || bytes[j] == UInt8(ascii: "?") || StraceLogValues.hexDigit(bytes[j]) != nil) { j += 1 }
            guard j < bytes.count, bytes[j] == StraceByte.closeBracket, j > i + 1 else { break }
            i = skipBlanks(bytes, from: j + 1)
        }
        leader.bodyStart = i
        return leader
    }

    /// A time stamp starting at `i` and the index after it: `11:05:44`, `11:05:44.238413`,
    /// `1795691232.627780`, or a `-r` delta `0.000123`. It must be followed by a blank.
    static func timestamp(_ bytes: [UInt8], at i: Int) -> (StraceTimestamp, Int)? {
        var j = i
        while j < bytes.count && StraceByte.isDigit(bytes[j]) { j += 1 }
        guard j > i, j - i <= 12, let whole = number(bytes, i..<j) else { return nil }
        var seconds = Double(whole)
        var format: String
        if j < bytes.count && bytes[j] == StraceByte.colon {
            // HH:MM:SS
            guard j + 6 <= bytes.count, bytes[j + 3] == StraceByte.colon,
                  let minutes = number(bytes, (j + 1)..<(j + 3)), let secs = number(bytes, (j + 4)..<(j + 6)),
                  whole < 24, minutes < 60, secs < 61 else { return nil }
            seconds = Double(whole * 3600 + minutes * 60 + secs)
            format = "t"
            j += 6
            if j < bytes.count && bytes[j] == StraceByte.dot {
                guard let (fraction, end) = fraction(bytes, at: j + 1) else { return nil }
                seconds += fraction
                format = "tt"
                j = end
            }
        } else if j < bytes.count && bytes[j] == StraceByte.dot {
            guard let (fraction, end) = fraction(bytes, at: j + 1) else { return nil }
            seconds += fraction
            format = seconds >= epochThreshold ? "ttt" : "r"
            j = end
        } else {
            // `--timestamps=unix,s`: whole epoch seconds only
            guard seconds >= epochThreshold else { return nil }
            format = "ttt"
        }
        guard j < bytes.count, StraceByte.isBlank(bytes[j]) else { return nil }
        return (StraceTimestamp(seconds: seconds, format: format), j)
    }

    static func fraction(_ bytes: [UInt8], at i: Int) -> (Double, Int)? {
        var j = i
        var value = 0.0
        var scale = 1.0
        while j < bytes.count && StraceByte.isDigit(bytes[j]) && j - i < 12 {
            value = value * 10 + Double(bytes[j] - 0x30)
            scale *= 10
            j += 1
        }
        guard j > i else { return nil }
        return (value / scale, j)
    }

    /// The body at `start`.
    static func body(_ bytes: [UInt8], from start: Int) -> StraceLineBody {
        let scanner = StraceLogScanner(bytes)
        let end = bytes.count
        guard start < end else { return .malformed("nothing after the time stamp") }
        if scanner.matches(Literal.signalFence, at: start) { return signal(scanner, from: start) }
        if scanner.matches(Literal.exitFence, at: start) { return exit(scanner, from: start) }
        if scanner.matches(Literal.resumedOpen, at: start) { return resumed(scanner, from: start) }
        if scanner.matches(Literal.straceNotice, at: start) { return .notice(attachedPid: attachedPid(scanner, from: start)) }
        if scanner.matches(Literal.personality, at: start) || scanner.matches(Literal.stackFrame, at: start) {
            return .notice(attachedPid: nil)
        }
        var j = start
        while j < end && StraceByte.isIdentifier(bytes[j]) { j += 1 }
        guard j > start, j < end, bytes[j] == StraceByte.openParen else {
            return .malformed("not in strace notation")
        }
        let name = scanner.text(start..<j)
        return StraceLogCallText.parse(name: name, bytes: bytes, argumentsStart: j + 1)
    }

    /// `--- SIGBUS {si_signo=SIGBUS, …} ---`, `--- stopped by SIGSTOP ---`.
    static func signal(_ scanner: StraceLogScanner, from start: Int) -> StraceLineBody {
        let bytes = scanner.bytes
        var end = bytes.count
        guard end - start >= 8, scanner.matches(Literal.signalClose, at: end - Literal.signalClose.count) else {
            return .malformed("signal line without its closing ---")
        }
        end -= Literal.signalClose.count
        var i = start + Literal.signalFence.count
        if scanner.matches(Literal.stoppedBy, at: i) { i += Literal.stoppedBy.count }
        let nameStart = i
        while i < end && StraceByte.isIdentifier(bytes[i]) { i += 1 }
        guard i > nameStart else { return .malformed("signal line without a signal name") }
        let name = scanner.text(nameStart..<i)
        var fields: [String: String] = [:]
        i = skipBlanks(bytes, from: i)
        if i < end && bytes[i] == StraceByte.openBrace {
            let close = scanner.groupEnd(from: i, end: end)
            let scan = scanner.scanArguments(from: i + 1, to: max(i + 1, close - 1))
            for range in scan.arguments {
                let field = scanner.trimmed(range)
                guard let eq = bytes[field].firstIndex(of: StraceByte.equals) else { continue }
                fields[scanner.text(field.lowerBound..<eq)] = scanner.text((eq + 1)..<field.upperBound)
            }
        }
        return .signal(name: name, fields: fields)
    }

    /// `+++ exited with 1 +++`, `+++ killed by SIGABRT (core dumped) +++`, `+++ superseded by execve in pid N +++`.
    static func exit(_ scanner: StraceLogScanner, from start: Int) -> StraceLineBody {
        let bytes = scanner.bytes
        let text = scanner.text(start..<bytes.count)
        guard text.hasSuffix(" +++") else { return .malformed("exit line without its closing +++") }
        let words = text.dropFirst(4).dropLast(4).split(separator: " ")
        if words.count == 3, words[0] == "exited", words[1] == "with", let status = Int32(words[2]) {
            return .exit(status: status, signal: nil)
        }
        if words.count >= 3, words[0] == "killed", words[1] == "by", words[2].hasPrefix("SIG") {
            return .exit(status: nil, signal: String(words[2]))
        }
        if words.count == 6, words[0] == "superseded", let pid = Int32(words[5]) {
            return .superseded(formerPid: pid)
        }
        return .malformed("exit line not understood")
    }

    /// `<... mmap resumed>) = 0x7f…`
    static func resumed(_ scanner: StraceLogScanner, from start: Int) -> StraceLineBody {
        let bytes = scanner.bytes
        var i = start + Literal.resumedOpen.count
        let nameStart = i
        while i < bytes.count && StraceByte.isIdentifier(bytes[i]) { i += 1 }
        guard i > nameStart, scanner.matches(Literal.resumedClose, at: i) else {
            return .malformed("resumed call without its name")
        }
        let name = scanner.text(nameStart..<i)
        return .resumed(name: name, tail: Array(bytes[(i + Literal.resumedClose.count)...]))
    }

    /// The pid in "strace: Process 5298 attached".
    static func attachedPid(_ scanner: StraceLogScanner, from start: Int) -> Int32? {
        let bytes = scanner.bytes
        var i = start + Literal.straceNotice.count
        guard scanner.matches(Literal.process, at: i) else { return nil }
        i += Literal.process.count
        let digits = i
        while i < bytes.count && StraceByte.isDigit(bytes[i]) { i += 1 }
        guard i > digits, let pid = number(bytes, digits..<i), pid <= pidMaxLimit,
              scanner.matches(Literal.attached, at: i) else { return nil }
        return Int32(pid)
    }

    /// Where a "strace: Process N attached" notice that cut this line in two begins (stderr logs:
    /// strace prints the notice in the middle of the parent's clone line); nil when none does.
    static func noticeCut(_ bytes: [UInt8]) -> Int? {
        let scanner = StraceLogScanner(bytes)
        let needle = Literal.straceNotice + Literal.process
        guard bytes.count > needle.count else { return nil }
        var i = bytes.count - needle.count
        while i > 0 {
            if bytes[i] == needle[0], scanner.matches(needle, at: i), attachedPid(scanner, from: i) != nil { return i }
            i -= 1
        }
        return nil
    }

    static func skipBlanks(_ bytes: [UInt8], from i: Int) -> Int {
        var j = i
        while j < bytes.count && StraceByte.isBlank(bytes[j]) { j += 1 }
        return j
    }

    /// A decimal number of at most 18 digits.
    static func number(_ bytes: [UInt8], _ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty, range.count <= 18, range.upperBound <= bytes.count else { return nil }
        var value: UInt64 = 0
        for k in range {
            guard StraceByte.isDigit(bytes[k]) else { return nil }
            value = value * 10 + UInt64(bytes[k] - 0x30)
        }
        return value
    }

    enum Literal {
        static let signalFence = Array("--- ".utf8)
        static let signalClose = Array(" ---".utf8)
        static let stoppedBy = Array("stopped by ".utf8)
        static let exitFence = Array("+++ ".utf8)
        static let resumedOpen = Array("<... ".utf8)
        static let resumedClose = Array(" resumed>".utf8)
        static let straceNotice = Array("strace: ".utf8)
        static let process = Array("Process ".utf8)
        static let attached = Array(" attached".utf8)
        static let personality = Array("[ Process PID=".utf8)
        static let stackFrame = Array("> ".utf8)
    }
}
