import Glibc

/// What a process did that shows it was after huge pages, even when none of its calls failed:
/// the files that tell a pool's or a mount's size, the hugetlbfs mounts it statfs'd, hugetlb
/// memory it made. A run that gives up on its own after such a look is explained at its exit.
struct HugetlbTouches {
    /// Pool and mount files it opened or statfs'd, first seen first (at most `limit`).
    var lookedAt: [String] = []
    /// hugetlb mappings placed with MAP_FIXED (a modern EAL maps pages into a reserved range).
    var fixedHugetlbMappings = 0
    /// Whether it touched huge pages at all (a hugetlbfs file, MAP_HUGETLB, MFD_HUGETLB, SHM_HUGETLB).
    var touched = false
    /// /proc/PID/cgroup when it first touched huge pages: read while the process is alive, for a
    /// diagnosis made after it has gone.
    var cgroupText: String?

    static let limit = 16

    /// Notes a finished call. `isHugetlbfs` tells, for statfs, whether the path is on hugetlbfs.
    mutating func note(_ call: CallRecord, hugePageSize: UInt64?, pid: Int32, statfsOnHugetlbfs: Bool) {
        var looked: String?
        switch call.syscall {
        case .open, .openat, .openat2, .creat:
            if let path = call.resultPath ?? call.string, Self.isPoolFile(path) { looked = path }
        case .statfs, .fstatfs:
            if statfsOnHugetlbfs { looked = call.string ?? call.fdPath }
        case .mmap:
            if hugePageSize != nil, !call.failed, call.args[3] & CallBits.mapFixed != 0 { fixedHugetlbMappings += 1 }
        default:
            break
        }
        if let looked, lookedAt.count < Self.limit, !lookedAt.contains(looked) { lookedAt.append(looked) }
        if (looked != nil || hugePageSize != nil) && !touched {
            touched = true
            cgroupText = ProcText.read("/proc/\(pid)/cgroup")
        }
    }

    /// The pool counters (sysfs, per node) and /proc/meminfo, whose HugePages_* lines a program
    /// reads to size its memory.
    static func isPoolFile(_ path: String) -> Bool {
        path == "/proc/meminfo"
            || path.hasPrefix("/sys/kernel/mm/hugepages")
            || (path.hasPrefix("/sys/devices/system/node/") && path.contains("/hugepages"))
    }
}
