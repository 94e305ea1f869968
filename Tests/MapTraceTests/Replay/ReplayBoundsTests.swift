import Testing
@testable import MapTrace

/// A count known only within bounds rules nothing out that its upper bound reaches.
@Suite("Replay: counts as bounds")
struct ReplayBoundsTests {
    /// A plain `strace -f` log (no -y): execve, then `pages` rtemap files opened and mapped, the
    /// last mmap refused with ENOMEM.
    static func log(pages: Int, withMprotect: Bool = true) -> String {
        var lines = ["100 execve(\"./dpdk-app\", [\"./dpdk-app\", \"-m\", \"64\"], 0x7ffd /* 20 vars */) = 0",
                     "100 brk(NULL) = 0x55d000000000", "100 read(3, \"x\", 1) = 1"]
        if withMprotect { lines.append("100 mprotect(0x7f0000000000, 4096, PROT_READ) = 0") }
        lines.append("100 munmap(0x7f1000000000, 4096) = 0")
        for i in 0..<pages {
            let fd = 16
            lines.append("100 openat(AT_FDCWD, \"/dev/hugepages/rtemap_\(i)\", O_RDWR|O_CREAT, 0600) = \(fd)")
            let address = String(0x7e00_0000_0000 + UInt64(i) * 0x40_0000, radix: 16)
            if i == pages - 1 {
                lines.append("100 mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, \(fd), 0) = -1 ENOMEM (Cannot allocate memory)")
            } else {
                lines.append("100 mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, \(fd), 0) = 0x\(address)")
                lines.append("100 close(\(fd)) = 0")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("a bound that reaches the limit makes max_map_count likely, with the band stated")
    func reachingBound() throws {
        var options = ReplayOptions()
        options.maxMapCount = 1510  // 1499 mappings, and 9 to 14 areas execve left: within reach
        let result = StraceReplay.run(StraceLog.parse(Self.log(pages: 1500)), options: options)
        let diagnosis = try #require(result.diagnosis)
        let bounds = try #require(result.mapCountBounds)
        #expect(bounds.low < options.maxMapCount! && (bounds.high ?? .max) >= options.maxMapCount!, "\(bounds)")
        #expect(diagnosis.cause == .maxMapCount && diagnosis.certainty == .likely, "\(diagnosis.cause) \(diagnosis.certainty)")
        #expect(diagnosis.evidence.details.contains { $0.contains("the limit \(options.maxMapCount!) is within reach") })
        #expect(!diagnosis.ruledOut.contains { $0.cause == .maxMapCount })
        // the failing call names the file its fd came from, although the log has no -y
        #expect(diagnosis.failure.text.contains("16</dev/hugepages/rtemap_1499>"), "\(diagnosis.failure.text)")
        // what a log cannot show is not checked, never ruled out
        #expect(!diagnosis.ruledOut.contains { $0.cause == .hugetlbCgroup })
        #expect(diagnosis.notChecked?.contains { $0.cause == .hugetlbCgroup && $0.reason.contains("no cgroup state") } == true)
    }

    @Test("an upper bound below the limit rules it out; a trace set without mprotect leaves it possible")
    func belowAndUnbounded() throws {
        var options = ReplayOptions()
        options.maxMapCount = 65530
        let below = StraceReplay.run(StraceLog.parse(Self.log(pages: 100)), options: options)
        #expect(below.diagnosis?.ruledOut.contains { $0.cause == .maxMapCount } == true)
        options.maxMapCount = 1510
        let unbounded = StraceReplay.run(StraceLog.parse(Self.log(pages: 1500, withMprotect: false)), options: options)
        #expect(unbounded.mapCountBounds?.high == nil)
        #expect(unbounded.diagnosis?.cause == .maxMapCount && unbounded.diagnosis?.certainty == .possible)
    }
}
