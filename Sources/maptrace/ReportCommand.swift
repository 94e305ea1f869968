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
        if let svg {
            do {
                try MapCountChart.svg(postMortem).write(toFile: svg, atomically: true, encoding: .utf8)
            } catch {
                throw MapTraceError.io(path: svg, reason: "cannot write: \(error.localizedDescription)")
            }
        }
        if let damage = postMortem.damage {
            if json { Console.error("maptrace: \(log): \(damage)") }
            throw ExitCode(1)
        }
    }
}
