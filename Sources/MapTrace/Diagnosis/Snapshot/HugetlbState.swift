/// One huge page size's pool: /sys/kernel/mm/hugepages/hugepages-<size>kB and its per-node split.
public struct HugePagePool: Codable, Sendable, Equatable {
    public var pageSize: UInt64
    /// nr_hugepages (includes surplus pages), free_hugepages, resv_hugepages, surplus_hugepages,
    /// nr_overcommit_hugepages.
    public var total: Int
    public var free: Int
    public var reserved: Int
    public var surplus: Int
    public var overcommit: Int
    /// /sys/devices/system/node/nodeN/hugepages/…; there is no per-node reserved count.
    public var nodes: [NodePool]

    public init(pageSize: UInt64, total: Int, free: Int, reserved: Int = 0, surplus: Int = 0,
                overcommit: Int = 0, nodes: [NodePool] = []) {
        self.pageSize = pageSize
        self.total = total
        self.free = free
        self.reserved = reserved
        self.surplus = surplus
        self.overcommit = overcommit
        self.nodes = nodes
    }

    /// Pages a new reservation can take from the pool as it is: free pages nobody reserved.
    public var unreserved: Int { max(0, free - reserved) }

    /// Surplus pages the kernel may still allocate from the buddy allocator
    /// (mm/hugetlb.c gather_surplus_pages; may fail when memory is fragmented).
    public var surplusHeadroom: Int { max(0, overcommit - surplus) }
}

/// A huge page pool on one NUMA node.
public struct NodePool: Codable, Sendable, Equatable {
    public var node: Int
    public var total: Int
    public var free: Int
    public var surplus: Int

    public init(node: Int, total: Int, free: Int, surplus: Int = 0) {
        self.node = node
        self.total = total
        self.free = free
        self.surplus = surplus
    }
}

/// statfs(2) of a hugetlbfs mount. hugetlbfs reports blocks in huge pages:
/// `blocks` 0 means no size= (no limit) and -1 means min_size= only (fs/hugetlbfs/inode.c hugetlbfs_statfs).
public struct StatfsCounts: Codable, Sendable, Equatable {
    public var blockSize: Int64
    public var blocks: Int64
    public var blocksFree: Int64
    public var files: Int64
    public var filesFree: Int64

    public init(blockSize: Int64, blocks: Int64, blocksFree: Int64, files: Int64 = 0, filesFree: Int64 = 0) {
        self.blockSize = blockSize
        self.blocks = blocks
        self.blocksFree = blocksFree
        self.files = files
        self.filesFree = filesFree
    }

    /// Whether the mount has a size= limit statfs can show.
    public var hasSizeLimit: Bool { blocks > 0 }
    /// Whether statfs counts inodes (only when size= or min_size= is also set).
    public var countsInodes: Bool { files > 0 }
}

/// A hugetlbfs mount with its limits, statfs counters and what its files hold.
public struct HugetlbfsMountState: Codable, Sendable, Equatable {
    /// Mount point, page size and the size=, min_size=, nr_inodes= options.
    public var mount: HugetlbfsMount
    public var statfs: StatfsCounts?
    /// Files and directories below the mount point (not counting the root), and their allocated bytes.
    public var fileCount: Int
    public var directoryCount: Int
    public var allocatedBytes: UInt64

    public init(mount: HugetlbfsMount, statfs: StatfsCounts? = nil, fileCount: Int = 0, directoryCount: Int = 0,
                allocatedBytes: UInt64 = 0) {
        self.mount = mount
        self.statfs = statfs
        self.fileCount = fileCount
        self.directoryCount = directoryCount
        self.allocatedBytes = allocatedBytes
    }

    public var mountPoint: String { mount.mountPoint }
    public var pageSize: UInt64 { mount.pageSize }

    /// Inodes in use: every file and directory plus the root (fs/hugetlbfs/inode.c reserves one for it).
    public var inodesUsed: Int { fileCount + directoryCount + 1 }
}

/// A file on hugetlbfs that no live process maps: it keeps its pages (and a MAP_SHARED file its
/// reservations) until someone deletes it.
public struct StaleFile: Codable, Sendable, Equatable {
    public var path: String
    /// st_blocks × 512: the huge pages the file holds.
    public var allocatedBytes: UInt64
    public var pageSize: UInt64

    public init(path: String, allocatedBytes: UInt64, pageSize: UInt64) {
        self.path = path
        self.allocatedBytes = allocatedBytes
        self.pageSize = pageSize
    }

    public var pages: Int { pageSize == 0 ? 0 : Int(allocatedBytes / pageSize) }
}

/// The file a failed call named, when it is on hugetlbfs: a MAP_SHARED mapping of pages the file
/// already holds needs no new page (mm/hugetlb.c hugetlb_reserve_pages charges only the part of
/// the range not yet reserved).
public struct FileUsage: Codable, Sendable, Equatable {
    public var path: String
    /// st_size and st_blocks × 512.
    public var size: UInt64
    public var allocatedBytes: UInt64

    public init(path: String, size: UInt64, allocatedBytes: UInt64) {
        self.path = path
        self.size = size
        self.allocatedBytes = allocatedBytes
    }
}

/// One cgroup's hugetlb controller files. v1 files are mapped onto the same fields:
/// limit_in_bytes → max, usage_in_bytes → current, failcnt → events.
public struct CgroupHugetlb: Codable, Sendable, Equatable {
    /// Path relative to the hierarchy's mount ("/" for the root) and the directory read.
    public var path: String
    public var directory: String
    public var version: Int
    /// One entry per huge page size with files present; empty at a root cgroup.
    public var limits: [CgroupHugetlbLimit]

    public init(path: String, directory: String, version: Int = 2, limits: [CgroupHugetlbLimit] = []) {
        self.path = path
        self.directory = directory
        self.version = version
        self.limits = limits
    }

    public func limit(pageSize: UInt64) -> CgroupHugetlbLimit? {
        limits.first { $0.pageSize == pageSize }
    }
}

/// hugetlb.<size>.{max,current,rsvd.max,rsvd.current,events} in bytes; `nil` limit = unlimited.
public struct CgroupHugetlbLimit: Codable, Sendable, Equatable {
    public var pageSize: UInt64
    /// The name the files use for the size: "2MB", "1GB".
    public var sizeName: String
    public var max: UInt64?
    public var current: UInt64?
    public var reservedMax: UInt64?
    public var reservedCurrent: UInt64?
    /// The `max` line of hugetlb.<size>.events (v1: the fault limit's failcnt).
    public var maxEvents: Int?

    public init(pageSize: UInt64, sizeName: String, max: UInt64? = nil, current: UInt64? = 0,
                reservedMax: UInt64? = nil, reservedCurrent: UInt64? = 0, maxEvents: Int? = nil) {
        self.pageSize = pageSize
        self.sizeName = sizeName
        self.max = max
        self.current = current
        self.reservedMax = reservedMax
        self.reservedCurrent = reservedCurrent
        self.maxEvents = maxEvents
    }
}
