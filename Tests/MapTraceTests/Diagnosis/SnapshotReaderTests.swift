import Foundation
import Testing
@testable import MapTrace

@Suite("snapshot reading")
struct SnapshotReaderTests {
    @Test("a snapshot of the test process holds its own map count, limits and the live vm.max_map_count")
    func liveSnapshot() throws {
        let pid = getpid()
        let snapshot = Snapshot.read(pid: pid)
        let process = try #require(snapshot.process)
        let sysctl = try String(contentsOfFile: "/proc/sys/vm/max_map_count", encoding: .utf8)
        #expect(snapshot.maxMapCount == Int(sysctl.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(process.pid == pid)
        #expect(process.mapCount > 10)
        #expect(process.vmSize > 0)
        #expect(!process.comm.isEmpty)
        #expect(process.addressSpaceLimit != nil && process.memlockLimit != nil)
        #expect(process.addressSpace.largestGap ?? 0 > 1 << 30)
        #expect(snapshot.overcommit?.memTotal ?? 0 > 0)
        #expect(snapshot.shm != nil)
        // Every pool directory under /sys/kernel/mm/hugepages is read.
        let sizes = try FileManager.default.contentsOfDirectory(atPath: "/sys/kernel/mm/hugepages").count
        #expect(snapshot.pools.count == sizes)
        let data = try JSONEncoder().encode(snapshot)
        #expect(try JSONDecoder().decode(Snapshot.self, from: data) == snapshot)
    }

    @Test("with the failed call, the areas around its range are kept and the rest dropped")
    func focusKeepsNeighbours() throws {
        let length = 64 * 4096
        let base = try #require(mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        defer { munmap(base, length) }
        let start = UInt64(UInt(bitPattern: base))
        mprotect(base + 4096 * 8, 4096 * 8, PROT_READ)  // three areas: rw, r, rw
        let call = Failure.call(CallFailure(syscall: .munmap, args: SyscallArguments([start + 4096 * 9, 4096]), errno: .noMemory, text: ""))
        let snapshot = Snapshot.read(pid: getpid(), failure: call)
        let view = try #require(snapshot.process?.addressSpace)
        #expect(view.area(containing: start + 4096 * 9)?.prot == 1)
        #expect(view.areas.count < snapshot.process!.mapCount)
    }

    @Test("reading a snapshot takes tens of milliseconds, not seconds")
    func readingIsFast() {
        let clock = ContinuousClock()
        _ = Snapshot.read(pid: getpid())
        let elapsed = clock.measure { _ = Snapshot.read(pid: getpid()) }
        #expect(elapsed < .milliseconds(150))
    }

    @Test("a process that is gone gives a system snapshot with no process, not a crash")
    func missingProcess() {
        let snapshot = Snapshot.read(pid: Int32.max - 1)
        #expect(snapshot.process == nil)
        #expect(snapshot.maxMapCount != nil)
    }

    @Test("/proc/PID/limits rows parse into soft and hard limits, unlimited as nil")
    func limitsText() {
        let text = """
        Limit                     Soft Limit           Hard Limit           Units     
        Max data size             unlimited            unlimited            bytes     
        Max locked memory         8388608              16777216             bytes     
        Max address space         unlimited            unlimited            bytes     
        """
        let limits = ProcText.limits(text)
        #expect(limits["Max locked memory"] == ResourceLimit(soft: 8_388_608, hard: 16_777_216))
        #expect(limits["Max address space"] == .unlimited)
        #expect(ProcText.list("0-2,5,7-8") == [0, 1, 2, 5, 7, 8])
    }

    @Test("on a hybrid cgroup layout the cgroup2 mount and the v1 hugetlb hierarchy are both found")
    func hybridCgroupMounts() {
        let mountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/hugetlb rw,relatime - cgroup cgroup rw,hugetlb
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
        let mounts = CgroupReader.mounts(mountinfo: mountinfo)
        #expect(mounts.v2 == "/sys/fs/cgroup/unified")
        #expect(mounts.v1Hugetlb == "/sys/fs/cgroup/hugetlb")
        let paths = CgroupReader.paths(procCgroup: "10:hugetlb:/pod\n4:memory:/x\n0::/pod/app\n")
        #expect(paths.v2 == "/pod/app")
        #expect(paths.v1Hugetlb == "/pod")
        #expect(CgroupReader.ancestry("/pod/app") == ["/pod/app", "/pod", "/"])
        #expect(CgroupReader.sizeName(2 << 20) == "2MB")
        #expect(CgroupReader.sizeName(1 << 30) == "1GB")
        #expect(CgroupReader.limit("max") == nil)
        #expect(CgroupReader.limit("9223372036854771712") == nil)
        #expect(CgroupReader.limit("8388608") == 8_388_608)
    }

    @Test("the last assignment in systemd-sysctl order names the file that set a key")
    func sysctlFileOrder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("maptrace-sysctl-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        func write(_ path: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: root + (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: root + path, atomically: true, encoding: .utf8)
        }
        try write("/usr/lib/sysctl.d/50-default.conf", "vm.max_map_count = 65530\n")
        try write("/etc/sysctl.d/80-vpp.conf", "# VPP\nvm.nr_hugepages=1024\n-vm/max_map_count = 3096\n")
        // Masked by /etc/sysctl.d/80-vpp.conf of the same name:
        try write("/usr/lib/sysctl.d/80-vpp.conf", "vm.max_map_count = 1\n")
        try write("/run/sysctl.d/10-early.conf", "vm.max_map_count = 999\n")
        let found = SysctlFiles.lastAssignments(of: ["vm.max_map_count", "vm.nr_hugepages"], root: root)
        #expect(found.first == SysctlAssignment(key: "vm.max_map_count", value: "3096", file: "/etc/sysctl.d/80-vpp.conf", line: 3))
        #expect(found.last?.value == "1024")
        try write("/etc/sysctl.conf", "vm.max_map_count = 262144\n")
        #expect(SysctlFiles.lastAssignments(of: ["vm.max_map_count"], root: root).first?.file == "/etc/sysctl.conf")
    }

    @Test("a file some process maps is not stale; one nobody maps is, with its allocated bytes")
    func staleFileScan() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maptrace-stale-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mappedPath = directory + "/mapped", idlePath = directory + "/idle"
        try Data(count: 8192).write(to: URL(fileURLWithPath: mappedPath))
        try Data(count: 8192).write(to: URL(fileURLWithPath: idlePath))
        let fd = open(mappedPath, O_RDONLY)
        defer { close(fd) }
        let address = try #require(mmap(nil, 8192, PROT_READ, MAP_SHARED, fd, 0))
        defer { munmap(address, 8192) }
        #expect(HugetlbfsScan.mappedPaths(under: [directory]) == [mappedPath])
        var mount = HugetlbfsMountState(mount: HugetlbfsMount(mountPoint: directory, pageSize: 4096))
        let files = HugetlbfsScan.walk(&mount)
        #expect(mount.fileCount == 2)
        let stale = HugetlbfsScan.unmapped(files, mountPoints: [directory])
        #expect(stale.map(\.path) == [idlePath])
        #expect(Snapshot.openPaths(pid: getpid()).contains(mappedPath))
    }

    @Test("pool directories parse their page size")
    func poolDirectoryNames() {
        #expect(PoolReader.pageSize(directoryName: "hugepages-2048kB") == 2 << 20)
        #expect(PoolReader.pageSize(directoryName: "hugepages-1048576kB") == 1 << 30)
        #expect(PoolReader.pageSize(directoryName: "demote") == nil)
    }
}
