import Foundation
import Testing

/// l2fwd's EAL memory: how many page files and mappings each --mem-mode makes, their names,
/// their removal, and the classic failure of the 16.04 layout.
@Suite("l2fwd memory modes", .serialized)
struct L2fwdMemoryTests {
    /// What a running l2fwd holds in each mode with `-m 8` (four 2 MB pages) from a pool of 16.
    @Test(
        "each memory mode keeps the files and mappings it should while forwarding, and removes them at exit",
        Fixture.privileged,
        arguments: [
            ("all-pages", 16, ["mtmap_0", "mtmap_1", "mtmap_2", "mtmap_3"], 4),
            ("on-demand", 4, ["mtmap_0", "mtmap_1", "mtmap_2", "mtmap_3"], 4),
            ("single-file", 4, ["mtmap_0"], 1),
        ])
    func mappingsPerMode(mode: String, mappedAtInit: Int, files: [String], mappings: Int) throws {
        let stage = try L2fwdStage(pages: 16)
        defer { stage.tearDown() }
        let process = try Fixture.start(
            stage.command(eal: ["-m", "8", "--mem-mode", mode, "--file-prefix", "mt", "--vdev", "net_ring0"], app: ["-T", "0"]))
        defer {  // on an early failure: stopped before the mount goes, or umount would find it busy
            process.send(SIGKILL)
            process.wait(timeout: 20)
        }
        #expect(process.waitForOutput(containing: "L2FWD: lcore"), "\(process.stdoutSoFar)\(process.stderrSoFar)")

        let mapped = hugepageMappings(pid: process.pid, under: stage.mount.path)
        #expect(mapped.count == mappings, "\(mapped)")
        #expect(Set(mapped.compactMap { $0.split(separator: "/").last.map(String.init) }) == Set(files))
        #expect(stage.mount.files == files)
        #expect(stage.pool.freePages == 16 - 4, "the pages beyond -m went back to the pool")
        #expect(process.stdoutSoFar.contains("EAL: Mapped \(mappedAtInit) hugepages of 2 MB"), "\(process.stdoutSoFar)")

        process.send(SIGTERM)
        let result = process.wait(timeout: 20)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Signal \(SIGTERM) received"))
        #expect(result.stdout.contains("EAL: Released \(mappings) mapping(s), removed \(files.count) file(s)"))
        #expect(stage.mount.files.isEmpty, "left behind: \(stage.mount.files)")
        #expect(stage.pool.freePages == 16)
    }

    @Test("all-pages keeps only what -m asks for and says so", Fixture.privileged)
    func allPagesTrimsToRequest() throws {
        let stage = try L2fwdStage(pages: 12)
        defer { stage.tearDown() }
        let result = Fixture.run(stage.command(eal: ["-m", "6"], app: ["--duration", "0.2", "-T", "0"]), timeout: 30)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("EAL: Mapped 12 hugepages of 2 MB (24 MB) from \(stage.mount.path)"))
        #expect(result.stdout.contains("EAL: Kept 3 hugepages (6 MB) for -m 6"))
        #expect(stage.mount.files.isEmpty)
    }

    /// The seed case in miniature: a vm.max_map_count that leaves room for the pages -m needs
    /// but not for one mapping per free page.
    @Test("with vm.max_map_count below one mapping per free page, all-pages aborts with DPDK's lines and on-demand runs", Fixture.privileged)
    func classicFailure() throws {
        let stage = try L2fwdStage(pages: 48)
        defer { stage.tearDown() }
        let command = stage.command(eal: ["-m", "8", "--mem-mode", "on-demand", "--vdev", "net_ring0"], app: ["-T", "0"])

        // The mappings a running l2fwd needs with -m 8, libraries and thread stacks included.
        let probe = try Fixture.start(command)
        #expect(probe.waitForOutput(containing: "L2FWD: lcore"))
        let running = ((try? Fixture.readFile("/proc/\(probe.pid)/maps")) ?? "").split(separator: "\n").count
        probe.send(SIGTERM)
        #expect(probe.wait(timeout: 20).status == 0)
        try #require(running > 4)
        print("l2fwd -m 8 runs with \(running) mappings; vm.max_map_count set to \(running + 4)")

        // Room for that and four more; 48 page mappings at once cannot fit. The limit binds every
        // process, the test runner too (posix_spawn maps a stack for its child), so a shell sets
        // it after it has been started, runs l2fwd and puts it back; the defer is a second line.
        let path = "/proc/sys/vm/max_map_count"
        let original = try SystemSetting.read(path)
        defer { try? SystemSetting.write(original, to: path) }
        func underLimit(_ command: [String]) -> ProcessResult {
            let script = "echo \(running + 4) > \(path); \"$@\"; status=$?; echo \(original) > \(path); exit $status"
            return Fixture.run(["sh", "-c", script, "sh"] + command, timeout: 60)
        }

        let failed = underLimit(stage.command(eal: ["-m", "8"], app: ["-T", "0", "--duration", "0.2"]))
        #expect(failed.status == 128 + SIGABRT, "\(failed)")
        let expected = [
            "EAL: map_all_hugepages(): mmap failed: Cannot allocate memory",
            "EAL: Failed to mmap 2 MB hugepages",
            "PANIC in rte_eal_init():",
            "Cannot init memory",
        ]
        #expect(Array(failed.stderr.split(separator: "\n").map(String.init).prefix(4)) == expected, "\(failed)")
        #expect(stage.mount.files.isEmpty, "the failed run left \(stage.mount.files)")
        #expect(stage.pool.freePages == 48)

        let passed = underLimit(
            stage.command(eal: ["-m", "8", "--mem-mode", "on-demand", "--vdev", "net_ring0"], app: ["-T", "0", "--duration", "0.2"]))
        #expect(passed.status == 0, "\(passed)")
        #expect(stage.mount.files.isEmpty)
        #expect(try SystemSetting.read(path) == original)
    }

    @Test("without a hugetlbfs mount of the default page size, l2fwd says so and exits 1", Fixture.privileged)
    func noMount() throws {
        try Fixture.requirePrivileges()
        // A private mount namespace with every hugetlbfs unmounted: the host's stay as they are.
        let result = Fixture.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             "umount -a -t hugetlbfs 2>/dev/null; exec \"$@\"", "sh", Fixture.binary("l2fwd"), "-m", "2"],
            timeout: 30)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("EAL: no hugetlbfs mount of 2 MB pages found"), "\(result)")
    }
}
