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
