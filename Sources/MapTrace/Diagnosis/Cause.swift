/// What limit a failed memory call ran into. The raw values are stable: they appear in logs,
/// JSON output and text (docs/causes.md).
public enum Cause: String, Codable, CaseIterable, Sendable {
    case maxMapCount = "max_map_count"
    case rlimitAS = "rlimit_as"
    case rlimitData = "rlimit_data"
    case overcommit
    case rlimitMemlock = "rlimit_memlock"
    case hugepagePool = "hugepage_pool"
    case hugepageNode = "hugepage_node"
    case hugetlbfsSize = "hugetlbfs_size"
    case hugetlbfsInodes = "hugetlbfs_inodes"
    case hugetlbCgroup = "hugetlb_cgroup"
    case hugetlbFault = "hugetlb_fault"
    case shmHugetlb = "shm_hugetlb"
    case hugepageAlignment = "hugepage_alignment"
    case addressSpace = "address_space"
    case badRange = "bad_range"
    case kernelMemory = "kernel_memory"
    case sealed
    /// The error was injected (`-e inject=`): no kernel limit was involved.
    case injected
    case unknown

    /// The order in which the kernel meets the limits (docs/causes.md): when several are exceeded
    /// at once, the earliest one produced the error.
    ///
    /// mmap: do_mmap's map_count test, then get_unmapped_area (alignment, free gap), then
    /// mlock_future_ok, then __mmap_prepare (MAP_FIXED splits, sealing, may_expand_vm for AS and
    /// DATA, overcommit), then hugetlbfs_file_mmap → hugetlb_reserve_pages (cgroup rsvd, subpool
    /// size=, global pool, allowed nodes). A hugetlb fault meets the same hugetlb limits after the
    /// missing reservation; open/shmget/fallocate failures stand on their own.
    public static let kernelOrder: [Cause] = [
        .maxMapCount, .hugepageAlignment, .addressSpace, .badRange, .rlimitMemlock, .sealed,
        .rlimitAS, .rlimitData, .overcommit, .hugetlbFault, .hugetlbCgroup, .hugetlbfsSize,
        .hugepagePool, .hugepageNode, .hugetlbfsInodes, .shmHugetlb, .kernelMemory, .unknown,
    ]

    /// Position in `kernelOrder`.
    public var checkRank: Int { Self.kernelOrder.firstIndex(of: self) ?? Self.kernelOrder.count }
}

/// How sure a finding is.
public enum Certainty: String, Codable, Sendable, Comparable {
    /// The numbers read while the process was held prove the limit was exceeded.
    case confirmed
    /// The limit was exceeded or at its edge, but part of the evidence is indirect
    /// (a global counter another process may have changed, a count the snapshot cannot see).
    case likely
    /// Consistent with the evidence, not shown by it.
    case possible

    private var strength: Int {
        switch self {
        case .confirmed: 0
        case .likely: 1
        case .possible: 2
        }
    }

    public static func < (lhs: Certainty, rhs: Certainty) -> Bool { lhs.strength < rhs.strength }
}
