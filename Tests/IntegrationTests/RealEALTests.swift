import Foundation
import Testing

/// DPDK's own l2fwd example, built from the sources Debian's libdpdk-dev ships against its DPDK
/// 22.11 libraries: a real modern EAL, whose pre-check and page-by-page dynamic memory maptrace
/// must explain.
@Suite("A real DPDK 22.11 EAL", .serialized)
struct RealEALTests {
    static let source = "/usr/share/dpdk/examples/l2fwd/main.c"

    /// Compiles DPDK's l2fwd example into a temporary directory; nil (with the reason printed)
    /// where the sources or the compiler are missing.
    static func build() throws -> String? {
        guard access(source, R_OK) == 0, Fixture.run(["pkg-config", "--exists", "libdpdk"]).status == 0 else {
            #expect(!Fixture.isCI, "DPDK's example sources (libdpdk-dev) are missing")
            print("skipped: \(source) or libdpdk's pkg-config file is missing")
            return nil
        }
        let directory = try Fixture.makeTemporaryDirectory(prefix: "maptrace-dpdk")
        let binary = directory + "/dpdk-l2fwd"
        let flags = Fixture.run(["pkg-config", "--cflags", "--libs", "libdpdk"]).stdout
            .split(whereSeparator: \.isWhitespace).map(String.init)
        let compiled = Fixture.run(["cc", "-O1", "-w", "-o", binary, source] + flags, timeout: 120)
        try #require(compiled.status == 0, "\(compiled)")
        return binary
    }

    static func command(_ binary: String, _ stage: HugetlbStage, megabytes: Int) -> [String] {
        [binary, "--no-pci", "--no-telemetry", "-l", "0", "-m", String(megabytes), "--huge-dir", stage.mount.path,
         "--file-prefix", "maptrace\(getpid())", "--", "-p", "0x1"]
    }

    @Test("-m 64 with 16 free pages: the EAL's own pre-check gives up; hugepage_pool (likely), 16 pages short; the printed pool gets it past memory init",
          Fixture.privileged)
    func preCheck() throws {
        guard let binary = try Self.build() else { return }
        defer { try? FileManager.default.removeItem(atPath: (binary as NSString).deletingLastPathComponent) }
        let stage = try HugetlbStage(pages: 16)
        defer { stage.restore() }
        let command = Self.command(binary, stage, megabytes: 64)
        let failed = try DiagnosedRun.trace(command)
        #expect(failed.result.status == 1, "\(failed.result)")
        #expect(failed.result.stderr.contains("EAL: Not enough memory available! Requested: 64MB, available: 32MB"))
        #expect(failed.cause == "hugepage_pool", "\(failed.json)")
        #expect(failed.certainty == "likely")
        #expect(failed.evidence("shortfall_pages") == 16, "\(failed.json)")
        let fix = try #require(failed.fixes(kind: "runtime").first)
        #expect(fix.command.hasPrefix("echo 32 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), "\(fix)")

        FixAppliedTests.apply(fix.command)
        // With no port the example still exits 1 ("No Ethernet ports"), but past its memory init:
        // maptrace finds nothing short and says so in one line.
        let rerun = try DiagnosedRun.trace(command)
        #expect(!rerun.result.stderr.contains("Not enough memory available"), "\(rerun.result)")
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
        #expect(rerun.result.stderr.contains("nothing maptrace reads falls short of -m 64 → 32 pages of 2 MiB"), "\(rerun.result.stderr)")
    }

    @Test("-m 64 in a cgroup with rsvd.max 16 MiB: the dynamic EAL's page-by-page mmap fails; the printed limit is the run's 64 MiB and the rerun passes memory init",
          Fixture.privileged)
    func cgroupUnderDynamicMemory() throws {
        guard let binary = try Self.build() else { return }
        defer { try? FileManager.default.removeItem(atPath: (binary as NSString).deletingLastPathComponent) }
        let stage = try HugetlbStage(pages: 48)
        defer { stage.restore() }
        let root = try #require(CgroupV2.mountPoint(), "no cgroup2 mount")
        try #require(CgroupV2.hasHugetlb(root), "no hugetlb controller in \(root)")
        let cgroup = try CgroupV2(root: root, name: "maptrace-eal-\(getpid())")
        defer { cgroup.remove() }
        try cgroup.write("hugetlb.2MB.rsvd.max", "\(16 << 20)")
        let command = ["/bin/sh", "-c", "echo $$ > \(cgroup.path)/cgroup.procs && exec \"$@\"", "sh"]
            + Self.command(binary, stage, megabytes: 64)
        let failed = try DiagnosedRun.trace(command)
        #expect(failed.cause == "hugetlb_cgroup", "\(failed.json)")
        let fix = try #require(failed.fixes(kind: "runtime").first)
        #expect(fix.command == "echo \(64 << 20) > \(cgroup.path)/hugetlb.2MB.rsvd.max", "\(fix)")
        #expect(fix.note.contains("-m 64 → 32 pages of 2 MiB"), "\(fix.note)")

        FixAppliedTests.apply(fix.command)
        let rerun = try DiagnosedRun.trace(command)
        #expect(rerun.diagnoses.isEmpty, "\(rerun.json)")
        #expect(!rerun.result.stderr.contains("Cannot init memory"), "\(rerun.result)")
    }
}
