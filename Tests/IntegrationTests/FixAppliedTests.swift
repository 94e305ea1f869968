import Foundation
import Testing

/// Each induced limit's printed runtime fix, taken from the JSON log and applied as printed; the
/// same command traced again must get past the point where it failed. The shipped l2fwd asks
/// for more than the limit allows by several pages, so a fix sized for the one failing call
/// would fail again on the next page. Everything changed is restored, fix included.
@Suite("Printed fixes, applied", .serialized)
struct FixAppliedTests {
    let hugeprobe = Fixture.binary("hugeprobe")

    /// l2fwd asking for `megabytes` in pages mapped one by one, stopping by itself.
    static func l2fwd(_ stage: HugetlbStage, megabytes: Int, mode: String = "on-demand") -> [String] {
        [Fixture.binary("l2fwd"), "-m", String(megabytes), "--mem-mode", mode, "--huge-dir", stage.mount.path,
         "--vdev", "net_null0", "--", "-T", "0", "--duration", "0.2"]
    }

    /// Runs a printed command as a shell would.
    static func apply(_ command: String) {
        let result = Fixture.run(["sh", "-c", command], timeout: 60)
        #expect(result.status == 0, "applying `\(command)`: \(result)")
    }

    /// The first runtime fix (a command to paste), its number after `echo ` or `=`.
    static func runtimeFix(_ run: DiagnosedRun) throws -> (command: String, note: String) {
        try #require(run.fixes(kind: "runtime").first, "no runtime fix: \(run.json)")
    }

    @Test("hugetlb_cgroup: rsvd.max 8 MiB under -m 32; the printed value is the run's 32 MiB, and the rerun starts", Fixture.privileged)
    func cgroupReservation() throws {
        let stage = try HugetlbStage(pages: 24)
        defer { stage.restore() }
        let root = try #require(CgroupV2.mountPoint(), "no cgroup2 mount")
        try #require(CgroupV2.hasHugetlb(root), "no hugetlb controller in \(root)")
        let cgroup = try CgroupV2(root: root, name: "maptrace-fix-\(getpid())")
        defer { cgroup.remove() }
        try cgroup.write("hugetlb.2MB.rsvd.max", "\(8 << 20)")
        let inCgroup = ["/bin/sh", "-c", "echo $$ > \(cgroup.path)/cgroup.procs && exec \"$@\"", "sh"] + Self.l2fwd(stage, megabytes: 32)

        let failed = try DiagnosedRun.trace(inCgroup)
        #expect(failed.result.status == 128 + SIGABRT, "\(failed.result)")
        #expect(failed.cause == "hugetlb_cgroup", "\(failed.json)")
        let fix = try Self.runtimeFix(failed)
        #expect(fix.command == "echo \(32 << 20) > \(cgroup.path)/hugetlb.2MB.rsvd.max", "\(fix)")
        #expect(fix.note.contains("-m 32 → 16 pages of 2 MiB"), "\(fix.note)")
        #expect(fix.note.contains("8 MiB already charged"), "\(fix.note)")
        #expect(!failed.fixes.contains { $0.contains("\(10 << 20)") }, "the per-call minimum is not offered: \(failed.fixes)")

        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace(inCgroup)
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("hugetlb_cgroup at fault: hugetlb.2MB.max 8 MiB under -m 32 gives SIGBUS; the printed value is the run's 32 MiB", Fixture.privileged)
    func cgroupFaultLimit() throws {
        let stage = try HugetlbStage(pages: 24)
        defer { stage.restore() }
        let root = try #require(CgroupV2.mountPoint(), "no cgroup2 mount")
        try #require(CgroupV2.hasHugetlb(root), "no hugetlb controller in \(root)")
        let cgroup = try CgroupV2(root: root, name: "maptrace-fault-\(getpid())")
        defer { cgroup.remove() }
        try cgroup.write("hugetlb.2MB.max", "\(8 << 20)")
        let inCgroup = ["/bin/sh", "-c", "echo $$ > \(cgroup.path)/cgroup.procs && exec \"$@\"", "sh"] + Self.l2fwd(stage, megabytes: 32)

        let failed = try DiagnosedRun.trace(inCgroup)
        #expect(failed.result.status == 128 + SIGBUS, "MAP_POPULATE cannot report it: the first touch of page 5 is a SIGBUS: \(failed.result)")
        #expect(failed.cause == "hugetlb_cgroup", "\(failed.json)")
        let fix = try Self.runtimeFix(failed)
        #expect(fix.command == "echo \(32 << 20) > \(cgroup.path)/hugetlb.2MB.max", "\(fix)")
        #expect(fix.note.contains("-m 32 → 16 pages of 2 MiB"), "\(fix.note)")

        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace(inCgroup)
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("hugetlbfs_size: size=8M under -m 32; the printed mount holds 16 pages and the rerun starts", Fixture.privileged)
    func mountSize() throws {
        let stage = try HugetlbStage(pages: 24, options: "pagesize=2M,size=8M")
        defer { stage.restore() }
        let command = Self.l2fwd(stage, megabytes: 32)
        let failed = try DiagnosedRun.trace(command)
        #expect(failed.cause == "hugetlbfs_size", "\(failed.json)")
        let fix = try Self.runtimeFix(failed)
        #expect(fix.command.contains("size=32M"), "\(fix)")
        #expect(fix.note.contains("-m 32 → 16 pages of 2 MiB"), "\(fix.note)")

        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace(command)
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("hugepage_pool: 6 pages under -m 32; the printed nr_hugepages holds the run and the rerun starts", Fixture.privileged)
    func pool() throws {
        let stage = try HugetlbStage(pages: 6)
        defer { stage.restore() }
        let command = Self.l2fwd(stage, megabytes: 32)
        let failed = try DiagnosedRun.trace(command)
        #expect(failed.cause == "hugepage_pool", "\(failed.json)")
        let fix = try Self.runtimeFix(failed)
        #expect(fix.command.hasPrefix("echo 16 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), "\(fix)")
        #expect(fix.note.contains("-m 32 → 16 pages of 2 MiB"), "\(fix.note)")

        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace(command)
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("hugetlbfs_inodes: nr_inodes=4 under -m 16 (one file per page); the printed mount holds 8 files", Fixture.privileged)
    func inodes() throws {
        let stage = try HugetlbStage(pages: 12, options: "pagesize=2M,nr_inodes=4")
        defer { stage.restore() }
        let command = Self.l2fwd(stage, megabytes: 16)
        let failed = try DiagnosedRun.trace(command)
        #expect(failed.cause == "hugetlbfs_inodes", "\(failed.json)")
        let fix = try Self.runtimeFix(failed)
        #expect(fix.command.contains("nr_inodes=9"), "8 files and the root: \(fix)")

        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace(command)
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("max_map_count: the printed sysctl covers every free page l2fwd's all-pages maps; the rerun passes", Fixture.privileged)
    func mapCount() throws {
        let stage = try HugetlbStage(pages: 400)
        defer { stage.restore() }
        let limit = try SystemSetting("/proc/sys/vm/max_map_count")
        defer { limit.restore() }
        let command = Self.l2fwd(stage, megabytes: 8, mode: "all-pages")
        // low enough for 400 pages to fail, high enough for maptrace itself to start
        try limit.set("300")
        let failed = try DiagnosedRun.trace(command)
        #expect(failed.cause == "max_map_count", "\(failed.json)")
        let fix = try Self.runtimeFix(failed)
        let value = try #require(Int(fix.command.split(separator: "=").last ?? ""), "\(fix)")
        #expect(value >= 400, "\(fix)")
        #expect(fix.note.contains("every free page (400)"), "\(fix.note)")
        #expect(!failed.fixes.contains { $0.contains("--single-file-segments") }, "not a fix for the area count")

        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace(command)
        limit.restore()
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("overcommit: strict mode refuses more than CommitLimit; the printed sysctl lets the rerun map it", Fixture.privileged)
    func overcommit() throws {
        try Fixture.requirePrivileges()
        let mode = try SystemSetting("/proc/sys/vm/overcommit_memory")
        defer { mode.restore() }
        let bytes = try DiagnosisTests.meminfo("CommitLimit") * 1024 + (1 << 30)
        try mode.set("2")
        let failed = try DiagnosedRun.trace([hugeprobe, "bytes", "\(bytes)"])
        mode.restore()  // strict mode is global: keep its window to the one run
        #expect(failed.cause == "overcommit", "\(failed.json)")
        let fix = try Self.runtimeFix(failed)
        #expect(fix.command == "sysctl -w vm.overcommit_memory=0")

        try mode.set("2")
        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace([hugeprobe, "bytes", "\(bytes)"])
        mode.restore()
        #expect(rerun.result.status == 0, "\(rerun.result)")
    }

    /// The rlimits: the launcher lowers the soft limit, as a service's LimitAS= would; the printed
    /// `ulimit … unlimited` goes into that launcher, after the line that lowered it.
    @Test("rlimit_as, rlimit_data, rlimit_memlock: the printed ulimit, put in the launcher, lets the rerun through",
          arguments: [("-v", "409600", ["bytes", "\(600 << 20)"], "rlimit_as"),
                      ("-d", "65536", ["bytes", "\(200 << 20)"], "rlimit_data"),
                      ("-l", "64", ["bytes", "\(1 << 20)", "locked"], "rlimit_memlock")])
    func rlimits(flag: String, kilobytes: String, probe: [String], cause: String) throws {
        // memlock binds only without CAP_IPC_LOCK: the launcher (root) drops to nobody after it
        // set the limit, and the fix goes where the note says, before privileges are dropped.
        let user = cause == "rlimit_memlock" ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"] : []
        if !user.isEmpty { try Fixture.requirePrivileges() }
        func launcher(_ extra: String) -> [String] {
            ["sh", "-c", "ulimit -S \(flag) \(kilobytes); \(extra) exec \"$@\"", "sh"] + user + [hugeprobe] + probe
        }
        let failed = try DiagnosedRun.trace(launcher(""))
        #expect(failed.cause == cause, "\(failed.json)")
        let ulimit = try #require(failed.fixes(kind: "runtime").first { $0.command.hasPrefix("ulimit ") }, "\(failed.fixes)")
        // unlimited where the hard limit allows it (root with CAP_SYS_RESOURCE), else the soft
        // limit up to the hard one
        #expect(ulimit.command == "ulimit \(flag) unlimited" || ulimit.command.hasPrefix("ulimit -S \(flag) "), "\(ulimit)")
        #expect(ulimit.note.contains("in the shell or script that starts it"))
        let line = ulimit.command

        let rerun = try DiagnosedRun.trace(launcher(line + ";"))
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("l2fwd's pre-check gives up with no failing call: hugepage_pool (likely) with the shortfall in pages, and the printed pool lets it run",
          Fixture.privileged)
    func giveUpWithoutFailure() throws {
        let stage = try HugetlbStage(pages: 8)
        defer { stage.restore() }
        let command = Self.l2fwd(stage, megabytes: 64, mode: "checked")
        let failed = try DiagnosedRun.trace(command)
        #expect(failed.result.status == 1, "\(failed.result)")
        #expect(failed.result.stderr.contains("EAL: Not enough memory available! Requested: 64MB, available: 16MB"))
        #expect(failed.cause == "hugepage_pool", "\(failed.json)")
        #expect(failed.certainty == "likely")
        #expect(failed.failureKind == "exit", "\(failed.json)")
        #expect(failed.evidence("shortfall_pages") == 24, "32 pages asked, 8 free: \(failed.json)")
        #expect(failed.evidence("needed_pages") == 32)
        #expect(failed.result.stderr.contains("gave up without a failing memory call"))
        #expect(failed.result.stderr.contains("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"), "what it read is named")
        let fix = try Self.runtimeFix(failed)
        #expect(fix.command.hasPrefix("echo 32 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), "\(fix)")

        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace(command)
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("l2fwd's pre-check gives up while stale files pin part of the pool: the diagnosis names them and the fix deletes them first",
          Fixture.privileged)
    func giveUpWithStaleFiles() throws {
        let stage = try HugetlbStage(pages: 8)
        defer { stage.restore() }
        // a crashed run's leftovers on the same mount: three files holding a page each, unmapped
        for i in 0..<3 {
            let fd = open("\(stage.mount.path)/stale_\(i)", O_RDWR | O_CREAT, 0o600)
            let p = mmap(nil, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            #expect(fd >= 0 && p != MAP_FAILED)
            p?.storeBytes(of: 1, as: UInt8.self)
            munmap(p, 2 << 20)
            close(fd)
        }
        let failed = try DiagnosedRun.trace(Self.l2fwd(stage, megabytes: 16, mode: "checked"))
        #expect(failed.result.status == 1, "\(failed.result)")
        #expect(failed.cause == "hugepage_pool", "\(failed.json)")
        #expect(failed.failureKind == "exit", "\(failed.json)")
        #expect(failed.json.contains("3 stale files no process maps pin 3 of 8 pages"), "\(failed.json)")
        #expect(failed.fixes.first?.hasPrefix("rm -f \(stage.mount.path)/stale_") == true, "\(failed.fixes)")
    }

    @Test("l2fwd's pre-check statfs's a size=8M mount and gives up under -m 32: hugetlbfs_size (likely); the printed mount lets it run",
          Fixture.privileged)
    func giveUpOnMountSize() throws {
        let stage = try HugetlbStage(pages: 24, options: "pagesize=2M,size=8M")
        defer { stage.restore() }
        let command = Self.l2fwd(stage, megabytes: 32, mode: "checked")
        let failed = try DiagnosedRun.trace(command)
        #expect(failed.result.status == 1, "\(failed.result)")
        #expect(failed.result.stderr.contains("statfs(\"\(stage.mount.path)\", {f_type=HUGETLBFS_MAGIC, f_bsize=2097152, f_blocks=4, f_bfree=4"),
                "the statfs call is traced and decoded: \(failed.result.stderr)")
        #expect(failed.cause == "hugetlbfs_size", "\(failed.json)")
        #expect(failed.certainty == "likely")
        #expect(failed.json.contains(stage.mount.path), "the mount it looked at is named")
        let fix = try Self.runtimeFix(failed)
        #expect(fix.command.contains("size=32M"), "\(fix)")

        Self.apply(fix.command)
        let rerun = try DiagnosedRun.trace(command)
        #expect(rerun.result.status == 0, "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
    }

    @Test("a run that exits 1 after looking at the pool, with enough pages: one line says nothing falls short", Fixture.privileged)
    func giveUpWithNothingShort() throws {
        let stage = try HugetlbStage(pages: 8)
        defer { stage.restore() }
        // -m 4 fits the pool; the pcap input that does not exist fails the run after its memory init.
        let command = [Fixture.binary("l2fwd"), "-m", "4", "--mem-mode", "checked", "--huge-dir", stage.mount.path,
                       "--vdev", "net_pcap0,rx_pcap=/nonexistent/in.pcap", "--", "-T", "0"]
        let run = try DiagnosedRun.trace(command)
        #expect(run.result.status != 0, "\(run.result)")
        #expect(run.diagnoses.isEmpty, "\(run.json)")
        #expect(run.result.stderr.contains("nothing maptrace reads falls short of -m 4 → 2 pages of 2 MiB: look elsewhere"),
                "\(run.result.stderr)")
    }
}

/// Calls refused on their range, not on a limit: each names the kernel's check.
@Suite("Range failures on a real process")
struct RangeFailureTests {
    @Test("mlock of PROT_NONE, mremap without MAYMOVE, MAP_FIXED past TASK_SIZE, brk(-1), brk into a mapping, a wrapping MAP_HUGETLB length",
          arguments: [("mlock-protnone", "bad_range", "PROT_NONE"),
                      ("mremap-nomove", "address_space", "without MREMAP_MAYMOVE"),
                      ("fixed-past-top", "address_space", "TASK_SIZE"),
                      ("brk-minus1", "address_space", "check_brk_limits"),
                      ("brk-into-mapping", "address_space", "is in the way"),
                      ("hugetlb-huge-length", "hugepage_alignment", "wraps past 2^64")])
    func rangeFailure(scenario: String, cause: String, words: String) throws {
        let run = try DiagnosedRun.trace([Fixture.binary("hugeprobe"), "range", scenario])
        #expect(run.result.stdout.contains("\(scenario) failed:"), "\(run.result)")
        #expect(run.cause == cause, "\(run.json)")
        #expect(run.certainty == "confirmed")
        #expect(run.json.contains(words), "\(run.json)")
        #expect(run.alsoExceeded.isEmpty, "no limit is claimed after a range refusal: \(run.json)")
        #expect(!run.json.contains("arguments aligned"), "no check claimed that was not made")
    }
}
