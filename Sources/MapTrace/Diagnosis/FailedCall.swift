/// A memory call that failed, or a SIGBUS on a hugetlb mapping, as the tracer saw it at the stop.
public struct FailedCall: Codable, Sendable, Equatable {
    /// Thread-group id (the process) and the thread that made the call.
    public var pid: Int32
    public var tid: Int32
    /// The call's name as strace prints it ("mmap", "openat"), or "SIGBUS" for a fault.
    public var syscall: String
    /// The six raw argument registers.
    public var args: [UInt64]
    /// The error number (ENOMEM = 12); 0 for a signal.
    public var errno: Int32
    /// The call in strace notation, with its result.
    public var text: String
    /// The path argument, or the path of the fd argument.
    public var path: String?
    /// The huge page size in bytes when the call targets hugetlb memory
    /// (a hugetlbfs file, MAP_HUGETLB, SHM_HUGETLB, MFD_HUGETLB, an address in a hugetlb mapping).
    public var hugetlbPageSize: UInt64?
    /// For a SIGBUS: the faulting address.
    public var signalAddress: UInt64?
    /// Seconds since the epoch.
    public var time: Double
    /// The code that made the call, innermost frame first ("mmap64 (libc.so.6)"), as strace -k
    /// shows it; nil when it could not be unwound (a log replayed, a stripped binary without
    /// unwind tables).
    public var stack: [String]?

    public init(pid: Int32, tid: Int32, syscall: String, args: [UInt64], errno: Int32, text: String,
                path: String? = nil, hugetlbPageSize: UInt64? = nil, signalAddress: UInt64? = nil,
                time: Double = 0) {
        self.pid = pid
        self.tid = tid
        self.syscall = syscall
        self.args = args
        self.errno = errno
        self.text = text
        self.path = path
        self.hugetlbPageSize = hugetlbPageSize
        self.signalAddress = signalAddress
        self.time = time
    }
}

/// What the tracer had seen of the process before the failure: the pattern that led there.
public struct TraceContext: Codable, Sendable, Equatable {
    /// The traced command line (for `-m MB` and similar).
    public var command: [String]
    /// hugetlbfs files the process opened, and hugetlb mappings it made successfully.
    public var hugetlbfsFilesOpened: Int
    public var hugetlbMappings: Int
    public var hugetlbBytesMapped: UInt64
    /// The page size of those mappings (the most common one), if any.
    public var hugetlbPageSize: UInt64?
    /// The process's mapping count just before its first hugetlb mapping.
    public var mappingsBeforeHugetlb: Int?
    /// Failures of the same kind seen before this one (0 for the first).
    public var earlierFailures: Int
    /// hugetlb mappings made with MAP_FIXED (into a range reserved first, as DPDK ≥ 18.05 does).
    public var fixedHugetlbMappings: Int?
    /// Files the process opened or statfs'd that tell the size of the pool or a mount
    /// (/sys/kernel/mm/hugepages/…, /proc/meminfo, hugetlbfs mount points).
    public var lookedAt: [String]?

    public init(command: [String] = [], hugetlbfsFilesOpened: Int = 0, hugetlbMappings: Int = 0,
                hugetlbBytesMapped: UInt64 = 0, hugetlbPageSize: UInt64? = nil,
                mappingsBeforeHugetlb: Int? = nil, earlierFailures: Int = 0, fixedHugetlbMappings: Int? = nil,
                lookedAt: [String]? = nil) {
        self.command = command
        self.hugetlbfsFilesOpened = hugetlbfsFilesOpened
        self.hugetlbMappings = hugetlbMappings
        self.hugetlbBytesMapped = hugetlbBytesMapped
        self.hugetlbPageSize = hugetlbPageSize
        self.mappingsBeforeHugetlb = mappingsBeforeHugetlb
        self.earlierFailures = earlierFailures
        self.fixedHugetlbMappings = fixedHugetlbMappings
        self.lookedAt = lookedAt
    }

    /// What the whole run asks for, from the command line and the pattern of its calls.
    public var demand: RunDemand {
        RunDemand(command: command, sawFixedHugetlbMaps: (fixedHugetlbMappings ?? 0) > 0,
                  sawHugetlbMaps: hugetlbMappings > 0)
    }
}
