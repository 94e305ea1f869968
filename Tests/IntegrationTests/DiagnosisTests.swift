import Foundation
import Testing

/// Each limit induced for real on a traced process; the diagnosis must name it. Every global
/// setting is restored, even when a test fails.
@Suite("Real limits, real diagnoses", .serialized)
struct DiagnosisTests {
    let hugeprobe = Fixture.binary("hugeprobe")
    let l2fwd = Fixture.binary("l2fwd")

    @Test("l2fwd mapping every free page one by one runs into a lowered vm.max_map_count (the demo)", Fixture.privileged)
    func maxMapCount() throws {
        let stage = try HugetlbStage(pages: 400)
        defer { stage.restore() }
        let mount = stage.mount
        let limit = try SystemSetting("/proc/sys/vm/max_map_count")
        defer { limit.restore() }
        try limit.set("300")

        let run = try DiagnosedRun.trace([l2fwd, "-m", "64", "--huge-dir", mount.path, "--", "-p0x1"])
        limit.restore()
        let out = run.result.stdout + run.result.stderr
        #expect(out.contains("EAL: map_all_hugepages(): mmap failed: Cannot allocate memory"))
        #expect(out.contains("EAL: Failed to mmap 2 MB hugepages"))
        #expect(out.contains("PANIC in rte_eal_init():"))
        #expect(out.contains("Cannot init memory"))
        #expect(run.result.status == 128 + SIGABRT, "l2fwd aborts as rte_panic does: \(run.result.status)")
        #expect(run.cause == "max_map_count", "\(run.json)")
        #expect(run.certainty == "confirmed")
        #expect(run.evidence("max_map_count") == 300)
        #expect(run.evidence("map_count") == 301, "mmap fails at max+1 areas")
        // the fix computed from the evidence lets the whole pool be mapped one page per mapping
        let sysctl = try #require(run.fixes.first { $0.hasPrefix("sysctl -w vm.max_map_count=") })
        let value = try #require(Int(sysctl.dropFirst("sysctl -w vm.max_map_count=".count).prefix { $0.isNumber }))
        #expect(value >= 400 + 40)
        #expect(run.result.stderr.contains("cause:"))
        #expect(run.result.stderr.contains("max_map_count (confirmed)"))
        // the code that made the call, as strace -k would show it: l2fwd's EAL-style page mapping
        let from = run.result.stderr.split(separator: "\n").first { $0.hasPrefix("  from:") } ?? ""
        #expect(from.contains("__mmap") && from.contains("l2fwd.HugepageMemory.") && from.contains("(l2fwd)"), "\(from)")
        #expect(mount.files.isEmpty, "l2fwd removes its page files: \(mount.files.prefix(3))")
    }

    @Test("--on-enomem=kill kills at the failing call; the program's own error never runs", Fixture.privileged)
    func killAtFailure() throws {
        let stage = try HugetlbStage(pages: 3)
        defer { stage.restore() }
        let mount = stage.mount
        let run = try DiagnosedRun.trace([hugeprobe, "until-fail", mount.path, "10"], options: ["--on-enomem=kill"])
        #expect(run.result.status == 128 + SIGKILL)
        #expect(!run.result.stdout.contains("mmap failed at"))
        #expect(run.cause == "hugepage_pool")
    }

    @Test("--on-enomem=hold keeps the process in its stop until SIGINT, then lets it go on", Fixture.privileged)
    func holdAtFailure() throws {
        let stage = try HugetlbStage(pages: 3)
        defer { stage.restore() }
        let mount = stage.mount
        let tracer = try Fixture.start([Fixture.binary("maptrace"), "--no-status", "--on-enomem=hold", "--", hugeprobe, "until-fail", mount.path, "10"])
        defer { tracer.send(SIGKILL); _ = tracer.wait(timeout: 5) }
        #expect(tracer.waitForOutput(containing: "holding pid", timeout: 30))
        let held = try #require(tracer.stderrSoFar.firstMatch(of: #/holding pid (\d+)/#).flatMap { Int32($0.1) })
        usleep(300_000)
        let state = try Fixture.readFile("/proc/\(held)/status")
        #expect(state.contains("State:\tt (tracing stop)"), "held in its ptrace stop")
        #expect(!tracer.stdoutSoFar.contains("mmap failed at"), "its own error has not run yet")
        tracer.send(SIGINT)
        let result = tracer.wait(timeout: 30)
        #expect(result.status == 1, "released, it goes on and exits with its own status")
        #expect(result.stdout.contains("mmap failed at 3: Cannot allocate memory"))
        #expect(result.stderr.contains("released pid \(held)"))
    }

    @Test("-p: a process attached while running is diagnosed at its first failure, then left to finish", Fixture.privileged)
    func attachedFailure() throws {
        let stage = try HugetlbStage(pages: 4)
        defer { stage.restore() }
        let target = try Fixture.start([hugeprobe, "later", stage.mount.path, "10", "1.5"])
        defer { target.send(SIGKILL); _ = target.wait(timeout: 5) }
        #expect(target.waitForOutput(containing: "ready", timeout: 10))
        let tracer = try Fixture.start([Fixture.binary("maptrace"), "--no-status", "-p", String(target.pid)])
        defer { tracer.send(SIGKILL); _ = tracer.wait(timeout: 5) }
        let result = tracer.wait(timeout: 60)
        #expect(result.status == 1, "maptrace ends with the attached process's status: \(result.stderr)")
        #expect(result.stderr.contains("attached to pid \(target.pid)"))
        #expect(result.stderr.contains("cause:      hugepage_pool (confirmed)"), "\(result.stderr)")
        #expect(result.stderr.contains("from:       __mmap"))
        #expect(target.wait(timeout: 10).stdout.contains("mmap failed at 4: Cannot allocate memory"))
    }

    @Test("more pages asked than free − reserved: hugepage_pool", Fixture.privileged)
    func hugepagePool() throws {
        let stage = try HugetlbStage(pages: 12)
        defer { stage.restore() }
        let mount = stage.mount
        let run = try DiagnosedRun.trace([hugeprobe, "until-fail", mount.path, "40"])
        #expect(run.result.stdout.contains("mmap failed at 12: Cannot allocate memory"))
        #expect(run.cause == "hugepage_pool", "\(run.json)")
        #expect(run.certainty == "confirmed")
    }

    @Test("stale files on hugetlbfs pin the pool; the diagnosis names them", Fixture.privileged)
    func staleFiles() throws {
        let stage = try HugetlbStage(pages: 10)
        defer { stage.restore() }
        let mount = stage.mount
        // a crashed run's leftovers: files that hold pages nobody maps
        for i in 0..<6 {
            let fd = open("\(mount.path)/rtemap_\(i)", O_RDWR | O_CREAT, 0o600)
            #expect(fd >= 0)
            let p = mmap(nil, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            #expect(p != MAP_FAILED)
            p?.storeBytes(of: 1, as: UInt8.self)
            munmap(p, 2 << 20)
            close(fd)
        }
        let run = try DiagnosedRun.trace([hugeprobe, "until-fail", mount.path, "40"])
        #expect(run.result.stdout.contains("mmap failed at 4: Cannot allocate memory"))
        #expect(run.cause == "hugepage_pool", "\(run.json)")
        #expect(run.json.contains("\(mount.path)/rtemap_0"), "the stale files are named: \(run.json)")
        #expect(run.fixes.contains { $0.contains("rm -f") && $0.contains("rtemap_") })
    }

    @Test("a hugetlbfs mount with a small size=: hugetlbfs_size", Fixture.privileged)
    func hugetlbfsSize() throws {
        let stage = try HugetlbStage(pages: 16, options: "pagesize=2M,size=8M")
        defer { stage.restore() }
        let mount = stage.mount
        let run = try DiagnosedRun.trace([hugeprobe, "until-fail", mount.path, "40"])
        #expect(run.result.stdout.contains("mmap failed at 4: Cannot allocate memory"))
        #expect(run.cause == "hugetlbfs_size", "\(run.json)")
        #expect(run.certainty == "confirmed")
    }

    @Test("a hugetlbfs mount with a small nr_inodes=: ENOSPC on open, hugetlbfs_inodes", Fixture.privileged)
    func hugetlbfsInodes() throws {
        try Fixture.requirePrivileges()
        let mount = try HugetlbfsMount(options: "pagesize=2M,nr_inodes=4")
        defer { mount.unmount() }
        let run = try DiagnosedRun.trace([hugeprobe, "create", mount.path, "10"])
        #expect(run.result.stdout.contains("open failed at 3: No space left on device"))
        #expect(run.cause == "hugetlbfs_inodes", "\(run.json)")
        #expect(run.result.stderr.contains("= -1 ENOSPC (No space left on device)"))
    }

    @Test("a cgroup v2 child with a small hugetlb.2MB.rsvd.max: hugetlb_cgroup", Fixture.privileged)
    func hugetlbCgroup() throws {
        try Fixture.requirePrivileges()
        let root = try #require(CgroupV2.mountPoint(), "no cgroup2 mount")
        guard CgroupV2.hasHugetlb(root) else {
            #expect(!Fixture.isCI, "the hugetlb controller is missing from \(root)")
            print("skipped: the hugetlb controller is not available in \(root)")
            return
        }
        let pool = try HugePagePool.reserve(pages: 16)
        defer { pool.restore() }
        let mount = try HugetlbfsMount()
        defer { mount.unmount() }
        let cgroup = try CgroupV2(root: root, name: "maptrace-test-\(getpid())")
        defer { cgroup.remove() }
        try cgroup.write("hugetlb.2MB.rsvd.max", "\(6 << 20)")
        let run = try DiagnosedRun.trace(["/bin/sh", "-c", "echo $$ > \(cgroup.path)/cgroup.procs && exec \(hugeprobe) until-fail \(mount.path) 40"])
        #expect(run.result.stdout.contains("mmap failed at 3: Cannot allocate memory"))
        #expect(run.cause == "hugetlb_cgroup", "\(run.json)")
        #expect(run.json.contains(cgroup.name))
    }

    @Test("MAP_NORESERVE beyond the pool, then a touch: SIGBUS, hugetlb_fault", Fixture.privileged)
    func hugetlbFault() throws {
        try Fixture.requirePrivileges()
        let pool = try HugePagePool.reserve(pages: 4)
        defer { pool.restore() }
        let run = try DiagnosedRun.trace([hugeprobe, "noreserve", "10"])
        #expect(run.result.stdout.contains("SIGBUS after 4 pages"))
        #expect(run.result.status == 2, "the program handles the SIGBUS itself: it must still get it")
        #expect(run.cause == "hugetlb_fault", "\(run.json)")
        #expect(run.failureKind == "fault", "\(run.json)")
        #expect(run.result.stderr.contains("--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR"))
    }

    @Test("prlimit --as on the traced process: rlimit_as")
    func rlimitAS() throws {
        let run = try DiagnosedRun.trace(["prlimit", "--as=\(400 << 20)", hugeprobe, "bytes", "\(600 << 20)"])
        #expect(run.result.stdout.contains("mmap of \(600 << 20) bytes failed: Cannot allocate memory"))
        #expect(run.cause == "rlimit_as", "\(run.json)")
        #expect(run.certainty == "confirmed")
        #expect(run.fixes.contains { $0.contains("ulimit -v unlimited") || $0.contains("--as=unlimited") })
    }

    @Test("prlimit --data on the traced process: rlimit_data")
    func rlimitData() throws {
        let run = try DiagnosedRun.trace(["prlimit", "--data=\(64 << 20)", hugeprobe, "bytes", "\(200 << 20)"])
        #expect(run.result.stdout.contains("failed: Cannot allocate memory"))
        #expect(run.cause == "rlimit_data", "\(run.json)")
    }

    @Test("MAP_LOCKED over RLIMIT_MEMLOCK without CAP_IPC_LOCK: EAGAIN, rlimit_memlock", Fixture.privileged)
    func rlimitMemlock() throws {
        try Fixture.requirePrivileges()
        let run = try DiagnosedRun.trace(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                          "prlimit", "--memlock=\(64 << 10)", hugeprobe, "bytes", "\(1 << 20)", "locked"])
        #expect(run.result.stdout.contains("failed: Resource temporarily unavailable"), "\(run.result.stdout)\(run.result.stderr)")
        #expect(run.cause == "rlimit_memlock", "\(run.json)")
    }

    @Test("strict overcommit for the test's duration only: overcommit", Fixture.privileged)
    func overcommit() throws {
        try Fixture.requirePrivileges()
        let mode = try SystemSetting("/proc/sys/vm/overcommit_memory")
        defer { mode.restore() }
        let commitLimit = try Self.meminfo("CommitLimit") * 1024
        // mode 2 is global and can fail other processes: keep the window to this one run
        try mode.set("2")
        let run = try DiagnosedRun.trace([hugeprobe, "bytes", "\(commitLimit + (1 << 30))"])
        mode.restore()
        #expect(run.result.stdout.contains("failed: Cannot allocate memory"))
        #expect(run.cause == "overcommit", "\(run.json)")
    }

    static func meminfo(_ key: String) throws -> Int {
        let text = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(key + ":") })
        return try #require(Int(line.split(separator: " ")[1]))
    }
}

/// A cgroup v2 child made for one test, removed afterwards (its processes have exited by then).
final class CgroupV2 {
    let path: String
    let name: String
    private let enabledHugetlb: Bool
    private let root: String

    static func mountPoint() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.contains(" - cgroup2 ") {
            return String(line.split(separator: " ")[4])
        }
        return nil
    }

    static func hasHugetlb(_ root: String) -> Bool {
        ((try? String(contentsOfFile: "\(root)/cgroup.controllers", encoding: .utf8)) ?? "").contains("hugetlb")
    }

    init(root: String, name: String) throws {
        self.root = root
        self.name = name
        path = "\(root)/\(name)"
        let control = (try? String(contentsOfFile: "\(root)/cgroup.subtree_control", encoding: .utf8)) ?? ""
        enabledHugetlb = !control.contains("hugetlb")
        if enabledHugetlb { try "+hugetlb".write(toFile: "\(root)/cgroup.subtree_control", atomically: false, encoding: .utf8) }
        guard mkdir(path, 0o755) == 0 else { throw FixtureError.system("mkdir \(path)", errno: errno) }
    }

    func write(_ file: String, _ value: String) throws {
        try value.write(toFile: "\(path)/\(file)", atomically: false, encoding: .utf8)
    }

    func remove() {
        rmdir(path)
        if enabledHugetlb { try? "-hugetlb".write(toFile: "\(root)/cgroup.subtree_control", atomically: false, encoding: .utf8) }
    }
}
