import ArgumentParser
import Foundation
import MapTrace

/// `maptrace report LOG`: the post-mortem log rendered again, on any machine.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a post-mortem log written with --log: the calls, the diagnosis, the summary.",
        discussion: """
        Reads the JSON Lines log of an earlier run (from this machine or another) and prints it \
        as the live run did. A log that was cut short or damaged is read up to the damage; the \
        report says where it stopped and the exit status is 1.
        """)

    @Argument(help: ArgumentHelp("The log written by `maptrace --log FILE`.", valueName: "log"))
    var log: String

    @Flag(name: .customLong("json"), help: "Print the diagnoses as a JSON array instead of text.")
    var json = false

    @Flag(name: .customLong("all"), help: "Print every logged call, not only hugetlb calls and failures.")
    var all = false

    @Option(name: .customLong("svg"), help: ArgumentHelp("Draw the mapping count over time against the limit, with the failure marked, into FILE.", valueName: "file"))
    var svg: String?

    func run() throws {
        let postMortem = try LogReader.read(path: log)
        if json {
            print(try ReportText.diagnosesJSON(postMortem))
        } else {
            print(ReportText.render(postMortem, all: all))
        }
        if let svg { try writeChart(MapCountChart.svg(postMortem), to: svg) }
        if let damage = postMortem.damage {
            if json { Console.error("maptrace: \(log): \(damage)") }
            throw ExitCode(1)
        }
    }

    /// The SVG to FILE, or one line saying why not (a directory, a missing directory, no right).
    private func writeChart(_ text: String, to path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR {
            throw MapTraceError.io(path: path, reason: "is a directory; give a file name for the SVG, e.g. \(path.hasSuffix("/") ? path : path + "/")maps.svg")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MapTraceError.io(path: path, reason: "cannot write the SVG: \(errnoMessage(errno))") }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw MapTraceError.io(path: path, reason: "cannot write the SVG: \(errnoMessage(errno))") }
            offset += n
        }
    }
}
