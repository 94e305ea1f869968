import Foundation
import Testing

/// The log against its documented schema (docs/log-format.schema.json): a real run that writes
/// every kind of record that needs no privilege (the fault and give-up diagnoses come from
/// DiagnosisTests and FixAppliedTests, whose logs are checked the same way), the schema's
/// refusals, and a format 1 log read by `report`.
@Suite("The log schema")
struct LogSchemaTests {
    let maptrace = Fixture.binary("maptrace")

    /// The records of a log, parsed.
    static func records(_ path: String) throws -> [[String: Any]] {
        try Fixture.readFile(path).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// One record as a line of JSON.
    static func line(_ record: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A run whose munmaps all fail by injection (the programs ignore that), which execs twice,
    /// is killed by a signal, and whose trace goes to a full device.
    func everyKindRun(_ dir: String) -> (log: String, result: ProcessResult) {
        let log = dir + "/run.jsonl"
        let result = Fixture.run([maptrace, "--no-status", "--all", "-o", "/dev/full", "--log", log,
                                  "-e", "inject=munmap:error=ENOMEM:when=1+", "--", "/bin/sh", "-c", "/bin/true; /bin/true; kill -TERM $$"])
        return (log, result)
    }

    @Test("one run writes header, exec, syscall (injected, later), signal, exit, diagnosis, output_error and summary records, every one matching the schema")
    func everyRecordKind() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-schema")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (log, result) = everyKindRun(dir)
        #expect(result.status == 143, "sh was killed by SIGTERM: \(result)")
        #expect(LogSchema.problems(log) == "")

        let records = try Self.records(log)
        let kinds = Set(records.compactMap { $0["type"] as? String })
        #expect(kinds == ["header", "exec", "syscall", "signal", "exit", "diagnosis", "output_error", "summary"], "\(kinds)")
        #expect(records.first?["type"] as? String == "header" && records.first?["format"] as? Int == 2)

        let calls = records.filter { $0["type"] as? String == "syscall" }
        let injected = calls.filter { $0["injected"] as? Bool == true }
        #expect(injected.count == 3, "one munmap refused in sh and in each /bin/true")
        #expect(injected.allSatisfy { $0["name"] as? String == "munmap" && $0["result"] is NSNull && ($0["text"] as? String)?.hasSuffix("(INJECTED)") == true })
        #expect(injected.allSatisfy { ($0["errno"] as? [String: Any]).map { $0["name"] as? String == "ENOMEM" && $0["number"] as? Int == 12 } == true })
        #expect(injected.filter { $0["later"] as? Bool == true }.count == 2, "the first is diagnosed, the others are later failures")
        #expect(calls.filter { $0["injected"] != nil }.count == injected.count, "\"injected\" appears only when true")
        #expect(calls.filter { $0["injected"] == nil }.allSatisfy { $0["errno"] is NSNull && $0["result"] != nil })

        let diagnosis = try #require(records.first { $0["type"] as? String == "diagnosis" })
        #expect(diagnosis["cause"] as? String == "injected")
        let failure = try #require(diagnosis["failure"] as? [String: Any])
        #expect(failure["kind"] as? String == "call" && (failure["call"] as? [String: Any])?["injected"] as? Bool == true)

        let signals = records.filter { $0["type"] as? String == "signal" }.compactMap { $0["signal"] as? [String: Any] }
        #expect(signals.contains { $0["name"] as? String == "SIGTERM" && $0["number"] as? Int == Int(SIGTERM) }, "\(signals)")
        let killed = try #require(records.first { $0["type"] as? String == "exit" && $0["signal"] != nil }?["signal"] as? [String: Any])
        #expect(killed["name"] as? String == "SIGTERM")

        let lost = try #require(records.first { $0["type"] as? String == "output_error" })
        #expect(lost["path"] as? String == "/dev/full" && lost["reason"] as? String == "No space left on device")
        #expect(records.filter { $0["type"] as? String == "output_error" }.count == 1, "said once, at the first failure")
        #expect(records.last?["type"] as? String == "summary")
        let statistics = try #require((records.last?["processes"] as? [[String: Any]])?.first)
        #expect(statistics["bytes_mapped_by_page_size"] is [String: Any])

        let report = Fixture.run([maptrace, "report", log])
        #expect(report.stdout.contains("maptrace: /dev/full: cannot write the trace: No space left on device"), "\(report)")
    }

    @Test("the schema refuses what it does not describe: an extra field, errno as a name, a signal as a name, a nested diagnosis, a map as pairs, a format 1 log")
    func schemaRefuses() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-schema")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (log, _) = everyKindRun(dir)
        let records = try Self.records(log)
        func first(_ type: String, where test: ([String: Any]) -> Bool = { _ in true }) throws -> [String: Any] {
            try #require(records.first { $0["type"] as? String == type && test($0) })
        }
        let failed = try first("syscall") { $0["injected"] != nil }
        #expect(LogSchema.problems(records: try Self.line(failed)) == "", "the record as written passes")

        var extra = failed
        extra["comment"] = "not in the schema"
        #expect(LogSchema.problems(records: try Self.line(extra)).contains("Additional properties are not allowed ('comment'"))
        var named = failed
        named["errno"] = "ENOMEM"
        #expect(LogSchema.problems(records: try Self.line(named)).contains("errno"))
        var missing = failed
        missing["result"] = nil
        #expect(LogSchema.problems(records: try Self.line(missing)).contains("'result' is a required property"))

        var signal = try first("signal")
        signal["signal"] = "SIGTERM"
        #expect(LogSchema.problems(records: try Self.line(signal)) != "")

        var nested = try first("diagnosis")
        let inner = nested
        nested = ["type": "diagnosis", "diagnosis": inner]
        #expect(LogSchema.problems(records: try Self.line(nested)) != "")
        var deepExtra = try first("diagnosis")
        var failure = try #require(deepExtra["failure"] as? [String: Any])
        failure["syscall"] = "munmap"
        deepExtra["failure"] = failure
        #expect(LogSchema.problems(records: try Self.line(deepExtra)) != "", "additionalProperties is false inside too")

        var summary = try first("summary")
        var processes = try #require(summary["processes"] as? [[String: Any]])
        processes[0]["bytes_mapped_by_page_size"] = [2097152, 6232735744]
        summary["processes"] = processes
        #expect(LogSchema.problems(records: try Self.line(summary)).contains("is not of type 'object'"))

        var unknown = try first("exec")
        unknown["type"] = "execve"
        #expect(LogSchema.problems(records: try Self.line(unknown)).contains("no record type 'execve'"))

        let format1 = Fixture.packageRoot + "/Tests/MapTraceTests/Log/Fixtures/format1-l2fwd.jsonl"
        #expect(LogSchema.problems(format1).contains("header record at format: 2 was expected"))
    }

    @Test("report reads a format 1 log: the same text, and --json gives its diagnosis in format 2's shape")
    func reportReadsFormat1() throws {
        let format1 = Fixture.packageRoot + "/Tests/MapTraceTests/Log/Fixtures/format1-l2fwd.jsonl"
        let report = Fixture.run([maptrace, "report", format1])
        #expect(report.status == 1, "a failure is in the log: \(report)")
        #expect(report.stdout.contains("maptrace 0.1.0, log format 1"))
        #expect(report.stdout.contains("maptrace: mmap failed with ENOMEM in pid 25418 (l2fwd)"))
        #expect(report.stdout.contains("  cause:      max_map_count (confirmed)"))
        #expect(report.stdout.contains("[pid 25418] +++ killed by SIGABRT +++"))
        #expect(report.stdout.contains("    2 MiB pages: 5944 MiB mapped"))
        #expect(report.stderr.isEmpty, "\(report.stderr)")

        let json = Fixture.run([maptrace, "report", "--json", format1])
        let diagnoses = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(diagnoses.count == 1)
        #expect(LogSchema.problems(records: try diagnoses.map(Self.line).joined(separator: "\n") + "\n") == "")
        #expect((diagnoses.first?["failure"] as? [String: Any])?["kind"] as? String == "call")
    }
}
