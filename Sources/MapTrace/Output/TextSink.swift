import Foundation
import Glibc

/// Prints the trace in strace's notation: by default every call that touches hugetlb memory,
/// every failed memory call, faults and process exits; `all` prints every traced call, and an
/// explicit `-e trace=SET` every call of the set. Diagnoses and the summary also go to the
/// console (stderr) when the trace goes to a file.
public final class TextSink: TraceSink {
    public struct Options: Sendable {
        public var all = false
        public var quiet = false
        public var liveStatus = true
        /// -c: the calls are counted, not printed (diagnoses still are).
        public var callsHidden = false
        public var selection = TraceSelection()
        public var format = TraceLineFormat()
        /// -ff -o FILE: each task's lines go to FILE.TID.
        public var perTaskBase: String?
        public init() {}
    }

    let out: TextOutput
    let console: TextOutput?
    let options: Options
    public private(set) var drifts = 0
    public private(set) var laterFailures: [String: Int] = [:]
    private var previousTime: Double?
    private var taskOutputs: [Int32: TextOutput] = [:]
    /// Given to the outputs this sink opens itself (-ff -o FILE: FILE.TID), as `TextOutput.onFailure`.
    public var onOutputFailure: ((_ path: String, _ reason: String) -> Void)?
    private let devices = DeviceDecoration()

    /// `console` is stderr when the trace itself goes elsewhere (-o FILE), else nil.
    public init(out: TextOutput, console: TextOutput?, options: Options) {
        self.out = out
        self.console = console
        self.options = options
    }

    public func wants(touchesHugetlb: Bool, failed: Bool) -> Bool {
        !options.quiet && !options.callsHidden
            && (options.all || options.selection.selectsExplicitly || touchesHugetlb || failed)
    }

    /// Only -T's duration needs the exit: the line's time is the call's entry anyway.
    public func needsExit(_ call: Syscall, touchesHugetlb: Bool) -> Bool {
        wants(touchesHugetlb: touchesHugetlb, failed: false) && options.selection.showsSuccessful(call) && options.format.durations
    }

    /// Whether this completed call is printed: maptrace's default choice, narrowed by -e.
    public func shows(_ e: SyscallEvent) -> Bool {
        wants(touchesHugetlb: e.touchesHugetlb, failed: e.refused) && options.selection.shows(e.call)
    }

    public func handle(_ event: TraceEvent) {
        switch event {
        case .syscall(let e):
            guard shows(e) else { return }
            write(e)
        case .laterFailure(let e):
            laterFailures[errnoName(e.call.errno == 0 ? 12 : e.call.errno), default: 0] += 1
            if !options.quiet && !options.callsHidden && options.selection.shows(e.call) { write(e) }
        case .signal(let time, _, let tid, let sig, let code, let address):
            guard !options.quiet, !options.callsHidden, options.all || address != nil else { return }
            output(for: tid).line(prefix(tid: tid, time: time) + TextSink.signalText(sig, code: code, address: address))
        case .exit(let time, _, let tid, let status, let sig, let core, let isProcess):
            guard !options.quiet, !options.callsHidden, options.all || isProcess else { return }
            output(for: tid).line(prefix(tid: tid, time: time) + TextSink.exitText(status: status, signal: sig, coreDumped: core))
        case .exec:
            break  // the execve line itself says it
        case .drift(_, let pid, let model, let kernel):
            drifts += 1
            if options.all { out.line("maptrace: pid \(pid): the model counted \(model) mappings, the kernel \(kernel); re-read /proc/\(pid)/maps") }
        case .diagnosis(let d):
            let text = DiagnosisText.render(d)
            if options.perTaskBase != nil { output(for: d.tid).text(text) }
            emit(text, colouring: { TextSink.colourCause($0, cause: d.cause.rawValue) })
        }
    }

    /// The call's line, its stack with -k, written at once.
    private func write(_ e: SyscallEvent) {
        let target = output(for: e.tid)
        let time = e.call.entryTime > 0 ? e.call.entryTime : e.time
        var text = prefix(tid: e.tid, time: time)
            + TextSink.callText(e.call, durations: options.format) + TextSink.mapsText(e)
        if options.format.deviceNumbers { text = devices.add(to: text) }
        if options.format.colour && target.isTerminal { text = TextSink.colourLine(text, event: e) }
        target.line(text)
        for frame in e.call.stack ?? [] { target.line(" > " + frame) }
    }

    private func prefix(tid: Int32, time: Double) -> String {
        let stamp = options.format.timestamp(time, previous: previousTime)
        previousTime = time
        return (options.format.pidPrefix && options.perTaskBase == nil ? "[pid \(tid)] " : "") + stamp
    }

    /// The output of one task: FILE.TID with -ff, else the trace's output.
    private func output(for tid: Int32) -> TextOutput {
        guard let base = options.perTaskBase else { return out }
        if let existing = taskOutputs[tid] { return existing }
        let opened = (try? TextOutput(path: "\(base).\(tid)")) ?? out
        if opened !== out { opened.onFailure = onOutputFailure }
        taskOutputs[tid] = opened
        return opened
    }

    public func status(_ status: LiveStatus) {
        guard options.liveStatus, !options.quiet, let console = console ?? (out.isTerminal ? out : nil), console.isTerminal else { return }
        // Drawn only where the program cannot write: a line it prints would be glued to ours.
        if TerminalSharing.writes(pid: status.pid, to: console.fd) {
            console.clearStatus()
            return
        }
        var maps = "\(status.mapCount)/\(status.maxMapCount)"
        if options.format.colour, let colour = TerminalColour.forCount(status.mapCount, limit: status.maxMapCount) {
            maps = TerminalColour.wrap(maps, colour)
        }
        console.status("maptrace: pid \(status.pid)  maps \(maps)  "
                       + "hugetlbfs files \(status.hugetlbfsFiles)  mapped \(Quantity.bytes(status.hugetlbBytes))")
    }

    /// Text that must be seen even when the trace goes to a file: on both.
    public func emit(_ text: String) { emit(text, colouring: nil) }

    private func emit(_ text: String, colouring: ((String) -> String)?) {
        for target in [out] + (console.map { [$0] } ?? []) {
            let coloured = options.format.colour && target.isTerminal ? colouring?(text) ?? text : text
            target.text(coloured)
        }
    }

    public func finish() {
        out.clearStatus()
        console?.clearStatus()
        for task in taskOutputs.values { task.flush() }
    }

    /// `[pid 5507] mmap(…) = 0x7f…  maps=38/65530`: the count is shown on hugetlb lines.
    static func line(_ e: SyscallEvent) -> String {
        line(tid: e.tid, text: CallText.render(e.call), touchesHugetlb: e.touchesHugetlb, mapCount: e.mapCount, maxMapCount: e.maxMapCount)
    }

    static func line(tid: Int32, text: String, touchesHugetlb: Bool, mapCount: Int, maxMapCount: Int) -> String {
        "[pid \(tid)] " + text + (touchesHugetlb ? " maps=\(mapCount)/\(maxMapCount)" : "")
    }

    /// The call and its result, with -T's duration after the result.
    static func callText(_ call: CallRecord, durations format: TraceLineFormat) -> String {
        CallText.render(call) + (call.neverReturned ? "" : format.duration(call.duration))
    }

    static func mapsText(_ e: SyscallEvent) -> String {
        e.touchesHugetlb ? " maps=\(e.mapCount)/\(e.maxMapCount)" : ""
    }

    /// The errno (and "(INJECTED)") in red, the count in yellow or red near its limit.
    static func colourLine(_ line: String, event e: SyscallEvent) -> String {
        var text = line
        if e.call.failed {
            let name = errnoName(e.call.errno)
            if let range = text.range(of: " = -1 " + name) {
                text.replaceSubrange(range, with: " = -1 " + TerminalColour.wrap(name, TerminalColour.red + TerminalColour.bold))
            }
        }
        if e.call.injected, let range = text.range(of: "(INJECTED)") {
            text.replaceSubrange(range, with: TerminalColour.wrap("(INJECTED)", TerminalColour.magenta))
        }
        if e.touchesHugetlb, let colour = TerminalColour.forCount(e.mapCount, limit: e.maxMapCount),
           let range = text.range(of: " maps=\(e.mapCount)/\(e.maxMapCount)", options: .backwards) {
            text.replaceSubrange(range, with: " " + TerminalColour.wrap("maps=\(e.mapCount)/\(e.maxMapCount)", colour))
        }
        return text
    }

    /// The cause id, where the diagnosis names it, in bold red.
    static func colourCause(_ text: String, cause: String) -> String {
        guard let range = text.range(of: cause) else { return text }
        var coloured = text
        coloured.replaceSubrange(range, with: TerminalColour.wrap(cause, TerminalColour.red + TerminalColour.bold))
        return coloured
    }

    static func signalText(_ sig: Int32, code: Int32, address: UInt64?) -> String {
        let name = signalName(sig)
        guard let address else { return "--- \(name) ---" }
        let codeName = (sig == 7 ? busCodes : segvCodes)[code] ?? String(code)
        return "--- \(name) {si_signo=\(name), si_code=\(codeName), si_addr=\(pointer(address))} ---"
    }

    static func exitText(status: Int32?, signal: Int32?, coreDumped: Bool) -> String {
        if let status { return "+++ exited with \(status) +++" }
        return "+++ killed by \(signalName(signal ?? 0))\(coreDumped ? " (core dumped)" : "") +++"
    }

    private static let busCodes: [Int32: String] = [1: "BUS_ADRALN", 2: "BUS_ADRERR", 3: "BUS_OBJERR", 4: "BUS_MCEERR_AR", 5: "BUS_MCEERR_AO"]
    private static let segvCodes: [Int32: String] = [1: "SEGV_MAPERR", 2: "SEGV_ACCERR", 3: "SEGV_BNDERR", 4: "SEGV_PKUERR"]
}
