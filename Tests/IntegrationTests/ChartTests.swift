import Foundation
import Testing

/// `maptrace report --svg` on a real run's log.
@Suite("The SVG chart of a real run")
struct ChartTests {
    let maptrace = Fixture.binary("maptrace")
    let hugeprobe = Fixture.binary("hugeprobe")

    @Test("a small run against a far limit: the axis fits the run, the limit is marked at the edge, both axes are titled")
    func smallRun() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-chart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/run.jsonl", svg = dir + "/run.svg"
        let run = Fixture.run([maptrace, "-q", "--log", log, "--", hugeprobe, "anon", "40"])
        #expect(run.status == 0, "\(run)")
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        let report = Fixture.run([maptrace, "report", "--svg", svg, log])
        #expect(report.status == 0, "\(report)")
        let picture = try Fixture.readFile(svg)
        #expect(picture.contains(">memory map areas</text>") && picture.contains("rotate(-90"))
        #expect(picture.contains(">seconds since the first traced call</text>"))
        #expect(picture.contains("(far above: not to scale)"), "65530 is far above a run of about 60 areas")
        // the y tick labels are round numbers and stop near the data, not at the limit
        let ticks = picture.matches(of: #/text-anchor="end">(\d+)</text>/#).compactMap { Int($0.1) }
        #expect(!ticks.isEmpty && (ticks.max() ?? 0) < 1000, "\(ticks)")
        #expect(ticks.allSatisfy { $0 % 10 == 0 }, "\(ticks)")
    }

    @Test("--svg with a directory is one clean line, not a Foundation error")
    func directory() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-chart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/run.jsonl"
        _ = Fixture.run([maptrace, "-q", "--log", log, "--", "true"])
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        let result = Fixture.run([maptrace, "report", "--svg", "/tmp", log])
        #expect(result.status != 0)
        #expect(result.stderr == "maptrace: /tmp: is a directory; give a file name for the SVG, e.g. /tmp/maps.svg\n", "\(result)")
        let missing = Fixture.run([maptrace, "report", "--svg", dir + "/no/such/dir/x.svg", log])
        #expect(missing.status != 0 && missing.stderr.hasSuffix("cannot write the SVG: No such file or directory\n"), "\(missing)")
        #expect(!missing.stderr.contains("NSCocoaErrorDomain"))
    }
}
