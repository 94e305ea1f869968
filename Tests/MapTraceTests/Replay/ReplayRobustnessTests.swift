import Testing
@testable import MapTrace

/// Replay takes any number a log holds: absurd ones are skipped and counted, never a crash.
@Suite("Replay with damaged numbers")
struct ReplayRobustnessTests {
    static let extremes = ["-5", "-1", "18446744073709551615", "18446744073709551616", "0xffffffffffffffff",
                           "0xfffffffffffff000", "9223372036854775808", "-9223372036854775808", "0", "NULL",
                           "99999999999999999999999", "0x", "-", "4096"]

    @Test("a length of -5 or 2^64-1 is skipped and counted, not a crash")
    func absurdLength() {
        let text = """
        100 mmap(NULL, -5, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
        100 mmap(NULL, 18446744073709551615, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
        100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_BOGUS, -1, 0) = 0x7f0000001000
        100 munmap(0xffffffffffffffff, 18446744073709551615) = 0
        100 mremap(0xfffffffffffff000, 18446744073709551615, 18446744073709551615, MREMAP_MAYMOVE) = 0x1000
        100 brk(0xffffffffffffffff) = 0xffffffffffffffff

        """
        let result = StraceReplay.run(StraceLog.parse(text), options: ReplayOptions())
        #expect(result.skippedCalls == 1)  // MAP_BOGUS: a flag no table holds
        #expect(result.failure == nil)
    }

    @Test("every number of the real logs replaced by extremes: 3000 replays, no crash")
    func mutatedNumbers() throws {
        var rng = SeededGenerator(seed: 9)
        let logs = try StraceLogFixtures.singleFiles.map { try String(decoding: StraceLogFixtures.bytes($0), as: UTF8.self) }
        let number = #/-?(0x)?[0-9a-f]+/#
        for i in 0..<3000 {
            var text = logs[i % logs.count]
            let matches = text.matches(of: number)
            guard !matches.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...20, using: &rng) {
                let m = matches.randomElement(using: &rng)!
                guard m.range.upperBound <= text.endIndex else { continue }
                text.replaceSubrange(m.range, with: Self.extremes.randomElement(using: &rng)!)
                break  // ranges after the first replacement are stale
            }
            _ = StraceReplay.run(StraceLog.parse(text), options: ReplayOptions())
        }
    }
}
