/// A completed call, as it flows to the text output, the log and the summary.
public struct SyscallEvent: Sendable {
    /// Seconds since the epoch.
    public var time: Double
    public var pid: Int32
    public var tid: Int32
    public var call: CallRecord
    /// The huge page size when the call touches hugetlb memory; nil otherwise.
    public var hugePageSize: UInt64?
    /// The process's mapping count after the call (the model's), and vm.max_map_count.
    public var mapCount: Int
    public var maxMapCount: Int
    /// How many of those mappings are hugetlb.
    public var hugetlbMapCount: Int
    /// A memory call the kernel refused (an errno, or a brk that returned the old break).
    public var refused: Bool

    public var touchesHugetlb: Bool { hugePageSize != nil }
}

/// Everything the tracer reports, in the order it happened.
public enum TraceEvent: Sendable {
    case syscall(SyscallEvent)
    /// A signal delivered to a tracee (passed through unchanged).
    case signal(time: Double, pid: Int32, tid: Int32, signal: Int32, code: Int32, address: UInt64?)
    case exec(time: Double, pid: Int32, tid: Int32, path: String, argv: [String])
    /// A thread or process ended: exit status, or the signal that killed it.
    case exit(time: Double, pid: Int32, tid: Int32, status: Int32?, signal: Int32?, coreDumped: Bool, isProcess: Bool)
    /// The model's count differed from the kernel's and was re-read.
    case drift(time: Double, pid: Int32, model: Int, kernel: Int)
    case diagnosis(Diagnosis)
    /// A later failure, after the first was diagnosed: counted, not explained again.
    case laterFailure(SyscallEvent)
}

/// Receives the tracer's events. The tracer asks first, so that calls nobody will print or log
/// cost no formatting.
public protocol TraceSink: AnyObject {
    /// Whether a completed call must be turned into an event.
    func wants(touchesHugetlb: Bool, failed: Bool) -> Bool
    /// Whether a successful `call` (on hugetlb memory or not) that this sink prints or records
    /// must be seen at its exit stop although its outcome is known at its entry: for its
    /// duration (-T, -c). When no sink needs it, such a call is reported at its entry and runs
    /// on unstopped.
    func needsExit(_ call: Syscall, touchesHugetlb: Bool) -> Bool
    func handle(_ event: TraceEvent)
    /// The live status: called a few times a second at most.
    func status(_ status: LiveStatus)
}

extension TraceSink {
    public func needsExit(_ call: Syscall, touchesHugetlb: Bool) -> Bool { wants(touchesHugetlb: touchesHugetlb, failed: false) }
}

/// What the one-line status on a terminal shows.
public struct LiveStatus: Sendable {
    public var pid: Int32
    public var mapCount: Int
    public var maxMapCount: Int
    public var hugetlbfsFiles: Int
    public var hugetlbBytes: UInt64
}
