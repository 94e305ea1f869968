import Foundation
import Testing

/// Hard cases for the tracer itself, which it passes: exec and fork storms, threads that come
/// and go, vfork, CLONE_UNTRACED, many mappings. Each must end with the program's own status
/// and nothing of the test left behind.
@Suite("Fault suite: storms", .serialized)
struct StormTests {
    @Test("an exec chain of 200 ends with the last program's status")
    func execChain() throws {
        let scene = try FaultScene("exec-chain")
        defer { scene.finish() }
        let r = scene.run([scene.maptrace, "-q", "--", scene.faultprobe, "exec-chain", "200", "7"], timeout: 120)
        #expect(r.status == 7, "\(r)")
    }

    @Test("400 children exec at once; all exit 0")
    func parallelExecs() throws {
        let scene = try FaultScene("parallel-exec")
        defer { scene.finish() }
        let r = scene.run([scene.maptrace, "-q", "--", scene.faultprobe, "parallel-exec", "400"], timeout: 120)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "parallel-exec: 400 of 400 exited 0\n")
    }

    @Test("a tree of 255 processes, each mapping, all followed; every one exits 0")
    func forkTree() throws {
        let scene = try FaultScene("fork-tree")
        defer { scene.finish() }
        let log = scene.path("tree.jsonl")
        let r = scene.run([scene.maptrace, "-q", "--log", log, "--", scene.faultprobe, "fork-tree", "8"], timeout: 120)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "fork-tree: 255 processes, 0 failed\n")
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        // each process's own page: 255 processes seen, each with its mmap of 4096 bytes
        let text = try Fixture.readFile(log)
        var pids = Set<Substring>()
        for line in text.split(separator: "\n") where line.contains("\"name\":\"munmap\"") && line.contains(",4096,") {
            if let range = line.range(of: "\"pid\":") { pids.insert(line[range.upperBound...].prefix { $0.isNumber }) }
        }
        #expect(pids.count == 255)
    }

    @Test("threads exit while others map: every mapper finishes, the process exits 0")
    func threadsExit() throws {
        let scene = try FaultScene("threads-exit")
        defer { scene.finish() }
        let r = scene.run([scene.maptrace, "-q", "--", scene.faultprobe, "threads-exit", "25"], timeout: 120)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "threads-exit: 25 waves of 8 threads, 0 mappers failed\n")
    }

    @Test("execve from a thread that is not the leader, while a sibling maps: the new program's status")
    func execFromThread() throws {
        let scene = try FaultScene("exec-thread")
        defer { scene.finish() }
        let r = scene.run([scene.maptrace, "-q", "--", scene.faultprobe, "exec-thread", "5"], timeout: 60)
        #expect(r.status == 5, "\(r)")
    }

    @Test("50 vforks, each child execs: all exit 0")
    func vforks() throws {
        let scene = try FaultScene("vforks")
        defer { scene.finish() }
        let r = scene.run([scene.maptrace, "-q", "--", scene.faultprobe, "vforks", "50"], timeout: 60)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "vforks: 50 of 50 exited 0\n")
    }

    @Test("a child made with CLONE_UNTRACED stays traced; nothing is left behind")
    func cloneUntraced() throws {
        let scene = try FaultScene("untraced")
        defer { scene.finish() }
        let r = scene.run([scene.maptrace, "-q", "--", Fixture.binary("hugeprobe"), "untraced"], timeout: 60)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("untraced child mmap: ok"))
    }

    @Test("maptrace SIGKILLed while not holding: the program goes with it")
    func tracerKilled() throws {
        let scene = try FaultScene("tracer-kill")
        defer { scene.finish() }
        let progress = scene.path("progress")
        let tracer = try scene.start([scene.maptrace, "-q", "--", scene.faultprobe, "pairs", progress, "-1"])
        #expect(FaultScene.waitUntil(timeout: 30) { ((try? Fixture.readFile(progress)) ?? "").count > 0 })
        tracer.send(SIGKILL)
        #expect(tracer.wait(timeout: 10).status == 128 + SIGKILL)
    }

    @Test("60,000 mappings: followed to the end; the peak count says so", .enabled(if: maxMapCount() > 60_100))
    func manyMappings() throws {
        let scene = try FaultScene("many-maps")
        defer { scene.finish() }
        let r = scene.run([scene.maptrace, "-q", "--", scene.faultprobe, "many-maps", "60000"], timeout: 180)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "many-maps: 60000 mappings\n")
        let peak = r.stderr.firstMatch(of: #/peak mapping count: (\d+)/#).flatMap { Int($0.1) } ?? 0
        #expect(peak > 60_000 && peak < 60_100, "\(r.stderr)")
    }

    static func maxMapCount() -> Int {
        Int((try? SystemSetting.read("/proc/sys/vm/max_map_count")) ?? "") ?? 0
    }
}
