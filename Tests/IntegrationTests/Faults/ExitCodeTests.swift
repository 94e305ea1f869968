import Foundation
import Testing

/// report, replay and check: 0 read and no failure, 1 a failure, 2 usage, 3 the input could not
/// be read (or not to its end); every error one line on stderr, in maptrace's words.
@Suite("Fault suite: exit codes of report, replay and check", .serialized)
struct ExitCodeTests {
    @Test("report: 0 for a whole log without failure, 1 with one, 2 for usage, 3 for a missing, foreign, damaged or cut log")
    func report() throws {
        let scene = try FaultScene("report-codes")
        defer { scene.finish() }
        let clean = scene.path("clean.jsonl")
        #expect(scene.run([scene.maptrace, "-q", "--log", clean, "--", scene.faultprobe, "exit", "0"]).status == 0)
        #expect(LogSchema.problems(clean) == "", "every record matches docs/log-format.schema.json")
        let r0 = scene.run([scene.maptrace, "report", clean])
        #expect(r0.status == 0 && r0.stderr.isEmpty, "\(r0)")
        let failed = scene.path("failed.jsonl")
        #expect(scene.run([scene.maptrace, "-q", "--log", failed, "--", scene.faultprobe, "enomem"]).status == 3)
        #expect(LogSchema.problems(failed) == "", "every record matches docs/log-format.schema.json")
        let r1 = scene.run([scene.maptrace, "report", failed])
        #expect(r1.status == 1 && r1.stderr.isEmpty, "\(r1)")

        let usage = scene.run([scene.maptrace, "report"])
        #expect(usage.status == 2)
        #expect(usage.stderr.split(separator: "\n").count == 1, "one line: \(usage.stderr)")

        let missing = scene.run([scene.maptrace, "report", scene.path("nothing")])
        #expect(missing.status == 3 && missing.stderr == "maptrace: \(scene.path("nothing")): No such file or directory\n")
        let foreign = scene.path("foreign")
        try "milk\neggs\n".write(toFile: foreign, atomically: false, encoding: .utf8)
        let notLog = scene.run([scene.maptrace, "report", foreign])
        #expect(notLog.status == 3 && notLog.stderr == "maptrace: \(foreign): not a maptrace log (its first line is not a header record)\n")
        // a header without its keys: maptrace's words, not the decoder's
        let bare = scene.path("bare-header")
        try "{\"type\":\"header\",\"format\":1}\n".write(toFile: bare, atomically: false, encoding: .utf8)
        let header = scene.run([scene.maptrace, "report", bare])
        #expect(header.status == 3)
        #expect(header.stderr.split(separator: "\n").count == 1)
        #expect(header.stderr.hasPrefix("maptrace: \(bare): the header record is damaged: it lacks \""), "\(header.stderr)")
        #expect(!header.stderr.contains("DecodingError") && !header.stderr.contains("CodingKeys"), "\(header.stderr)")

        // damage in the middle of a log without failure: what comes before is shown, the note is on stderr
        var lines = try Fixture.readFile(clean).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.insert("{\"type\":\"syscall\",\"ti", at: 3)
        let damaged = scene.path("damaged.jsonl")
        try lines.joined(separator: "\n").write(toFile: damaged, atomically: false, encoding: .utf8)
        let r3 = scene.run([scene.maptrace, "report", damaged])
        #expect(r3.status == 3)
        #expect(r3.stdout.contains("maptrace report: \(damaged)") && !r3.stdout.contains("line 4"))
        #expect(r3.stderr.contains("maptrace: \(damaged): line 4 is not a valid record"), "\(r3.stderr)")
    }

    @Test("replay: 0 no failure, 1 a failure, 2 usage, 3 missing or not an strace log")
    func replay() throws {
        let scene = try FaultScene("replay-codes")
        defer { scene.finish() }
        let clean = scene.path("clean.strace")
        #expect(scene.run(["strace", "-f", "-o", clean, "-e", "trace=memory", scene.faultprobe, "exit", "0"]).status == 0)
        #expect(scene.run([scene.maptrace, "replay", clean]).status == 0)
        let failed = scene.path("failed.strace")
        #expect(scene.run(["strace", "-f", "-o", failed, "-e", "trace=memory", scene.faultprobe, "enomem"]).status == 3)
        #expect(scene.run([scene.maptrace, "replay", failed]).status == 1)
        let usage = scene.run([scene.maptrace, "replay", "--hugepage-size", "lots", clean])
        #expect(usage.status == 2 && usage.stderr.split(separator: "\n").count == 1, "\(usage)")
        let missing = scene.run([scene.maptrace, "replay", scene.path("nothing")])
        #expect(missing.status == 3 && missing.stderr.split(separator: "\n").count == 1, "\(missing)")
        let foreign = scene.path("foreign")
        try "milk\neggs\n".write(toFile: foreign, atomically: false, encoding: .utf8)
        let notLog = scene.run([scene.maptrace, "replay", foreign])
        #expect(notLog.status == 3 && notLog.stderr.hasPrefix("maptrace: \(foreign): not an strace log"))
    }

    @Test("check: 3 when the process given cannot be read, 2 for usage")
    func check() {
        let gone = Fixture.run([Fixture.binary("maptrace"), "check", "-p", "999999999"])
        #expect(gone.status == 3 && gone.stderr == "maptrace: -p 999999999: no such process\n", "\(gone)")
        let usage = Fixture.run([Fixture.binary("maptrace"), "check", "--bogus"])
        #expect(usage.status == 2 && usage.stderr.split(separator: "\n").count == 1, "\(usage)")
    }
}
