import Foundation
import Testing

/// Fault injection and -c on the shipped l2fwd, on a healthy machine: the failure is rehearsed,
/// not caused by a limit.
@Suite("l2fwd under -e inject and -c", .serialized)
struct L2fwdInjectionTests {
    let maptrace = Fixture.binary("maptrace")

    /// Which mmap of l2fwd's main thread maps its `page`th hugetlbfs page (1-based), counted from
    /// a traced run as `when=` counts: per thread, every mmap.
    func mmapOccurrence(ofPage page: Int, stage: L2fwdStage, mode: String) throws -> Int {
        let file = stage.file("mmaps")
        let probe = Fixture.run([maptrace, "--no-status", "-e", "trace=mmap", "-o", file, "--"]
                                + stage.command(eal: ["-m", "8", "--mem-mode", mode, "--file-prefix", "mt", "--vdev", "net_ring0"],
                                                app: ["-T", "0", "--duration", "0.1"]), timeout: 60)
        #expect(probe.status == 0, "\(probe)")
        let lines = try Fixture.readFile(file).split(separator: "\n").map(String.init).filter { $0.contains("] mmap(") }
        let main = try #require(lines.first?.firstMatch(of: #/^\[pid (\d+)\]/#)?.1)
        let mine = lines.filter { $0.hasPrefix("[pid \(main)] ") }
        let hugetlb = mine.indices.filter { mine[$0].contains("<\(stage.mount.path)/") }
        try #require(hugetlb.count >= page, "\(mine)")
        return hugetlb[page - 1] + 1
    }

    @Test("an injected ENOMEM at l2fwd's third page: l2fwd aborts as DPDK 16.04's EAL does, the cause is injected, no limit was touched",
          Fixture.privileged, arguments: ["all-pages", "on-demand"])
    func injectedENOMEM(mode: String) throws {
        let stage = try L2fwdStage(pages: 8)
        defer { stage.tearDown() }
        let maxMapCount = try SystemSetting.read("/proc/sys/vm/max_map_count")
        let when = try mmapOccurrence(ofPage: 3, stage: stage, mode: mode)
        let result = Fixture.run([maptrace, "--no-status", "-e", "inject=mmap:error=ENOMEM:when=\(when)", "--"]
                                 + stage.command(eal: ["-m", "8", "--mem-mode", mode, "--file-prefix", "mt", "--vdev", "net_ring0"],
                                                 app: ["-T", "0", "--duration", "0.1"]), timeout: 60)
        #expect(result.status == 128 + SIGABRT, "\(result)")
        let injected = result.stderr.split(separator: "\n").filter { $0.contains("(INJECTED)") && $0.hasPrefix("[pid ") }
        #expect(injected.count == 1 && injected[0].contains("<\(stage.mount.path)/mtmap_2>"), "\(result)")
        #expect(result.stderr.contains("EAL: map_all_hugepages(): mmap failed: Cannot allocate memory"))
        #expect(result.stderr.contains("  cause:      injected (confirmed)"), "\(result)")
        #expect(result.stderr.contains("at its \(when)"), "\(result)")
        #expect(result.stderr.contains("the program made no more mappings and was killed by SIGABRT"), "\(result)")
        #expect(result.stderr.contains("first failure: mmap ENOMEM after 2 hugetlb mappings"))
        #expect(try SystemSetting.read("/proc/sys/vm/max_map_count") == maxMapCount)
        #expect(stage.mount.files.isEmpty && stage.pool.freePages == 8, "l2fwd's panic removed its files")
    }

    @Test("-c on l2fwd: the table counts its hugetlbfs mmaps and munmaps, the areas they added and removed, and the bytes",
          Fixture.privileged)
    func summaryOfL2fwd() throws {
        let stage = try L2fwdStage(pages: 8)
        defer { stage.tearDown() }
        // all-pages with -m 8: maps the 8 free pages, keeps 4, releases those 4 at exit
        let result = Fixture.run([maptrace, "-c", "--no-status", "--"]
                                 + stage.command(eal: ["-m", "8", "--file-prefix", "mt", "--vdev", "net_ring0"],
                                                 app: ["-T", "0", "--duration", "0.1"]), timeout: 60)
        #expect(result.status == 0, "\(result)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        func column(_ line: String, _ start: Int, _ width: Int) -> Int? {
            let chars = Array(line)
            guard chars.count >= start + width else { return nil }
            return Int(String(chars[start..<(start + width)]).trimmingCharacters(in: .whitespaces))
        }
        let mmap = try #require(lines.first { $0.hasSuffix(" mmap") }, "\(result)")
        let munmap = try #require(lines.first { $0.hasSuffix(" munmap") }, "\(result)")
        #expect((column(mmap, 31, 9) ?? 0) >= 8 && (column(mmap, 51, 8) ?? 0) >= 8, "\(mmap)")
        #expect((column(munmap, 31, 9) ?? 0) >= 8 && (column(munmap, 60, 8) ?? 0) >= 8, "\(munmap)")
        #expect(lines.contains("hugetlb: 16 MiB mapped, 16 MiB unmapped (2 MiB pages)"), "\(result)")
        #expect(!lines.contains { $0.contains("] mmap(") })
        print(lines.filter { $0.contains("syscall") || $0.hasSuffix("mmap") || $0.hasSuffix("total") || $0.hasPrefix("hugetlb:") }
            .joined(separator: "\n"))
    }
}
