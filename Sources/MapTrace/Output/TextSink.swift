/// Prints the trace in strace's notation: by default every call that touches hugetlb memory,
/// every failed memory call, faults and process exits; `all` prints every traced call.
/// Diagnoses and the summary also go to the console (stderr) when the trace goes to a file.
public final class TextSink: TraceSink {
    public struct Options: Sendable {
        public var all = false
        public var quiet = false
        public var liveStatus = true
        public init() {}
    }

    let out: TextOutput
    let console: TextOutput?
    let options: Options
    public private(set) var drifts = 0
    public private(set) var laterFailures: [String: Int] = [:]

    /// `console` is stderr when the trace itself goes elsewhere (-o FILE), else nil.
    public init(out: TextOutput, console: TextOutput?, options: Options) {
        self.out = out
        self.console = console
        self.options = options
    }

    public func wants(touchesHugetlb: Bool, failed: Bool) -> Bool {
        !options.quiet && (options.all || touchesHugetlb || failed)
    }

    public func handle(_ event: TraceEvent) {
        switch event {
        case .syscall(let e):
            guard wants(touchesHugetlb: e.touchesHugetlb, failed: e.refused) else { return }
            out.line(TextSink.line(e))
        case .laterFailure(let e):
            laterFailures[errnoName(e.call.errno == 0 ? 12 : e.call.errno), default: 0] += 1
            if !options.quiet { out.line(TextSink.line(e)) }
        case .signal(_, _, let tid, let sig, let code, let address):
            guard !options.quiet, options.all || address != nil else { return }
            out.line("[pid \(tid)] " + TextSink.signalText(sig, code: code, address: address))
        case .exit(_, _, let tid, let status, let sig, let core, let isProcess):
            guard !options.quiet, options.all || isProcess else { return }
            out.line("[pid \(tid)] " + TextSink.exitText(status: status, signal: sig, coreDumped: core))
        case .exec:
            break  // the execve line itself says it
        case .drift(_, let pid, let model, let kernel):
            drifts += 1
            if options.all { out.line("maptrace: pid \(pid): the model counted \(model) mappings, the kernel \(kernel); re-read /proc/\(pid)/maps") }
        case .diagnosis(let d):
            let text = DiagnosisText.render(d)
            emit(text)
        }
    }

    public func status(_ status: LiveStatus) {
        guard options.liveStatus, !options.quiet, let console = console ?? (out.isTerminal ? out : nil), console.isTerminal else { return }
        console.status("maptrace: pid \(status.pid)  maps \(status.mapCount)/\(status.maxMapCount)  "
                       + "hugetlbfs files \(status.hugetlbfsFiles)  mapped \(Quantity.bytes(status.hugetlbBytes))")
    }

    /// Text that must be seen even when the trace goes to a file: on both.
    public func emit(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { out.line(String(line)) }
        out.flush()
        if let console {
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) { console.line(String(line)) }
            console.flush()
        }
    }

    public func finish() {
        out.clearStatus()
        console?.clearStatus()
        out.flush()
        console?.flush()
    }

    /// `[pid 5507] mmap(…) = 0x7f…  maps=38/65530`: the count is shown on hugetlb lines.
    static func line(_ e: SyscallEvent) -> String {
        line(tid: e.tid, text: CallText.render(e.call), touchesHugetlb: e.touchesHugetlb, mapCount: e.mapCount, maxMapCount: e.maxMapCount)
    }

    static func line(tid: Int32, text: String, touchesHugetlb: Bool, mapCount: Int, maxMapCount: Int) -> String {
        "[pid \(tid)] " + text + (touchesHugetlb ? " maps=\(mapCount)/\(maxMapCount)" : "")
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
