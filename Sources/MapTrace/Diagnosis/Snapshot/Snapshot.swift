/// Every limit a diagnosis needs, read once while the failing process is held in a ptrace stop.
///
/// Rules are pure functions of a snapshot, so a snapshot recorded on one machine (as JSON) can be
/// diagnosed again on another. A value that could not be read is `nil`, never a guess.
public struct Snapshot: Codable, Sendable, Equatable {
    /// Seconds since the epoch when the reading started.
    public var time: Double
    /// The failing process; `nil` in a system-only snapshot (`readSystem()`).
    public var process: ProcessState?
    /// /proc/sys/vm/max_map_count.
    public var maxMapCount: Int?
    /// The sysctl files' last assignment of the keys maptrace cares about
    /// (vm.max_map_count, vm.nr_hugepages, …), in systemd-sysctl order.
    public var sysctlFiles: [SysctlAssignment]
    /// false when the sysctl files could not be read (a snapshot rebuilt from a replayed log):
    /// then "no file sets it" cannot be said.
    public var sysctlFilesRead: Bool?
    /// Hugepagesize from /proc/meminfo: the size MAP_HUGETLB without size bits uses.
    public var defaultHugePageSize: UInt64?
    /// One pool per huge page size, smallest first.
    public var pools: [HugePagePool]
    /// Every hugetlbfs mount with its limits and statfs counters.
    public var mounts: [HugetlbfsMountState]
    /// Files on hugetlbfs mounts that no live process maps; they keep their pages until deleted.
    public var staleFiles: [StaleFile]
    /// hugetlb controller state of the process's cgroup, then each ancestor up to the root.
    public var cgroups: [CgroupHugetlb]
    public var overcommit: OvercommitState?
    public var shm: ShmLimits?
    /// The failed call's file, when it lies on a hugetlbfs mount.
    public var callFile: FileUsage?

    public init(time: Double = 0, process: ProcessState? = nil, maxMapCount: Int? = nil,
                sysctlFiles: [SysctlAssignment] = [], defaultHugePageSize: UInt64? = nil,
                pools: [HugePagePool] = [], mounts: [HugetlbfsMountState] = [],
                staleFiles: [StaleFile] = [], cgroups: [CgroupHugetlb] = [],
                overcommit: OvercommitState? = nil, shm: ShmLimits? = nil, callFile: FileUsage? = nil) {
        self.time = time
        self.process = process
        self.maxMapCount = maxMapCount
        self.sysctlFiles = sysctlFiles
        self.defaultHugePageSize = defaultHugePageSize
        self.pools = pools
        self.mounts = mounts
        self.staleFiles = staleFiles
        self.cgroups = cgroups
        self.overcommit = overcommit
        self.shm = shm
        self.callFile = callFile
    }

    /// The pool of one huge page size.
    public func pool(pageSize: UInt64) -> HugePagePool? {
        pools.first { $0.pageSize == pageSize }
    }

    /// The hugetlbfs mount holding `path` (as a path argument or as maps shows it).
    public func mount(containing path: String) -> HugetlbfsMountState? {
        let found = MountTable(hugetlbfs: mounts.map(\.mount)).hugetlbfsMount(containing: path)
        return found.flatMap { mount in mounts.last { $0.mount == mount } }
    }

    /// The sysctl file that assigned `key` last, if any did.
    public func sysctlFile(for key: String) -> SysctlAssignment? {
        sysctlFiles.last { $0.key == key }
    }
}

/// A per-process resource limit from /proc/PID/limits; `nil` means unlimited.
public struct ResourceLimit: Codable, Sendable, Equatable {
    public var soft: UInt64?
    public var hard: UInt64?

    public init(soft: UInt64?, hard: UInt64?) {
        self.soft = soft
        self.hard = hard
    }

    public static let unlimited = ResourceLimit(soft: nil, hard: nil)
}

/// What /proc/PID/{status,limits,cgroup,maps} said about the failing process.
public struct ProcessState: Codable, Sendable, Equatable {
    public var pid: Int32
    public var comm: String
    /// The kernel's mm->map_count: lines of /proc/PID/maps less the `[vsyscall]` gate area.
    public var mapCount: Int
    /// Set when `mapCount` is only an estimate (rebuilt from a log): the bounds it lies in.
    public var mapCountBounds: CountBounds?
    /// VmSize, VmData, VmLck and HugetlbPages in bytes.
    public var vmSize: UInt64
    public var vmData: UInt64
    public var vmLocked: UInt64
    public var hugetlbPages: UInt64
    /// NUMA nodes the cpuset allows (Mems_allowed_list).
    public var memsAllowed: [Int]
    /// Effective capabilities (CapEff) as a bit set.
    public var capEff: UInt64
    /// Real/effective gid and supplementary groups.
    public var gids: [Int]
    public var addressSpaceLimit: ResourceLimit?
    public var dataLimit: ResourceLimit?
    public var memlockLimit: ResourceLimit?
    /// cgroup v2 path ("0::/path") and the v1 hugetlb hierarchy's path, relative to their mounts.
    public var cgroupPath: String?
    public var cgroupV1HugetlbPath: String?
    /// The part of the address space around the failing call.
    public var addressSpace: AddressSpaceView

    public init(pid: Int32, comm: String, mapCount: Int, vmSize: UInt64 = 0, vmData: UInt64 = 0,
                vmLocked: UInt64 = 0, hugetlbPages: UInt64 = 0, memsAllowed: [Int] = [0],
                capEff: UInt64 = 0, gids: [Int] = [], addressSpaceLimit: ResourceLimit? = .unlimited,
                dataLimit: ResourceLimit? = .unlimited, memlockLimit: ResourceLimit? = .unlimited,
                cgroupPath: String? = nil, cgroupV1HugetlbPath: String? = nil,
                addressSpace: AddressSpaceView = AddressSpaceView()) {
        self.pid = pid
        self.comm = comm
        self.mapCount = mapCount
        self.vmSize = vmSize
        self.vmData = vmData
        self.vmLocked = vmLocked
        self.hugetlbPages = hugetlbPages
        self.memsAllowed = memsAllowed
        self.capEff = capEff
        self.gids = gids
        self.addressSpaceLimit = addressSpaceLimit
        self.dataLimit = dataLimit
        self.memlockLimit = memlockLimit
        self.cgroupPath = cgroupPath
        self.cgroupV1HugetlbPath = cgroupV1HugetlbPath
        self.addressSpace = addressSpace
    }

    /// Whether CapEff holds capability number `bit` (include/uapi/linux/capability.h).
    public func hasCapability(_ bit: Int) -> Bool { capEff & (1 << UInt64(bit)) != 0 }
}

/// Capability numbers the rules test.
public enum Capability {
    public static let ipcLock = 14
    public static let sysAdmin = 21
    public static let sysResource = 24
}

/// The last assignment of a sysctl key in the sysctl configuration files.
public struct SysctlAssignment: Codable, Sendable, Equatable {
    /// Dotted key, e.g. "vm.max_map_count".
    public var key: String
    public var value: String
    public var file: String
    public var line: Int

    public init(key: String, value: String, file: String, line: Int) {
        self.key = key
        self.value = value
        self.file = file
        self.line = line
    }
}
