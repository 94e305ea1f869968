/// Overcommit accounting (/proc/sys/vm/overcommit_*, admin/user reserves, /proc/meminfo), bytes.
public struct OvercommitState: Codable, Sendable, Equatable {
    /// 0 heuristic, 1 always, 2 strict.
    public var mode: Int
    public var ratio: Int
    public var kbytes: UInt64
    public var commitLimit: UInt64
    public var committed: UInt64
    public var memTotal: UInt64
    public var swapTotal: UInt64
    /// vm.admin_reserve_kbytes and vm.user_reserve_kbytes, in bytes.
    public var adminReserve: UInt64
    public var userReserve: UInt64

    public init(mode: Int, ratio: Int = 50, kbytes: UInt64 = 0, commitLimit: UInt64, committed: UInt64,
                memTotal: UInt64, swapTotal: UInt64 = 0, adminReserve: UInt64 = 0, userReserve: UInt64 = 0) {
        self.mode = mode
        self.ratio = ratio
        self.kbytes = kbytes
        self.commitLimit = commitLimit
        self.committed = committed
        self.memTotal = memTotal
        self.swapTotal = swapTotal
        self.adminReserve = adminReserve
        self.userReserve = userReserve
    }
}

/// SysV shared memory limits and the group allowed SHM_HUGETLB.
public struct ShmLimits: Codable, Sendable, Equatable {
    public var hugetlbShmGroup: Int
    public var shmmax: UInt64
    /// In pages.
    public var shmall: UInt64
    public var shmmni: Int

    public init(hugetlbShmGroup: Int, shmmax: UInt64, shmall: UInt64, shmmni: Int) {
        self.hugetlbShmGroup = hugetlbShmGroup
        self.shmmax = shmmax
        self.shmall = shmall
        self.shmmni = shmmni
    }
}

/// The part of a process's address space a diagnosis looks at: the areas around the failing
/// call's range (plus [heap] and [stack]) and the largest free gap. Keeping only these keeps a
/// snapshot of a process with 65 000 mappings small.
public struct AddressSpaceView: Codable, Sendable, Equatable {
    /// Sorted by start; contiguous in the process only where `end == next.start`.
    public var areas: [Mapping]
    /// The largest gap between mappings in [mmap_min_addr, TASK_SIZE), and where it starts.
    public var largestGap: UInt64?
    public var largestGapStart: UInt64?
    /// For the area holding the call's address (a SIGBUS address, or the start of the range):
    /// its smaps VmFlags ("ht" hugetlb, "nr" no reservation, "sl" sealed) and its file's st_size.
    public var focusFlags: [String]?
    public var focusFileSize: UInt64?

    public init(areas: [Mapping] = [], largestGap: UInt64? = nil, largestGapStart: UInt64? = nil,
                focusFlags: [String]? = nil, focusFileSize: UInt64? = nil) {
        self.areas = areas
        self.largestGap = largestGap
        self.largestGapStart = largestGapStart
        self.focusFlags = focusFlags
        self.focusFileSize = focusFileSize
    }

    /// The area holding `address`.
    public func area(containing address: UInt64) -> Mapping? {
        areas.first { $0.start <= address && address < $0.end }
    }

    /// Areas that overlap [start, end).
    public func areas(overlapping start: UInt64, _ end: UInt64) -> [Mapping] {
        areas.filter { $0.start < end && start < $0.end }
    }
}
