#if canImport(Glibc)
import Glibc
#endif

extension Snapshot {
    /// The sysctl keys whose setting file a diagnosis may name.
    static let sysctlKeys = ["vm.max_map_count", "vm.nr_hugepages", "vm.overcommit_memory",
                             "vm.hugetlb_shm_group", "kernel.shmmax"]

    /// Reads everything about process `pid` and the system, once. Call it while the process is
    /// held in a ptrace stop; with `failure`, the areas around the call's range (or the fault's
    /// address) are kept, and that area's smaps flags read. Files that cannot be read are left absent.
    public static func read(pid: Int32, failure: Failure? = nil) -> Snapshot {
        var snapshot = readSystem(cgroupOf: pid)
        snapshot.process = ProcessReader.read(pid: pid, failure: failure, mounts: snapshot.mounts.map(\.mount),
                                              defaultHugePageSize: snapshot.defaultHugePageSize)
        // The traced process's open files are in use, not stale, even before it maps them
        // (the file of the failing mmap itself is open and unmapped).
        if !snapshot.staleFiles.isEmpty {
            let open = openPaths(pid: pid).union(failure?.path.map { [$0] } ?? [])
            snapshot.staleFiles.removeAll { open.contains($0.path) }
        }
        if let path = failure?.path, snapshot.mount(containing: path) != nil {
            var info = stat()
            if stat(path, &info) == 0 {
                snapshot.callFile = FileUsage(path: path, size: UInt64(info.st_size),
                                              allocatedBytes: UInt64(info.st_blocks) * 512)
            }
        }
        return snapshot
    }

    /// Reads the parts that need no process: pools, mounts, stale files, sysctls, overcommit and
    /// shm limits, and the hugetlb cgroup limits of `cgroupOf` (nil: the calling process, whose
    /// cgroup a process it starts would join). `staleFiles` false: no walk of the hugetlbfs
    /// mounts' files and no read of every process's maps (what makes a file stale), which is
    /// most of the cost of a snapshot.
    public static func readSystem(cgroupOf pid: Int32? = nil, cgroupText: String? = nil, staleFiles: Bool = true) -> Snapshot {
        var snapshot = Snapshot(time: now())
        snapshot.maxMapCount = ProcText.int("/proc/sys/vm/max_map_count")
        snapshot.sysctlFiles = SysctlFiles.lastAssignments(of: sysctlKeys)
        let meminfo = ProcText.read("/proc/meminfo").map(ProcText.fields) ?? [:]
        snapshot.defaultHugePageSize = ProcText.kilobytes(meminfo["Hugepagesize"])
        snapshot.pools = PoolReader.read()
        let hugetlbfs = (try? MountTable.read(pid: pid ?? 0))?.hugetlbfs ?? []
        var files: [HugetlbfsScan.File] = []
        snapshot.mounts = hugetlbfs.map { mount in
            var state = HugetlbfsMountState(mount: mount, statfs: HugetlbfsScan.statfsCounts(mount.mountPoint))
            if staleFiles { files += HugetlbfsScan.walk(&state) }
            return state
        }
        if staleFiles { snapshot.staleFiles = HugetlbfsScan.unmapped(files, mountPoints: hugetlbfs.map(\.mountPoint)) }
        snapshot.cgroups = CgroupReader.read(pid: pid, procCgroup: cgroupText, pageSizes: snapshot.pools.map(\.pageSize))
        snapshot.overcommit = overcommit(meminfo: meminfo)
        snapshot.shm = shmLimits()
        return snapshot
    }

    /// Paths of the files a process holds open (/proc/PID/fd links).
    static func openPaths(pid: Int32) -> Set<String> {
        let directory = "/proc/\(pid)/fd/"
        var paths = Set<String>()
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        for entry in ProcText.directoryEntries(directory) {
            let length = readlink(directory + entry.name, &buffer, buffer.count - 1)
            guard length > 0 else { continue }
            paths.insert(String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return paths
    }

    static func overcommit(meminfo: [String: String]) -> OvercommitState? {
        guard let mode = ProcText.int("/proc/sys/vm/overcommit_memory"),
              let limit = ProcText.kilobytes(meminfo["CommitLimit"]),
              let committed = ProcText.kilobytes(meminfo["Committed_AS"]),
              let total = ProcText.kilobytes(meminfo["MemTotal"]) else { return nil }
        return OvercommitState(
            mode: mode, ratio: ProcText.int("/proc/sys/vm/overcommit_ratio") ?? 50,
            kbytes: ProcText.uint64("/proc/sys/vm/overcommit_kbytes") ?? 0,
            commitLimit: limit, committed: committed, memTotal: total,
            swapTotal: ProcText.kilobytes(meminfo["SwapTotal"]) ?? 0,
            adminReserve: (ProcText.uint64("/proc/sys/vm/admin_reserve_kbytes") ?? 0) * 1024,
            userReserve: (ProcText.uint64("/proc/sys/vm/user_reserve_kbytes") ?? 0) * 1024)
    }

    static func shmLimits() -> ShmLimits? {
        guard let group = ProcText.int("/proc/sys/vm/hugetlb_shm_group"),
              let shmmax = ProcText.uint64("/proc/sys/kernel/shmmax"),
              let shmall = ProcText.uint64("/proc/sys/kernel/shmall"),
              let shmmni = ProcText.int("/proc/sys/kernel/shmmni") else { return nil }
        return ShmLimits(hugetlbShmGroup: group, shmmax: shmmax, shmall: shmall, shmmni: shmmni)
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// /sys/kernel/mm/hugepages and its per-node copies.
enum PoolReader {
    static func read(root: String = "") -> [HugePagePool] {
        let base = root + "/sys/kernel/mm/hugepages"
        let nodeDirectories = ProcText.directoryEntries(root + "/sys/devices/system/node")
            .compactMap { entry -> Int? in entry.name.hasPrefix("node") ? Int(entry.name.dropFirst(4)) : nil }
            .sorted()
        return ProcText.directoryEntries(base).compactMap { entry -> HugePagePool? in
            guard let pageSize = pageSize(directoryName: entry.name) else { return nil }
            let directory = base + "/" + entry.name
            guard let total = ProcText.int(directory + "/nr_hugepages"),
                  let free = ProcText.int(directory + "/free_hugepages") else { return nil }
            let nodes = nodeDirectories.compactMap { node -> NodePool? in
                let nodeDirectory = "\(root)/sys/devices/system/node/node\(node)/hugepages/\(entry.name)"
                guard let total = ProcText.int(nodeDirectory + "/nr_hugepages"),
                      let free = ProcText.int(nodeDirectory + "/free_hugepages") else { return nil }
                return NodePool(node: node, total: total, free: free,
                                surplus: ProcText.int(nodeDirectory + "/surplus_hugepages") ?? 0)
            }
            return HugePagePool(pageSize: pageSize, total: total, free: free,
                                reserved: ProcText.int(directory + "/resv_hugepages") ?? 0,
                                surplus: ProcText.int(directory + "/surplus_hugepages") ?? 0,
                                overcommit: ProcText.int(directory + "/nr_overcommit_hugepages") ?? 0,
                                nodes: nodes)
        }.sorted { $0.pageSize < $1.pageSize }
    }

    /// "hugepages-2048kB" → 2097152.
    static func pageSize(directoryName name: String) -> UInt64? {
        guard name.hasPrefix("hugepages-"), name.hasSuffix("kB"),
              let kb = UInt64(name.dropFirst("hugepages-".count).dropLast(2)) else { return nil }
        return kb * 1024
    }
}
