/// Per-process figures for the summary at the end of a run.
public struct ProcessStatistics: Sendable, Codable, Equatable {
    public var pid: Int32
    public var command: String
    public var hugetlbfsFilesOpened = 0
    public var hugetlbMappings = 0
    /// Bytes mapped by huge page size (bytes → bytes mapped).
    public var bytesMappedByPageSize: [UInt64: UInt64] = [:]
    /// Failed calls by errno name.
    public var failuresByErrno: [String: Int] = [:]
    public var peakMapCount = 0
    /// The first failure diagnosed in this process ("mmap ENOMEM"), and how many hugetlb mappings
    /// it had made by then: a newer EAL survives a failed mmap and goes on with fewer pages.
    public var firstFailure: String?
    public var hugetlbMappingsAtFailure: Int?
    /// How many times the model asked the kernel about areas whose merge no call showed
    /// (nil in logs written before maptrace asked).
    public var modelQueries: Int?
    /// Calls whose outcome the model knew at their entry, so that they ran on without an exit
    /// stop (munmaps nobody prints or logs; nil when there were none).
    public var callsTakenAtEntry: Int?
    public var exitStatus: Int32?
    public var killedBy: String?

    public init(pid: Int32, command: String) {
        self.pid = pid
        self.command = command
    }
}
