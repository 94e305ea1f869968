/// The answer of `maptrace replay` as text.
public enum ReplayText {
    public static func render(_ result: ReplayResult, log: StraceLog) -> String {
        var lines: [String] = []
        let files = log.files.count == 1 ? log.files[0] : "\(log.files.count) files (\(log.files.joined(separator: ", ")))"
        lines.append("maptrace replay: \(files): \(plural(result.callsReplayed, "call")) replayed"
                     + (log.timeFormat.map { ", strace -\($0) times" } ?? ""))
        if let failure = result.failure {
            let place = log.files.count > 1 ? "\(log.files[failure.file]):\(failure.line)" : "line \(failure.line)"
            lines.append("first failing memory call: \(place)" + (failure.pid.map { ", pid \($0)" } ?? ""))
            if let count = result.mapCount {
                var line = "modelled areas of that process before the call: \(count)"
                if let b = result.mapCountBounds, !b.isExact {
                    line += b.high.map { " (between \(b.low) and \($0))" } ?? " (at least \(b.low); the log cannot bound it from above)"
                }
                lines.append(line)
            }
            if let diagnosis = result.diagnosis { lines.append(DiagnosisText.render(diagnosis)) }
        } else {
            lines.append("no memory call failed in this log")
        }
        if !result.gaps.isEmpty {
            lines.append("what the log lacked:")
            lines += result.gaps.map { "  - " + $0 }
        }
        if !result.notes.isEmpty {
            lines.append("notes:")
            lines += result.notes.map { "  - " + $0 }
        }
        if !result.issues.isEmpty {
            lines.append("lines that could not be read:")
            for issue in result.issues.prefix(20) {
                let where_ = log.files.count > 1 ? "\(log.files[issue.file]):\(issue.line)" : "line \(issue.line)"
                lines.append("  \(where_): \(issue.message)")
            }
            if result.issues.count > 20 { lines.append("  … and \(result.issues.count - 20) more") }
        }
        return lines.joined(separator: "\n")
    }
}
