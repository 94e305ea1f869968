import Foundation

/// Renders a post-mortem log as the live run printed it: the calls, the diagnosis, the summary.
public enum ReportText {
    public static func render(_ log: PostMortemLog, all: Bool) -> String {
        let h = log.header
        var lines: [String] = []
        let start = Date(timeIntervalSince1970: h.start)
        lines.append("maptrace report: \(log.path)")
        lines.append("  \(h.mode == "attach" ? "attached" : "ran") \(h.command.joined(separator: " "))")
        lines.append("  on \(h.host), Linux \(h.kernel) \(h.arch), \(ISO8601DateFormatter().string(from: start)); maptrace \(h.maptrace), log format \(h.format)")
        if let system = h.system {
            let pools = system.pools.map { "\(Quantity.bytes($0.pageSize)) pages \($0.total) (free \($0.free), reserved \($0.reserved))" }
            lines.append("  at the start: vm.max_map_count \(system.maxMapCount.map(String.init) ?? "?")"
                         + (pools.isEmpty ? "" : "; " + pools.joined(separator: "; ")))
        }
        lines.append("")
        var summary: SummaryLogRecord?
        for record in log.records {
            switch record {
            case .syscall(let r):
                guard all || r.hugetlb || r.refused || r.later == true else { continue }
                lines.append(TextSink.line(tid: r.tid, text: r.call.text, touchesHugetlb: r.hugetlb, mapCount: r.mapCount, maxMapCount: r.maxMapCount))
            case .signal(let r):
                guard all || r.addr != nil else { continue }
                lines.append("[pid \(r.tid)] " + TextSink.signalText(r.signal.rawValue, code: r.code, address: r.addr))
            case .exit(let r):
                guard all || r.process else { continue }
                lines.append("[pid \(r.tid)] " + TextSink.exitText(status: r.status, signal: r.signal?.rawValue, coreDumped: r.coreDumped))
            case .diagnosis(let r):
                lines.append(DiagnosisText.render(r.diagnosis))
            case .drift(let r):
                if all { lines.append("maptrace: pid \(r.pid): the model counted \(r.model) mappings, the kernel \(r.kernel); re-read /proc/\(r.pid)/maps") }
            case .outputError(let r):
                lines.append("maptrace: \(r.path): cannot write the trace: \(r.reason); the rest of it is lost")
            case .summary(let r):
                summary = r
            case .exec, .header:
                break
            }
        }
        if let summary {
            lines.append(SummaryText.render(summary.processes, diagnoses: summary.diagnoses,
                                            laterFailures: summary.laterFailures, drifts: summary.drifts))
            if let reaction = InjectionReaction.fromLog(log.records) {
                lines.append(SummaryText.injection(reaction, process: summary.processes.first { $0.pid == reaction.pid }))
            }
            lines.append("  exit status \(summary.exitStatus)")
        }
        return lines.joined(separator: "\n")
    }

    /// What the report must say about the log itself, one line each for stderr: damage, and a
    /// missing summary (the run was cut short: what is shown is what the log holds).
    public static func notes(_ log: PostMortemLog) -> [String] {
        var notes: [String] = []
        if let damage = log.damage { notes.append("maptrace: \(log.path): \(damage)") }
        if !log.hasSummary {
            notes.append("maptrace: \(log.path): the log has no summary: the run did not end normally "
                         + "(maptrace was killed, or is still running); shown is what it holds, \(log.records.count) records")
        }
        return notes
    }

    /// The diagnoses of a log as a JSON array.
    public static func diagnosesJSON(_ log: PostMortemLog) throws -> String {
        try diagnosesJSON(log.records.compactMap { record -> Diagnosis? in
            if case .diagnosis(let d) = record { return d.diagnosis }
            return nil
        })
    }

    /// DIAGNOSES as a JSON array of the log's diagnosis records (a format 1 log's in format 2's shape).
    public static func diagnosesJSON(_ diagnoses: [Diagnosis]) throws -> String {
        let encoder = LogCoding.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(diagnoses.map(DiagnosisLogRecord.init)), as: UTF8.self)
    }
}
