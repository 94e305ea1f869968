// Merging the files of `strace -ff -o prefix` (one per thread) into one log in time order.

extension StraceLog {
    /// Time stamps that mean the same instant in every file of one run.
    static let absoluteFormats: Set<String> = ["t", "tt", "ttt"]

    /// One log from the events of each file. Files with absolute time stamps of one format are
    /// merged by time, each file's own order kept; otherwise they follow one another as given
    /// (`-r` deltas, or no stamps, say nothing about how two files interleave).
    static func merge(_ parts: [StraceFileEvents], files: [String]) -> StraceLog {
        var log = StraceLog(files: files)
        log.hasPids = parts.contains { $0.hasPids }
        log.timeFormat = parts.lazy.compactMap(\.timeFormat).first
        log.issues = parts.flatMap(\.issues)
        let filled = parts.filter { !$0.events.isEmpty }
        guard filled.count > 1 else {
            log.events = filled.first?.events ?? []
            return log
        }
        let formats = Set(filled.map { $0.timeFormat ?? "none" })
        guard formats.count == 1, let format = formats.first, absoluteFormats.contains(format) else {
            let why = formats.count > 1 ? "time stamps of different kinds (\(formats.sorted().joined(separator: ", ")))"
                : formats.first == "r" ? "-r time stamps are relative" : "no time stamps"
            // a note on the reading, not a line that could not be read
            log.notes.append("\(why): the files were joined in the order given, not merged by time")
            log.events = parts.flatMap(\.events)
            return log
        }
        // Keys never decrease within a file, so sorting by (key, file, index) keeps each file's order.
        var keyed: [(key: Double, file: Int, index: Int)] = []
        keyed.reserveCapacity(filled.reduce(0) { $0 + $1.events.count })
        for (file, part) in parts.enumerated() {
            var running = -Double.infinity
            for (index, time) in part.sortTimes.enumerated() {
                if let time, time > running { running = time }
                keyed.append((running, file, index))
            }
        }
        keyed.sort { ($0.key, $0.file, $0.index) < ($1.key, $1.file, $1.index) }
        log.events = keyed.map { parts[$0.file].events[$0.index] }
        return log
    }
}
