@testable import MapTrace

/// Recorded situations, written out as values: what the tracer would have read at the stop.
enum Fixture {
    static let mib: UInt64 = 1 << 20
    static let twoMiB: UInt64 = 2 << 20
    static let gib: UInt64 = 1 << 30
    static let enomem: Int32 = 12
    static let eagain: Int32 = 11
    static let eperm: Int32 = 1
    static let enospc: Int32 = 28
    static let einval: Int32 = 22
    /// MAP_SHARED|MAP_POPULATE, PROT_READ|PROT_WRITE.
    static let sharedPopulate: UInt64 = 0x1 | 0x8000
    static let readWrite: UInt64 = 0x3

    /// The classic case (docs/causes.md): VPP's 80-vpp.conf set vm.max_map_count = 3096, the pool has
    /// 3200 2 MiB pages, and an EAL mapping one rtemap file per page failed at page 3061 (139 still free)
    /// with 36 other areas: 3097 areas.
    static func classicSnapshot(mapCount: Int = 3097, free: Int = 139, reserved: Int = 0) -> Snapshot {
        var snapshot = Snapshot(
            time: 1_700_000_000,
            process: ProcessState(pid: 5507, comm: "l2fwd", mapCount: mapCount, vmSize: 6500 * mib, vmData: 40 * mib,
                                  memsAllowed: [0], capEff: 0x1ff_ffff_ffff, gids: [0],
                                  memlockLimit: ResourceLimit(soft: 8 * mib, hard: 8 * mib), cgroupPath: "/"),
            maxMapCount: 3096,
            sysctlFiles: [SysctlAssignment(key: "vm.max_map_count", value: "3096", file: "/etc/sysctl.d/80-vpp.conf", line: 3)],
            defaultHugePageSize: twoMiB,
            pools: [HugePagePool(pageSize: twoMiB, total: 3200, free: free, reserved: reserved,
                                 nodes: [NodePool(node: 0, total: 3200, free: free)]),
                    HugePagePool(pageSize: gib, total: 0, free: 0, nodes: [NodePool(node: 0, total: 0, free: 0)])],
            mounts: [HugetlbfsMountState(mount: HugetlbfsMount(mountPoint: "/dev/hugepages", pageSize: twoMiB, options: "rw,pagesize=2M"),
                                         statfs: StatfsCounts(blockSize: Int64(twoMiB), blocks: 0, blocksFree: 0),
                                         fileCount: 3062, allocatedBytes: 3061 * twoMiB)],
            overcommit: OvercommitState(mode: 0, commitLimit: 12 * gib, committed: 60 * mib, memTotal: 24 * gib),
            shm: ShmLimits(hugetlbShmGroup: 0, shmmax: UInt64.max >> 1, shmall: UInt64.max >> 1, shmmni: 4096))
        snapshot.cgroups = [CgroupHugetlb(path: "/", directory: "/sys/fs/cgroup/unified")]
        return snapshot
    }

    static func classicCall(page: UInt64 = 3061) -> Failure {
        .call(CallFailure(syscall: .mmap, args: SyscallArguments([page * twoMiB, twoMiB, readWrite, sharedPopulate, 16, 0]),
                          errno: Errno(rawValue: enomem),
                          text: "mmap(0x\(String(page * twoMiB, radix: 16)), 2097152, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, "
                              + "16</dev/hugepages/rtemap_\(page)>, 0) = -1 ENOMEM (Cannot allocate memory)",
                          fdPath: "/dev/hugepages/rtemap_\(page)", pageSize: twoMiB))
    }

    /// The classic failure diagnosed, as the tracer does it (pid 5507).
    static func diagnoseClassic(_ failure: Failure, snapshot: Snapshot, context: TraceContext) -> Diagnosis {
        MapTrace.diagnose(failure, pid: 5507, tid: 5507, time: 0, snapshot: snapshot, context: context)
    }

    static func classicContext(pages: Int = 3061) -> TraceContext {
        TraceContext(command: ["./l2fwd", "-m", "64", "--", "-p0x1"], hugetlbfsFilesOpened: pages + 1,
                     hugetlbMappings: pages, hugetlbBytesMapped: UInt64(pages) * twoMiB, hugetlbPageSize: twoMiB,
                     mappingsBeforeHugetlb: 36)
    }

    /// A process with one 8-page private anonymous area at `areaStart` and `mapCount` areas.
    static func processWithArea(mapCount: Int, max: Int = 65530, areaStart: UInt64 = 0x7f00_0000_0000) -> Snapshot {
        var snapshot = classicSnapshot(mapCount: mapCount)
        snapshot.maxMapCount = max
        snapshot.sysctlFiles = []
        snapshot.process?.addressSpace = AddressSpaceView(
            areas: [Mapping(start: areaStart, end: areaStart + 8 * 4096, prot: 3, shared: false)],
            largestGap: 1 << 40, largestGapStart: 0x1000_0000)
        return snapshot
    }

    /// A failed call by name, or a SIGBUS at `address`.
    static func call(_ syscall: String, _ args: [UInt64], errno: Int32 = enomem, path: String? = nil,
                     hugetlb: UInt64? = nil, address: UInt64? = nil) -> Failure {
        if syscall == "SIGBUS" {
            return .fault(FaultFailure(address: address ?? 0, pageSize: hugetlb, text: "--- SIGBUS ---", file: path))
        }
        return .call(CallFailure(syscall: Syscall(name: syscall)!, args: SyscallArguments(args), errno: Errno(rawValue: errno),
                                 text: "\(syscall)(…) = -1", pageSize: hugetlb, path: path))
    }

    static func evaluate(_ rule: some CauseRule, _ failure: Failure, _ snapshot: Snapshot,
                         _ context: TraceContext = TraceContext()) -> Verdict {
        rule.evaluate(RuleInput(failure: failure, snapshot: snapshot, context: context))
    }
}
