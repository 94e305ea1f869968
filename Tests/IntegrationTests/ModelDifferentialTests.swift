import Foundation
import Testing

/// maptrace's count after every call against the kernel's own, on a real process making a
/// seeded random sequence of calls that split and merge areas (mapfuzz).
@Suite("The model against the kernel", .serialized)
struct ModelDifferentialTests {
    let maptrace = Fixture.binary("maptrace")
    let mapfuzz = Fixture.binary("mapfuzz")
    let mapthreads = Fixture.binary("mapthreads")

    /// One record of either side: the call's name, its result, and the count after it.
    struct Step: Equatable, CustomStringConvertible {
        var name: String
        var count: Int
        var description: String { "\(name) → \(count)" }
    }

    struct Outcome {
        var calls = 0
        var mismatches: [String] = []
        var drifts = 0
        var queries = 0
        var takenAtEntry = 0
    }

    /// Runs mapfuzz under maptrace and pairs its records, per pid and in order, with the log's.
    func run(seed: Int, steps: Int, hugetlbfs: String = "", forkAt: Int? = nil, options: [String] = []) throws -> Outcome {
        let dir = NSTemporaryDirectory() + "maptrace-model-\(getpid())-\(seed)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var argv = [maptrace, "--quiet", "--no-status", "--log", "\(dir)/log.jsonl"]
        argv += options
        argv += ["--", mapfuzz, String(seed), String(steps), "\(dir)/kernel.txt", hugetlbfs]
        if let forkAt { argv.append(String(forkAt)) }
        let result = Fixture.run(argv, timeout: 300)
        #expect(result.status == 0, "maptrace: \(result.stderr.suffix(2000))")
        #expect(LogSchema.problems("\(dir)/log.jsonl") == "", "every record matches docs/log-format.schema.json")

        var kernel: [String: [Step]] = [:]
        for line in try String(contentsOfFile: "\(dir)/kernel.txt", encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 4, let count = Int(f[3]) else { continue }
            kernel[String(f[0]), default: []].append(Step(name: String(f[1]), count: count))
        }
        let names = Set(kernel.values.flatMap { $0.map(\.name) })
        var traced: [String: [Step]] = [:]
        var outcome = Outcome()
        for line in try String(contentsOfFile: "\(dir)/log.jsonl", encoding: .utf8).split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let type = object["type"] as? String else { continue }
            if type == "drift" { outcome.drifts += 1 }
            if type == "summary", let processes = object["processes"] as? [[String: Any]] {
                outcome.queries = processes.compactMap { $0["model_queries"] as? Int }.reduce(0, +)
                outcome.takenAtEntry = processes.compactMap { $0["calls_taken_at_entry"] as? Int }.reduce(0, +)
            }
            guard type == "syscall", let name = object["name"] as? String, names.contains(name),
                  let tid = object["tid"] as? Int, let count = object["map_count"] as? Int else { continue }
            traced[String(tid), default: []].append(Step(name: name, count: count))
        }
        for (pid, steps) in kernel {
            // the program's loop is the tail of its memory calls: the loader's and libc's come first
            let seen = traced[pid] ?? []
            try #require(seen.count >= steps.count, "pid \(pid): \(seen.count) calls logged for \(steps.count) made")
            let tail = seen.suffix(steps.count)
            for (i, (expected, actual)) in zip(steps, tail).enumerated() {
                outcome.calls += 1
                if expected != actual { outcome.mismatches.append("pid \(pid) call \(i): kernel \(expected), maptrace \(actual)") }
            }
        }
        return outcome
    }

    /// The five processes of 20,000 calls both tests run: anonymous, file, shared and hugetlbfs
    /// areas, a fork in the fifth; their outcomes added up.
    func runFive(options: [String] = []) throws -> Outcome {
        let stage = try HugetlbStage(pages: 16, options: "pagesize=2M")
        defer { stage.restore() }
        var total = Outcome()
        for seed in 1...5 {
            let outcome = try run(seed: seed, steps: 20_000, hugetlbfs: stage.mount.path, forkAt: seed == 5 ? 10_000 : nil,
                                  options: options)
            total.calls += outcome.calls
            total.mismatches += outcome.mismatches
            total.drifts += outcome.drifts
            total.queries += outcome.queries
            total.takenAtEntry += outcome.takenAtEntry
        }
        return total
    }

    @Test("after every call of 100,000 random ones, maptrace's count is the kernel's, certain munmaps logged at their entry",
          Fixture.privileged)
    func randomCallsMatchKernel() throws {
        let total = try runFive()
        print("model differential: \(total.calls) calls, \(total.mismatches.count) mismatches, "
              + "\(total.queries) kernel queries, \(total.takenAtEntry) munmaps taken at entry, \(total.drifts) drift re-syncs")
        #expect(total.calls >= 100_000)
        #expect(total.takenAtEntry > 1_000, "munmaps whose outcome was certain should be logged at their entry")
        #expect(total.mismatches.count == 0, "first mismatches: \(total.mismatches.prefix(5))")
        #expect(total.drifts == 0)
    }

    @Test("with every munmap seen at its exit (-c times each call), the count is still the kernel's", Fixture.privileged)
    func munmapsAtExitStayExact() throws {
        // the same five processes as above: -c needs every call's duration, so no call is taken at entry
        let total = try runFive(options: ["-c"])
        print("model differential, every munmap at its exit: \(total.calls) calls, \(total.mismatches.count) mismatches, "
              + "\(total.takenAtEntry) munmaps taken at entry, \(total.drifts) drift re-syncs")
        #expect(total.calls >= 100_000)
        #expect(total.takenAtEntry == 0)
        #expect(total.mismatches.count == 0, "first mismatches: \(total.mismatches.prefix(5))")
        #expect(total.drifts == 0)
    }

    /// Runs mapthreads under maptrace: the kernel's count and maptrace's at the end of each
    /// round, when no thread is inside a call, as "round: kernel K, maptrace M" for each that differ.
    func threadRounds(seed: Int, threads: Int, rounds: Int) throws -> (rounds: Int, mismatches: [String], queries: Int, drifts: Int) {
        let dir = NSTemporaryDirectory() + "maptrace-threads-\(getpid())-\(seed)-\(threads)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = Fixture.run([maptrace, "--quiet", "--no-status", "--log", "\(dir)/log.jsonl", "--",
                                  mapthreads, String(seed), String(threads), String(rounds), "200", "\(dir)/kernel.txt"],
                                 timeout: 300)
        #expect(result.status == 0, "maptrace: \(result.stderr.suffix(2000))")
        let lines = try String(contentsOfFile: "\(dir)/kernel.txt", encoding: .utf8).split(separator: "\n")
        let sentinel = try #require(lines.first.flatMap { $0.hasPrefix("sentinel ") ? Int($0.dropFirst(9)) : nil })
        let kernel = lines.dropFirst().compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
        var traced: [Int] = []
        var queries = 0, drifts = 0
        for line in try String(contentsOfFile: "\(dir)/log.jsonl", encoding: .utf8).split(separator: "\n") {
            // most records are other calls: only the sentinel's, the drifts and the summary are parsed
            if line.contains("\"type\":\"drift\"") { drifts += 1 }
            guard line.contains("\"mprotect\"") || line.contains("\"type\":\"summary\"") else { continue }
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if object["type"] as? String == "summary", let processes = object["processes"] as? [[String: Any]] {
                queries = processes.compactMap { $0["model_queries"] as? Int }.reduce(0, +)
            }
            guard object["type"] as? String == "syscall", object["name"] as? String == "mprotect",
                  (object["args"] as? [Int])?.first == sentinel, let count = object["map_count"] as? Int else { continue }
            traced.append(count)
        }
        try #require(kernel.count == rounds && traced.count == rounds,
                     "\(kernel.count) rounds counted by the program, \(traced.count) sentinel calls logged, for \(rounds)")
        let mismatches = zip(kernel, traced).enumerated().filter { $0.element.0 != $0.element.1 }
            .map { "round \($0.offset): kernel \($0.element.0), maptrace \($0.element.1)" }
        return (rounds, mismatches, queries, drifts)
    }

    @Test("8 threads calling at once on pages side by side: after every round the count is the kernel's, whatever order the tracer saw their exits in",
          Fixture.privileged)
    func concurrentCallsMatchKernel() throws {
        var rounds = 0, queries = 0, drifts = 0
        var mismatches: [String] = []
        // as many threads as a dataplane has lcores here; before the journal of changes
        // (docs/architecture.md, "Threads") 17 of these 200 rounds ended with a wrong count
        for seed in 1...5 {
            let outcome = try threadRounds(seed: seed, threads: 8, rounds: 40)
            rounds += outcome.rounds
            queries += outcome.queries
            drifts += outcome.drifts
            mismatches += outcome.mismatches.map { "seed \(seed), \($0)" }
        }
        // drifts are not held against it: a difference seen between rounds (docs/architecture.md)
        print("model differential, threads: \(rounds) rounds, \(mismatches.count) mismatches, \(queries) kernel queries, "
              + "\(drifts) drift re-syncs")
        #expect(rounds == 200)
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }
}
