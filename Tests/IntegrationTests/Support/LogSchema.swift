import Foundation

/// The check of a log against its documented schema: every record of the file against
/// docs/log-format.schema.json, by Tests/validate-log.py (python3-jsonschema, which
/// Tests/run.sh installs). Tests that write a log call it on what they wrote.
enum LogSchema {
    static let schema = Fixture.packageRoot + "/docs/log-format.schema.json"
    static let validator = Fixture.packageRoot + "/Tests/validate-log.py"

    /// The records of the log at PATH that do not match, one line each; "" when every one does.
    /// A validator that cannot run is a problem too (never a silent pass). jsonschema checks
    /// about 1,700 records a second here, so the long logs of the differential test (43,000
    /// records each) take half a minute, more on a slow machine: the time allowed is ample.
    static func problems(_ path: String) -> String {
        report(Fixture.run(["python3", validator, schema, path], timeout: 600))
    }

    /// The same for records given as text, one per line (each ended by its newline: a last
    /// line without one would be read as a record cut short, and skipped).
    static func problems(records text: String) -> String {
        report(Fixture.run(["python3", validator, schema, "-"], stdin: text.hasSuffix("\n") ? text : text + "\n", timeout: 600))
    }

    private static func report(_ result: ProcessResult) -> String {
        if result.status == 0 { return "" }
        let said = (result.stdout + result.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
        if result.timedOut { return "validate-log.py did not finish in time" }
        return said.isEmpty ? "validate-log.py exited with \(result.status)" : said
    }
}
