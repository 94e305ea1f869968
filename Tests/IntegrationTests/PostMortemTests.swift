import Foundation
import Testing

/// After the crash: the log read back, strace logs replayed, the preflight, and bad input.
@Suite("Post-mortem: report, replay, check", .serialized)
struct PostMortemTests {
    let maptrace = Fixture.binary("maptrace")
    let hugeprobe = Fixture.binary("hugeprobe")
    let l2fwd = Fixture.binary("l2fwd")

    func temporary(_ name: String) -> String { NSTemporaryDirectory() + "maptrace-\(getpid())-\(name)" }

    @Test("report renders the live run's calls, diagnosis and summary from the log alone, and draws the SVG", Fixture.privileged)
    func reportOfARealRun() throws {
        let stage = try HugetlbStage(pages: 6)
        defer { stage.restore() }
        let mount = stage.mount
        let log = temporary("run.jsonl"), svg = temporary("run.svg")
        defer { unlink(log); unlink(svg) }
        let live = Fixture.run([maptrace, "--no-status", "--log", log, "--", hugeprobe, "until-fail", mount.path, "20"])
        #expect(live.status == 1)
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        let report = Fixture.run([maptrace, "report", "--svg", svg, log])
        #expect(report.status == 1, "a failure is in the log: \(report.stderr)")
        // every hugetlb line and the diagnosis the live run printed are in the report, in order
        let liveLines = live.stderr.split(separator: "\n").filter { $0.hasPrefix("[pid ") || $0.hasPrefix("  cause:") }
        let reportLines = report.stdout.split(separator: "\n").filter { $0.hasPrefix("[pid ") || $0.hasPrefix("  cause:") }
        #expect(liveLines.count >= 12)
        #expect(reportLines == liveLines)
        #expect(report.stdout.contains("hugepage_pool (confirmed)"))
        #expect(report.stdout.contains("hugetlbfs: 7 files opened, 6 mappings made"))
        let picture = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(picture.hasPrefix("<svg"))
        #expect(picture.contains("<polyline"))
        #expect(picture.contains("first failure: hugepage_pool"))
        #expect(picture.contains("vm.max_map_count"))
        let json = Fixture.run([maptrace, "report", "--json", log])
        let diagnoses = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(diagnoses?.first?["cause"] as? String == "hugepage_pool")
    }

    @Test("a log cut in the middle of a record is read up to the damage, and the report says where")
    func truncatedLog() throws {
        let log = temporary("cut.jsonl")
        defer { unlink(log) }
        _ = Fixture.run([maptrace, "-q", "--log", log, "--", hugeprobe, "anon", "20"])
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        let whole = try Data(contentsOf: URL(fileURLWithPath: log))
        let lines = whole.split(separator: 0x0A)
        #expect(lines.count > 20)
        // keep 15 whole lines and half of the 16th, as a kill -9 during a write would leave it
        var cut = Data(lines.prefix(15).joined(separator: [0x0A]))
        cut.append(0x0A)
        cut.append(lines[15].prefix(lines[15].count / 2))
        try cut.write(to: URL(fileURLWithPath: log))
        let report = Fixture.run([maptrace, "report", log])
        #expect(report.status == 3, "cut short, no failure in it: not read to its end")
        #expect(report.stderr.contains("the log ends in a partial record at line 16"))
        #expect(report.stderr.contains("the log has no summary"))
        // damage in the middle is named too
        var damaged = Data(lines.prefix(5).joined(separator: [0x0A]))
        damaged.append(contentsOf: Array("\n{\"type\":\"syscall\",\"ti\n".utf8))
        damaged.append(Data(lines[6...].joined(separator: [0x0A])))
        try damaged.write(to: URL(fileURLWithPath: log))
        let middle = Fixture.run([maptrace, "report", log])
        #expect(middle.status == 3)
        #expect(middle.stderr.contains("line 6 is not a valid record"))
    }

    @Test("bad input to report and replay: one line and a non-zero exit, never a crash or a hang")
    func badInput() throws {
        let path = temporary("bad")
        defer { unlink(path) }
        func check(_ contents: Data, report expected: String, replay replayExpected: String) throws {
            try contents.write(to: URL(fileURLWithPath: path))
            let r = Fixture.run([maptrace, "report", path], timeout: 30)
            #expect(r.status == 3 && !r.timedOut)
            #expect(r.stderr == "maptrace: \(path): \(expected)\n", "report: \(r.stderr)")
            let p = Fixture.run([maptrace, "replay", path], timeout: 30)
            #expect(p.status == 3 && !p.timedOut)
            #expect(p.stderr.hasPrefix("maptrace: \(path): \(replayExpected)"), "replay: \(p.stderr)")
            #expect(p.stderr.split(separator: "\n").count == 1)
        }
        try check(Data(), report: "empty file, not a maptrace log", replay: "empty file")
        try check(Data("hello, this is a shopping list\nmilk\n".utf8),
                  report: "not a maptrace log (its first line is not a header record)", replay: "not an strace log")
        try check(Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }),
                  report: "not a maptrace log (its first line is not a header record)", replay: "binary")
        try check(Data("{\"type\":\"header\",\"format\":99}\n".utf8),
                  report: "log format 99 is newer than this maptrace reads (2); use a newer maptrace", replay: "not an strace log")
        let missing = Fixture.run([maptrace, "report", "/nonexistent.jsonl"])
        #expect(missing.status == 3 && missing.stderr == "maptrace: /nonexistent.jsonl: No such file or directory\n")
    }

    @Test("a 1 GB line is refused without reading it all")
    func hugeLine() throws {
        let path = temporary("huge")
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        #expect(ftruncate(fd, 1 << 30) == 0)  // sparse: one line of a billion NUL bytes
        close(fd)
        let start = Date()
        let r = Fixture.run([maptrace, "report", path], timeout: 60)
        #expect(r.status == 3 && !r.timedOut)
        #expect(r.stderr == "maptrace: \(path): not a maptrace log (its first line is not a header record)\n")
        let p = Fixture.run([maptrace, "replay", path], timeout: 60)
        #expect(p.status == 3 && !p.timedOut)
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// A real strace 6 log of the real multi-threaded workload, under a real limit.
    @Test("replay explains the classic failure from strace -f -y -tt of l2fwd", Fixture.privileged)
    func replayOfStrace() throws {
        let stage = try HugetlbStage(pages: 300)
        defer { stage.restore() }
        let mount = stage.mount
        let log = temporary("strace.log")
        defer { unlink(log) }
        let limit = try SystemSetting("/proc/sys/vm/max_map_count")
        defer { limit.restore() }
        try limit.set("250")
        let traced = Fixture.run(["strace", "-f", "-y", "-tt", "-o", log, l2fwd, "-m", "64", "--huge-dir", mount.path, "--", "-p0x1"])
        limit.restore()
        #expect(traced.status == 128 + SIGABRT)
        let replay = Fixture.run([maptrace, "replay", "--max-map-count", "250", "--hugepages", "300", "--hugetlbfs", mount.path, log])
        #expect(replay.status == 1, "\(replay.stderr)")
        #expect(replay.stdout.contains("cause:      max_map_count (likely)"), "\(replay.stdout)")
        #expect(replay.stdout.contains("mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE"))
        #expect(replay.stdout.contains("the process was then killed by SIGABRT"))
        // without the limit the log cannot confirm anything, and says what to give
        let bare = Fixture.run([maptrace, "replay", log])
        #expect(bare.stdout.contains("give --max-map-count N"))
        // a log written without mprotect undercounts: the answer says so
        let partial = temporary("strace-partial.log")
        defer { unlink(partial) }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        try text.split(separator: "\n").filter { !$0.contains(" mprotect(") }.joined(separator: "\n").write(toFile: partial, atomically: true, encoding: .utf8)
        let undercount = Fixture.run([maptrace, "replay", "--max-map-count", "250", partial])
        #expect(undercount.stdout.contains("no mprotect calls in the trace set"), "\(undercount.stdout)")
        // an unbounded count rules nothing out: the limit stays a possible cause
        #expect(undercount.stdout.contains("cause:      max_map_count (possible)"), "\(undercount.stdout)")
        #expect(!undercount.stdout.contains("ruled out:  max_map_count"))
    }

    @Test("replay of maptrace's own -o trace uses the live counts and skips its diagnosis lines", Fixture.privileged)
    func replayOfOwnTrace() throws {
        let stage = try HugetlbStage(pages: 300)
        defer { stage.restore() }
        let trace = temporary("own.trace")
        defer { unlink(trace) }
        let limit = try SystemSetting("/proc/sys/vm/max_map_count")
        defer { limit.restore() }
        try limit.set("200")
        let live = Fixture.run([maptrace, "--no-status", "-o", trace, "--", hugeprobe, "until-fail", stage.mount.path, "300"])
        limit.restore()
        #expect(live.status == 1)
        let replay = Fixture.run([maptrace, "replay", trace])
        #expect(replay.status == 1)
        #expect(replay.stdout.contains("modelled areas of that process before the call: 201"), "\(replay.stdout)")
        #expect(replay.stdout.contains("cause:      max_map_count (likely)"))
        #expect(replay.stdout.contains("vm.max_map_count [200]"))
        #expect(replay.stdout.contains("this is maptrace's own trace"))
        #expect(!replay.stdout.contains("could not be read"))
    }

    @Test("replay reads strace -f of l2fwd forwarding on several threads without a parse error", Fixture.privileged)
    func replayOfThreadedRun() throws {
        let stage = try HugetlbStage(pages: 8)
        defer { stage.restore() }
        let log = temporary("strace-threads.log")
        defer { unlink(log) }
        let traced = Fixture.run(["strace", "-f", "-y", "-tt", "-o", log, l2fwd, "-m", "8", "--mem-mode", "on-demand",
                                  "--huge-dir", stage.mount.path, "-l", "0-1", "--vdev", "net_ring0", "--vdev", "net_ring1",
                                  "--", "-p", "0x3", "-T", "0", "--duration", "1"])
        #expect(traced.status == 0, "\(traced.stderr)")
        let text = try Fixture.readFile(log)
        let pids = Set(text.split(separator: "\n").compactMap { $0.split(separator: " ").first })
        #expect(pids.count >= 3, "the main thread and the forwarding threads")
        let replay = Fixture.run([maptrace, "replay", log])
        #expect(replay.status == 0, "\(replay.stdout)")
        #expect(replay.stdout.contains("no memory call failed in this log"))
        #expect(!replay.stdout.contains("could not be read"), "\(replay.stdout)")
    }

    @Test("check predicts the max_map_count failure of an EAL that maps every free page, and says what passes", Fixture.privileged)
    func preflight() throws {
        let stage = try HugetlbStage(pages: 400)
        defer { stage.restore() }
        let mount = stage.mount
        let limit = try SystemSetting("/proc/sys/vm/max_map_count")
        defer { limit.restore() }
        try limit.set("300")
        let failing = Fixture.run([maptrace, "check"])
        limit.restore()
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("vm.max_map_count [300]"), "\(failing.stdout)")
        #expect(failing.stdout.contains("sysctl -w vm.max_map_count="))
        let json = Fixture.run([maptrace, "check", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["passed"] as? Bool == true, "with the default limit and a mapped pool nothing fails: \(json.stdout.prefix(400))")
        #expect(json.status == 0)
        let gone = Fixture.run([maptrace, "check", "-p", "999999999"])
        #expect(gone.status == 3 && gone.stderr == "maptrace: -p 999999999: no such process\n")
    }
}
