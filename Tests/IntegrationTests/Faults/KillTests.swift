import Foundation
import Testing

/// maptrace killed with SIGKILL, and the process it holds at a failure: the log keeps every
/// record maptrace saw, nothing is left stopped, every signal during a hold has one meaning.
@Suite("Fault suite: kills and holds", .serialized)
struct KillTests {
    @Test("maptrace SIGKILLed mid-run loses no record it saw: the log has every call the program saw return")
    func logSurvivesKill() throws {
        let scene = try FaultScene("log-kill")
        defer { scene.finish() }
        let log = scene.path("killed.jsonl")
        let progress = scene.path("progress")
        let tracer = try scene.start([scene.maptrace, "-q", "--no-status", "--log", log, "--",
                                      scene.faultprobe, "pairs", progress, "-1"])
        // the program counts the pairs whose calls returned; kill maptrace while it runs
        func done() -> Int { Int(((try? Fixture.readFile(progress)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
        // 6,000 pairs: some 4.8 MB of log, so that the kill comes after maptrace has moved to
        // the second 4 MiB chunk of its mapped file, made ahead by another thread
        #expect(FaultScene.waitUntil(timeout: 60) { done() >= 6_000 }, "\(tracer.stderrSoFar)")
        tracer.send(SIGKILL)
        let result = tracer.wait(timeout: 10)
        #expect(result.status == 128 + SIGKILL)
        // EXITKILL took the program with it: its count is final
        #expect(FaultScene.waitUntil(timeout: 10) { scene.processes().isEmpty })
        let returned = done()

        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        let text = try Fixture.readFile(log)
        var mmaps = 0, munmaps = 0
        for line in text.split(separator: "\n") where line.contains("\"type\":\"syscall\"") {
            if line.contains("\"name\":\"mmap\"") && line.contains("\"args\":[0,12288,1,") { mmaps += 1 }
            if line.contains("\"name\":\"munmap\"") && line.contains(",12288,") { munmaps += 1 }
        }
        // a call is logged before the program is let go of it, so every returned call is there;
        // the one in flight at the kill may be logged too
        #expect(munmaps >= returned && munmaps <= returned + 1, "munmap records \(munmaps), pairs returned \(returned)")
        #expect(mmaps >= munmaps && mmaps <= munmaps + 1, "mmap records \(mmaps), munmap records \(munmaps)")

        // A kill while a record was being made leaves it cut short before the zeros reserved
        // ahead: the report says so too, in a line of its own (seen once in CI this round).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: log))
        let cutShort = bytes.lastIndex(where: { $0 != 0 }).map { bytes[$0] != UInt8(ascii: "\n") } ?? false
        let report = scene.run([scene.maptrace, "report", log])
        #expect(report.status == 3, "no summary and no failure: the log could not be read to its end: \(report.stderr)")
        #expect(report.stderr.split(separator: "\n").count == (cutShort ? 2 : 1), "\(report.stderr)")
        #expect(report.stderr.contains("the log ends in a partial record") == cutShort, "\(report.stderr)")
        #expect(report.stderr.contains("the log has no summary: the run did not end normally"), "\(report.stderr)")
        #expect(!report.stdout.contains("has no summary"), "notes about the log go to stderr")
    }

    /// Starts a held run of `faultprobe enomem` with stdin not a terminal; returns maptrace and the held pid.
    private func held(_ scene: FaultScene, log: String? = nil) throws -> (RunningProcess, Int32) {
        let tracer = try scene.start([scene.maptrace, "--no-status", "--on-enomem=hold"] + (log.map { ["--log", $0] } ?? [])
                                     + ["--", scene.faultprobe, "enomem"])
        #expect(tracer.waitForOutput(containing: "holding pid", timeout: 30), "\(tracer.stderrSoFar)")
        let pid = try #require(FaultScene.pid(in: tracer.stderrSoFar, after: "holding pid "))
        #expect(FaultScene.waitUntil(timeout: 5) { FaultScene.state(of: pid) == "t" }, "held in a tracing stop")
        return (tracer, pid)
    }

    @Test("a hold whose stdin is not a terminal says at its start the one command that releases it; SIGUSR1 does")
    func holdReleasedByUsr1() throws {
        let scene = try FaultScene("hold-usr1")
        defer { scene.finish() }
        let (tracer, pid) = try held(scene)
        #expect(tracer.stderrSoFar.contains("To let it go on: kill -USR1 \(tracer.pid)\n"), "\(tracer.stderrSoFar)")
        usleep(300_000)
        #expect(FaultScene.state(of: pid) == "t", "still held: stdin at EOF does not release it")
        #expect(!tracer.stdoutSoFar.contains("mmap failed"))
        tracer.send(SIGUSR1)
        let result = tracer.wait(timeout: 20)
        #expect(result.status == 3, "released, the program goes on to its own error: \(result)")
        #expect(result.stdout == "mmap failed: Cannot allocate memory\n")
        #expect(result.stderr.contains("released pid \(pid)"))
    }

    @Test("SIGINT and SIGQUIT during a hold release it; SIGQUIT never prints a crash report")
    func holdReleasedByIntAndQuit() throws {
        let scene = try FaultScene("hold-quit")
        defer { scene.finish() }
        for sig in [SIGINT, SIGQUIT] {
            let (tracer, pid) = try held(scene)
            tracer.send(sig)
            let result = tracer.wait(timeout: 20)
            #expect(result.status == 3, "signal \(sig): \(result)")
            #expect(result.stderr.contains("released pid \(pid)"))
            #expect(!result.stderr.contains("crashed") && !result.stderr.contains("Backtrace") && !result.stderr.contains("Thread 0"),
                    "no crash report: \(result.stderr)")
        }
    }

    @Test("SIGTERM during a hold is passed on to the program as outside a hold: it dies of it, maptrace exits 143")
    func holdSigterm() throws {
        let scene = try FaultScene("hold-term")
        defer { scene.finish() }
        let (tracer, pid) = try held(scene)
        tracer.send(SIGTERM)
        let result = tracer.wait(timeout: 20)
        #expect(result.status == 128 + SIGTERM, "\(result)")
        #expect(!result.stdout.contains("mmap failed"), "the program did not go on")
        #expect(result.stderr.contains("pid \(pid) (") && result.stderr.contains("killed by SIGTERM"), "\(result.stderr)")
    }

    @Test("a held program killed from outside ends the hold at once; maptrace exits with its status")
    func heldProgramKilled() throws {
        let scene = try FaultScene("hold-victim")
        defer { scene.finish() }
        let (tracer, pid) = try held(scene)
        kill(pid, SIGKILL)
        let start = Date()
        let result = tracer.wait(timeout: 20)
        #expect(!result.timedOut && Date().timeIntervalSince(start) < 5, "the hold ended at once")
        #expect(result.status == 128 + SIGKILL, "\(result)")
        #expect(result.stderr.contains("pid \(pid) ended while held"))
    }

    @Test("maptrace SIGKILLed while holding: the held program goes with it, nothing is left stopped")
    func tracerKilledWhileHolding() throws {
        let scene = try FaultScene("hold-tracer-kill")
        defer { scene.finish() }
        let log = scene.path("held.jsonl")
        let (tracer, pid) = try held(scene, log: log)
        tracer.send(SIGKILL)
        _ = tracer.wait(timeout: 10)
        #expect(FaultScene.waitUntil(timeout: 10) { FaultScene.state(of: pid) == nil || FaultScene.state(of: pid) == "Z" })
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        let report = scene.run([scene.maptrace, "report", log])
        #expect(report.status == 1, "the diagnosis was logged before the hold: \(report.stderr)")
        #expect(report.stdout.contains("maptrace: mmap failed with ENOMEM"))
        #expect(report.stderr.contains("the log has no summary"))
    }

    @Test("the tracee SIGKILLed in the middle of a traced call: its call ends with = ?, maptrace exits 137")
    func traceeKilledMidCall() throws {
        let scene = try FaultScene("mid-call")
        defer { scene.finish() }
        let fifo = scene.path("fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        let tracer = try scene.start([scene.maptrace, "--no-status", "--all", "--", scene.faultprobe, "block-open", fifo])
        #expect(tracer.waitForOutput(containing: "blocking pid", timeout: 30))
        let pid = try #require(FaultScene.pid(in: tracer.stdoutSoFar, after: "blocking pid "))
        // blocked inside open(2): between the entry maptrace saw and an exit that never comes
        #expect(FaultScene.waitUntil(timeout: 10) {
            ((try? Fixture.readFile("/proc/\(pid)/wchan")) ?? "").contains("fifo") || FaultScene.state(of: pid) == "S"
        })
        usleep(200_000)
        kill(pid, SIGKILL)
        let result = tracer.wait(timeout: 20)
        #expect(result.status == 128 + SIGKILL, "\(result)")
        #expect(result.stderr.contains("openat(AT_FDCWD<") && result.stderr.contains("\"\(fifo)\", O_RDONLY) = ?"), "\(result.stderr)")
        #expect(result.stderr.contains("+++ killed by SIGKILL +++"))
    }
}
