import Foundation
import Testing

/// The smaller findings of the fault probe: a refused brk in the figures, the peak count of a
/// wrapped program, replay of threads, -ff and -Y logs, the order of a fix list.
@Suite("Fault suite: smaller findings", .serialized)
struct SmallFixTests {
    @Test("a refused brk is counted with the failed calls, in the summary and in the log's failures_by_errno")
    func refusedBrkCounted() throws {
        let scene = try FaultScene("brk")
        defer { scene.finish() }
        let log = scene.path("brk.jsonl")
        let r = scene.run([scene.maptrace, "--no-status", "--log", log, "--", scene.faultprobe, "brk-refused"])
        #expect(r.status == 0 && r.stdout == "brk refused\n", "\(r)")
        #expect(r.stderr.contains("maptrace: brk failed with ENOMEM"))
        #expect(r.stderr.contains("    failed calls: ENOMEM 1\n"), "\(r.stderr)")
        let summary = try #require(try Fixture.readFile(log).split(separator: "\n").last { $0.contains("\"type\":\"summary\"") })
        #expect(summary.contains("\"failures_by_errno\":{\"ENOMEM\":1}"), "\(summary)")
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
    }

    @Test("the peak mapping count is the program's own, not that of a wrapper that ran before its exec")
    func peakAfterExec() throws {
        let scene = try FaultScene("peak")
        defer { scene.finish() }
        func peak(_ argv: [String]) -> Int? {
            let r = scene.run([scene.maptrace, "-q", "--"] + argv)
            return r.stderr.firstMatch(of: #/peak mapping count: (\d+)/#).flatMap { Int($0.1) }
        }
        let bare = try #require(peak(["/bin/true"]))
        let wrapped = try #require(peak(["prlimit", "--as=4000000000", "--", "/bin/true"]))
        #expect(wrapped == bare, "prlimit's own mappings are not /bin/true's: \(wrapped) against \(bare)")
    }

    @Test("replay: a thread that exits 0 after the failure is not the process, which exits 31")
    func replayThreadExit() throws {
        let scene = try FaultScene("replay-thread")
        defer { scene.finish() }
        let log = scene.path("thread.strace")
        #expect(scene.run(["strace", "-f", "-o", log, "-e", "trace=memory,clone,clone3,exit,exit_group",
                           scene.faultprobe, "thread-enomem"]).status == 31)
        let r = scene.run([scene.maptrace, "replay", log])
        #expect(r.status == 1)
        #expect(r.stdout.contains("the process then exited with status 31"), "\(r.stdout)")
        #expect(!r.stdout.contains("exited with status 0"))
    }

    @Test("replay of strace -ff files where a thread execs: strace's <pid changed to …> join is read, the join note is a note")
    func replayFFExecThread() throws {
        let scene = try FaultScene("replay-ff")
        defer { scene.finish() }
        let prefix = scene.path("trace")
        #expect(scene.run(["strace", "-ff", "-o", prefix, "-e", "trace=execve,exit_group,mmap",
                           scene.faultprobe, "exec-thread", "5"]).status == 5)
        let files = try FileManager.default.contentsOfDirectory(atPath: scene.directory).filter { $0.hasPrefix("trace.") }
            .sorted().map { scene.path($0) }
        #expect(files.count >= 2)
        let r = scene.run([scene.maptrace, "replay"] + files)
        #expect(r.status == 0, "\(r)")
        // the execve's two halves, in two files, and strace's ???() for the thread it ended, are
        // read; (a call of that thread cut by the exec, `= ?`, is the replay's own matter)
        #expect(!r.stdout.contains("resumed without its unfinished start") && !r.stdout.contains("???"), "\(r.stdout)")
        #expect(!r.stdout.contains("files are joined") && !r.stdout.contains(":0:"), "\(r.stdout)")
        #expect(r.stdout.contains("notes:\n  - no time stamps: the files were joined in the order given"), "\(r.stdout)")
    }

    @Test("replay reads strace -Y logs (pids with their comm), with -o and on stderr")
    func replayCommPids() throws {
        let scene = try FaultScene("replay-Y")
        defer { scene.finish() }
        let log = scene.path("y.strace")
        #expect(scene.run(["strace", "-f", "-Y", "-o", log, "-e", "trace=memory,clone3,exit_group",
                           scene.faultprobe, "thread-enomem"]).status == 31)
        let r = scene.run([scene.maptrace, "replay", log])
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("first failing memory call:"))
        #expect(!r.stdout.contains("lines that could not be read"), "\(r.stdout)")
        let stderrLog = scene.run(["strace", "-f", "-Y", "-e", "trace=memory,clone3", scene.faultprobe, "thread-enomem"])
        let captured = scene.path("y-stderr.strace")
        try stderrLog.stderr.write(toFile: captured, atomically: false, encoding: .utf8)
        #expect(scene.run([scene.maptrace, "replay", captured]).status == 1)
    }

    @Test("a fix list never begins with \"or:\" (the overcommit advice for a request beyond RAM + swap)",
          .enabled(if: (try? SystemSetting.read("/proc/sys/vm/overcommit_memory")) == "0"))
    func fixListHead() throws {
        let scene = try FaultScene("fix-head")
        defer { scene.finish() }
        // 64 TiB: more than RAM + swap on any machine this runs on, refused in heuristic mode
        let r = scene.run([scene.maptrace, "--no-status", "--", Fixture.binary("hugeprobe"), "bytes", "0x400000000000"])
        #expect(r.stderr.contains("overcommit"), "\(r.stderr)")
        let fix = try #require(r.stderr.split(separator: "\n").first { $0.hasPrefix("  fix:") }, "\(r.stderr)")
        #expect(!fix.hasPrefix("  fix:        or:") && !fix.contains("fix: or:"), "\(fix)")
        #expect(!r.stderr.split(separator: "\n").contains { $0.hasPrefix("  fix:") && $0.contains(" or: ") }, "\(r.stderr)")
    }
}
