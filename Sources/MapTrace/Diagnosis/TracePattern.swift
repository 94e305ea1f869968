/// One line on what the process was doing before it failed, from what the tracer counted.
enum TracePattern {
    /// `openat+mmap on hugetlbfs: 3061 files, one mapping per 2 MiB page, 6122 MiB mapped; -m asked for 64 MiB`.
    static func describe(_ context: TraceContext) -> String? {
        guard context.hugetlbMappings > 0 || context.hugetlbfsFilesOpened > 0 else { return nil }
        var parts: [String] = []
        let files = context.hugetlbfsFilesOpened
        let mappings = context.hugetlbMappings
        let prefix = files > 0 ? "openat+mmap on hugetlbfs" : "mmap of hugetlb memory"
        if files > 0 { parts.append("\(files) file\(files == 1 ? "" : "s")") }
        if let size = context.hugetlbPageSize, mappings > 0 {
            let perMapping = context.hugetlbBytesMapped / UInt64(mappings)
            if perMapping <= size {
                parts.append("one mapping per \(Quantity.bytes(size)) page")
            } else {
                parts.append("\(mappings) mappings of \(Quantity.bytes(size)) pages, \(Quantity.bytes(perMapping)) each on average")
            }
        } else if mappings > 0 {
            parts.append(plural(mappings, "mapping"))
        }
        parts.append("\(Quantity.bytes(context.hugetlbBytesMapped)) mapped")
        var line = prefix + ": " + parts.joined(separator: ", ")
        if let asked = DPDKArguments.megabytes(context.command) {
            line += "; -m asked for \(asked) MiB"
        }
        if context.earlierFailures > 0 {
            line += "; \(context.earlierFailures) earlier failure\(context.earlierFailures == 1 ? "" : "s") of this kind"
        }
        return line
    }
}

enum DPDKArguments {
    /// DPDK's `-m N` / `-mN` (MiB of memory to use), from a traced command line.
    static func megabytes(_ arguments: [String]) -> Int? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { break }
            if argument == "-m", index + 1 < arguments.count { return Int(arguments[index + 1]) }
            if argument.hasPrefix("-m"), let value = Int(argument.dropFirst(2)) { return value }
        }
        return nil
    }
}
