import Foundation
import Testing

/// A traced run of the real maptrace binary, and the diagnosis it wrote to its log, read back
/// with `maptrace report --json` as a user would.
struct DiagnosedRun {
    let result: ProcessResult
    let diagnoses: [[String: Any]]

    /// The first diagnosis's cause id and certainty.
    var cause: String? { diagnoses.first?["cause"] as? String }
    var certainty: String? { diagnoses.first?["certainty"] as? String }
    /// What the first diagnosis explains: "call", "fault" or "exit" (a give-up).
    var failureKind: String? { (diagnoses.first?["failure"] as? [String: Any])?["kind"] as? String }

    /// A named evidence value of the first diagnosis.
    func evidence(_ name: String) -> Int? {
        ((diagnoses.first?["evidence"] as? [String: Any])?["values"] as? [String: Any])?[name] as? Int
    }

    /// Every fix command of the first diagnosis.
    var fixes: [String] {
        (diagnoses.first?["fix"] as? [[String: Any]] ?? []).compactMap { $0["command"] as? String }
    }

    /// Causes the first diagnosis says were also exceeded.
    var alsoExceeded: [String] {
        (diagnoses.first?["also_exceeded"] as? [[String: Any]] ?? []).compactMap { $0["cause"] as? String }
    }

    /// The first diagnosis's fixes of one kind ("runtime", "persistent", "alternative"), with their notes.
    func fixes(kind: String) -> [(command: String, note: String)] {
        (diagnoses.first?["fix"] as? [[String: Any]] ?? []).compactMap { fix in
            guard fix["kind"] as? String == kind, let command = fix["command"] as? String else { return nil }
            return (command, fix["note"] as? String ?? "")
        }
    }

    /// The whole first diagnosis as JSON text, for messages and substring checks.
    var json: String {
        guard let d = diagnoses.first, let data = try? JSONSerialization.data(withJSONObject: d, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs `maptrace --log … -- argv` and reads its diagnoses back.
    static func trace(_ argv: [String], options: [String] = [], timeout: Double = 120) throws -> DiagnosedRun {
        let log = NSTemporaryDirectory() + "maptrace-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { unlink(log) }
        let result = Fixture.run([Fixture.binary("maptrace"), "--no-status", "--log", log] + options + ["--"] + argv, timeout: timeout)
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        let report = Fixture.run([Fixture.binary("maptrace"), "report", "--json", log])
        let parsed = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]]
        return DiagnosedRun(result: result, diagnoses: parsed ?? [])
    }
}
