import Testing
@testable import MapTrace


/// Random bytes and random damage to the real logs, fed to the parser for a bounded time.
struct StraceLogFuzzTests {
    /// Bytes strace's grammar turns on, so random text reaches the scanner's corners.
    static let grammar = Array(#"()[]{}<>"\,=|/*. -+:?0123456789abcxyzEMOPN_"#.utf8) + [0x0A, 0x5C]

    static func randomBytes(_ rng: inout SeededGenerator, count: Int, from alphabet: [UInt8]?) -> [UInt8] {
        (0..<count).map { _ in alphabet?.randomElement(using: &rng) ?? UInt8.random(in: 0...255, using: &rng) }
    }

    /// One of: random bytes, random grammar, or a fixture with one to three kinds of damage.
    static func input(_ rng: inout SeededGenerator, seeds: [[UInt8]]) -> [UInt8] {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return randomBytes(&rng, count: Int.random(in: 0...4096, using: &rng), from: nil)
        case 1: return randomBytes(&rng, count: Int.random(in: 0...4096, using: &rng), from: grammar)
        default: break
        }
        var bytes = seeds.randomElement(using: &rng)!
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: // byte flips
                for _ in 0..<Int.random(in: 1...32, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 1: // truncation
                bytes.removeSubrange(at...)
            case 2: // a range duplicated somewhere else
                let end = min(bytes.count, at + Int.random(in: 1...2048, using: &rng))
                let copy = Array(bytes[at..<end])
                bytes.insert(contentsOf: copy, at: Int.random(in: 0...bytes.count, using: &rng))
            case 3: // grammar bytes dropped in
                bytes.insert(contentsOf: randomBytes(&rng, count: Int.random(in: 1...16, using: &rng), from: grammar), at: at)
            case 4: // lines shuffled, breaking unfinished/resumed pairs and time order
                var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
                lines.shuffle(using: &rng)
                bytes = Array(lines.joined(separator: [0x0A]))
            default: // a range deleted
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...512, using: &rng)))
            }
        }
        return bytes
    }

    @Test("random bytes and mutated real logs never crash the parser, and each parse ends within a second")
    func fuzzParser() throws {
        let names = StraceLogFixtures.singleFiles.map(StraceLogFixtures.path) + StraceLogFixtures.perThreadFiles
        let seeds = try names.map { try StraceLogTestFiles.contents(of: $0) }
        var rng = SeededGenerator(seed: 0x6D61_7074_7261_6365)
        let clock = ContinuousClock()
        let start = clock.now
        var inputs = 0
        var slowest = Duration.zero
        var violations: [String] = []
        while inputs < 2000 && clock.now - start < .seconds(2) {
            let bytes = Self.input(&rng, seeds: seeds)
            let began = clock.now
            let log = StraceLog.parse(bytes: bytes)
            slowest = max(slowest, clock.now - began)
            let lineCount = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
            let lines = log.events.map(\.line) + log.issues.map(\.line)
            if let bad = lines.first(where: { $0 < 1 || $0 > lineCount }) {
                violations.append("input \(inputs): line \(bad) of \(lineCount)")
            }
            for case .call(let call) in log.events where call.name.isEmpty {
                violations.append("input \(inputs): a call without a name at line \(call.line)")
            }
            inputs += 1
        }
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        #expect(slowest < .seconds(1))
        #expect(inputs >= 50, "only \(inputs) inputs in the time bound")
    }

    @Test("damaged files through the streaming reader give a log or a one-line error")
    func fuzzReader() throws {
        let seeds = try StraceLogFixtures.singleFiles.map { try StraceLogFixtures.bytes($0) }
        var rng = SeededGenerator(seed: 0x7374_7261_6365_6666)
        for round in 0..<40 {
            let bytes = Self.input(&rng, seeds: seeds)
            let path = try StraceLogTestFiles.write(bytes, stem: "fuzz")
            defer { StraceLogTestFiles.remove(path) }
            do {
                let log = try StraceLog.read(paths: [path], lineLimit: 4096)
                #expect(log.files == [path], "round \(round)")
            } catch {
                #expect(!error.description.isEmpty && !error.description.contains("\n"), "round \(round)")
            }
        }
    }
}
