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
        as the live run did. A log that was cut short (maptrace was killed: it has no summary) \
        or damaged is read up to where it ends; a line on stderr says so.

        Exit status: 0 the whole log was read and no memory call failed; 1 a failed memory call \
        is in the log; 2 usage error; 3 the log could not be read, or not to its end (missing, \
        not a log, damaged, or without its summary) and shows no failure; 4 --svg could not be \
        written.
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
        let postMortem: PostMortemLog
        do { postMortem = try LogReader.read(path: log) } catch let error as MapTraceError { throw error.asUnreadableInput }
        if json {
            print(try ReportText.diagnosesJSON(postMortem))
        } else {
            print(ReportText.render(postMortem, all: all))
        }
        for note in ReportText.notes(postMortem) { Console.error(note) }
        if let svg { try writeChart(MapCountChart.svg(postMortem), to: svg) }
        if postMortem.showsFailure { throw ExitCode(1) }
        if postMortem.damage != nil || !postMortem.hasSummary { throw ExitCode(3) }
    }

    /// The SVG to FILE by `OutputFile.replace`'s rules (a regular file replaced atomically, a
    /// device or FIFO written in place, a symlink followed), or one line saying why not, exit 4.
    private func writeChart(_ text: String, to path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR {
            throw MapTraceError.unwritableOutput(path: path, reason: "is a directory; give a file name for the SVG, e.g. \(path.hasSuffix("/") ? path : path + "/")maps.svg")
        }
        do {
            try OutputFile.replace(path, with: Array(text.utf8))
        } catch let error as MapTraceError {
            if case .io(let path, var reason) = error {
                for prefix in ["write failed: ", "cannot create: "] where reason.hasPrefix(prefix) {
                    reason = "cannot write the SVG: " + reason.dropFirst(prefix.count)
                }
                throw MapTraceError.unwritableOutput(path: path, reason: reason)
            }
            throw error
        }
    }
}
