/// The short summary printed at the end of a run: per process, the hugetlbfs files opened and
/// mapped, bytes mapped by page size, failed calls by errno.
public enum SummaryText {
    public static func render(_ processes: [ProcessStatistics], diagnoses: Int, laterFailures: Int, drifts: Int) -> String {
        var lines = ["maptrace: summary"]
        // Processes that did nothing with memory worth reporting (a shell's children) are left out,
        // unless that leaves nothing.
        let busy = processes.filter { $0.hugetlbfsFilesOpened > 0 || $0.hugetlbMappings > 0 || !$0.failuresByErrno.isEmpty }
        for p in busy.isEmpty ? Array(processes.prefix(1)) : busy {
            let command = p.command.count > 60 ? String(p.command.prefix(57)) + "..." : p.command
            var end = ""
            if let status = p.exitStatus { end = ": exited with \(status)" } else if let sig = p.killedBy { end = ": killed by \(sig)" }
            lines.append("  pid \(p.pid) (\(command))\(end)")
            lines.append("    hugetlbfs: \(plural(p.hugetlbfsFilesOpened, "file")) opened, \(plural(p.hugetlbMappings, "mapping")) made")
            for (size, bytes) in p.bytesMappedByPageSize.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(Quantity.bytes(size)) pages: \(Quantity.bytes(bytes)) mapped")
            }
            lines.append("    peak mapping count: \(p.peakMapCount)")
            if let failure = p.firstFailure, let before = p.hugetlbMappingsAtFailure {
                let after = p.hugetlbMappings - before
                lines.append("    first failure: \(failure) after \(before) hugetlb mappings; "
                             + (after > 0 ? "the process went on and made \(after) more" : "it made no more after it"))
            }
            if !p.failuresByErrno.isEmpty {
                let failures = p.failuresByErrno.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                lines.append("    failed calls: \(failures)")
            }
        }
        var tail = "  \(diagnoses) failure\(diagnoses == 1 ? "" : "s") diagnosed"
        if laterFailures > 0 { tail += "; \(laterFailures) later failing call\(laterFailures == 1 ? "" : "s") not diagnosed again" }
        if drifts > 0 { tail += "; the model was re-synchronised from /proc \(drifts) time\(drifts == 1 ? "" : "s")" }
        lines.append(tail)
        return lines.joined(separator: "\n")
    }

    /// What the program did after its first injected failure: retried, went on, ended.
    public static func injection(_ r: InjectionReaction, process: ProcessStatistics?) -> String {
        var line = "  injected: \(r.callName) \(errnoName(r.errnoValue)) into pid \(r.tid)"
            + (r.occurrence > 0 ? " at its \(ordinal(r.occurrence)) \(r.callName) (-e \(r.ruleText))" : "") + "; the program "
        var reactions: [String] = []
        if r.retries > 0 {
            reactions.append("retried the same call \(plural(r.retries, "time"))" + (r.retrySucceeded ? " (it then succeeded)" : ""))
        }
        if r.moreMappings > 0 {
            reactions.append("went on and made \(plural(r.moreMappings, "more mapping"))"
                             + (r.moreHugetlbMappings > 0 ? " (\(r.moreHugetlbMappings) on hugetlb)" : ""))
        } else {
            reactions.append("made no more mappings")
        }
        if let status = process?.exitStatus {
            reactions.append("exited with \(status)")
        } else if let sig = process?.killedBy {
            reactions.append("was killed by \(sig)")
        } else {
            reactions.append("was still running")
        }
        line += reactions.dropLast().joined(separator: ", ") + (reactions.count > 1 ? " and " : "") + (reactions.last ?? "")
        return line
    }

    static func ordinal(_ n: Int) -> String {
        let suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th" : [1: "st", 2: "nd", 3: "rd"][n % 10] ?? "th"
        return "\(n)\(suffix)"
    }
}

/// "1 file", "2 files".
public func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
