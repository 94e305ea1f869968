/// The text of `maptrace check`: what the machine has, then each problem numbered `[1] of [3]`
/// with its value, threshold and the command to paste.
enum PreflightText {
    static func render(_ preflight: Preflight) -> String {
        let snapshot = preflight.snapshot
        var lines = ["maptrace check: " + (preflight.passed ? "passed"
            : "\(preflight.problems.count) problem\(preflight.problems.count == 1 ? "" : "s")")]
        lines.append("huge pages:")
        if snapshot.pools.isEmpty { lines.append("  none (no /sys/kernel/mm/hugepages)") }
        for pool in snapshot.pools {
            var line = "  \(Quantity.bytes(pool.pageSize)): \(pool.total) total, \(pool.free) free, \(pool.reserved) reserved"
            if pool.surplus > 0 || pool.overcommit > 0 { line += ", \(pool.surplus) surplus of \(pool.overcommit) allowed" }
            if pool.nodes.count > 1 || pool.total > 0 {
                line += " (" + pool.nodes.map { "node\($0.node): \($0.free)/\($0.total) free" }.joined(separator: ", ") + ")"
            }
            lines.append(line)
        }
        lines.append("hugetlbfs:" + (snapshot.mounts.isEmpty ? " none mounted" : ""))
        for mount in snapshot.mounts {
            var limits = ["pagesize \(Quantity.bytes(mount.pageSize))"]
            limits.append(mount.mount.sizeLimit.map { "size= \(Quantity.bytes($0))" } ?? "no size=")
            if let statfs = mount.statfs, statfs.hasSizeLimit { limits.append("\(statfs.blocksFree)/\(statfs.blocks) pages free") }
            if let inodes = mount.mount.inodeLimit { limits.append("nr_inodes= \(inodes)") }
            limits.append("\(plural(mount.fileCount, "file")) holding \(Quantity.bytes(mount.allocatedBytes))")
            lines.append("  \(mount.mountPoint): " + limits.joined(separator: ", "))
        }
        let stale = snapshot.staleFiles
        lines.append("stale files: " + (stale.isEmpty ? "none"
            : "\(stale.count), \(Quantity.bytes(stale.reduce(UInt64(0)) { $0 + $1.allocatedBytes })) held by files no process maps"))
        if let max = snapshot.maxMapCount {
            let setter = snapshot.sysctlFile(for: "vm.max_map_count").map { " (\($0.file):\($0.line) sets \($0.value))" } ?? ""
            lines.append("vm.max_map_count: \(max)\(setter)")
        }
        if let process = snapshot.process {
            let limits = [("as", process.addressSpaceLimit), ("data", process.dataLimit), ("memlock", process.memlockLimit)]
                .map { "\($0.0) \(Quantity.bytes($0.1?.soft))" }
            lines.append("limits of pid \(process.pid) (\(process.comm)): " + limits.joined(separator: ", ")
                + ", \(process.mapCount) areas")
        }
        let limited = snapshot.cgroups.flatMap { level in
            level.limits.compactMap { limit -> String? in
                guard limit.max != nil || limit.reservedMax != nil else { return nil }
                return "\(level.path) \(limit.sizeName) max \(Quantity.bytes(limit.max)), rsvd.max \(Quantity.bytes(limit.reservedMax))"
            }
        }
        lines.append("cgroup hugetlb: " + (limited.isEmpty ? "no limits" : limited.joined(separator: "; ")))
        if let overcommit = snapshot.overcommit {
            lines.append("overcommit: mode \(overcommit.mode), CommitLimit \(Quantity.bytes(overcommit.commitLimit)), "
                + "Committed_AS \(Quantity.bytes(overcommit.committed))")
        }
        for prediction in preflight.predictions {
            lines.append("prediction: \(prediction.pages) \(Quantity.bytes(prediction.pageSize)) pages one mapping each: "
                + "\(prediction.baseline) + \(prediction.pages) = \(prediction.needed) areas "
                + (prediction.passes ? "≤" : ">") + " vm.max_map_count \(prediction.maxMapCount): "
                + (prediction.passes ? "passes" : "fails") + " (twice: \(prediction.twice))")
        }
        preflight.notes.forEach { lines.append("note: " + $0) }
        for (index, problem) in preflight.problems.enumerated() {
            lines.append("")
            lines.append("[\(index + 1)] of [\(preflight.problems.count)] \(problem.summary)")
            for (position, fix) in problem.fix.enumerated() {
                for (offset, text) in DiagnosisText.fixLines(fix).enumerated() {
                    lines.append((position == 0 && offset == 0 ? "    fix: " : "         ") + text)
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
