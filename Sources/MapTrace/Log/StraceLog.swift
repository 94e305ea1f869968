// The reader of plain strace logs, for `maptrace replay`: `strace -f` output with or without
// pids, `-ff -o prefix` files, every time stamp option, `-y`/`-yy`, `-T`, `-X`, split calls,
// signals, exits, injected errors, and maptrace's own text with its ` maps=N/M` annotation.

/// A line of a log that could not be read as strace output; reading went on past it.
public struct StraceParseIssue: Sendable, Equatable {
    /// Index of the file in `StraceLog.files`.
    public var file: Int
    /// 1-based line number; 0 when the issue is about the whole file.
    public var line: Int
    public var message: String

    public init(file: Int, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
}

/// Why a log could not be read at all.
public enum StraceLogError: Error, CustomStringConvertible, Equatable {
    case noFiles
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case binary(path: String)
    /// A compressed file (`format`: "gzip", "xz", "zstd"): decompress it first.
    case compressed(path: String, format: String)
    /// No line of the file is in strace notation; `detail` quotes the first one.
    case notStraceLog(path: String, detail: String)
    /// The only content is a line longer than the limit.
    case lineTooLong(path: String, line: Int, limit: Int)

    public var description: String {
        switch self {
        case .noFiles: return "no strace log given"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .empty(let path): return "\(path): empty file, not an strace log"
        case .binary(let path): return "\(path): binary data, not an strace log"
        case .compressed(let path, let format): return "\(path): \(format)-compressed; decompress it first"
        case .notStraceLog(let path, let detail): return "\(path): not an strace log (\(detail))"
        case .lineTooLong(let path, let line, let limit):
            return "\(path): line \(line) is longer than \(limit) bytes and no other line is strace output"
        }
    }
}

/// A whole strace log, read from one file or merged from several.
public struct StraceLog: Sendable {
    /// The events: in time order when several files were read (absolute time stamps), else in file
    /// order; a split call sits where its first half was.
    public var events: [StraceEvent]
    /// Lines that could not be parsed, with their line numbers.
    public var issues: [StraceParseIssue]
    /// Whether the events carry pids (`[pid N]`, `-o` with `-f`, or `-ff` file names).
    public var hasPids: Bool
    /// "t", "tt", "ttt" or "r" (the strace option that printed the time stamps), or nil.
    public var timeFormat: String?
    /// The paths read; `file` in events and issues indexes this.
    public var files: [String]
    /// What the reader did that the answer should mention (how -ff files were joined).
    public var notes: [String] = []

    public init(events: [StraceEvent] = [], issues: [StraceParseIssue] = [], hasPids: Bool = false,
                timeFormat: String? = nil, files: [String] = []) {
        self.events = events
        self.issues = issues
        self.hasPids = hasPids
        self.timeFormat = timeFormat
        self.files = files
    }

    /// Lines longer than this are skipped and reported: no strace line comes near it.
    public static let defaultLineLimit = 1 << 20

    /// Reads and merges the logs at `paths` (several for `strace -ff -o prefix`: `prefix.PID`,
    /// whose suffix gives the pid). Throws `StraceLogError` when a file cannot be read or is not
    /// an strace log.
    public static func read(paths: [String]) throws -> StraceLog {
        try read(paths: paths, lineLimit: defaultLineLimit)
    }

    /// `read(paths:)` with a chosen line limit.
    static func read(paths: [String], lineLimit: Int) throws(StraceLogError) -> StraceLog {
        guard !paths.isEmpty else { throw .noFiles }
        var parts: [StraceFileEvents] = []
        var emptyFiles: [StraceParseIssue] = []
        for (index, path) in paths.enumerated() {
            var reader = try StraceLogLineReader(path: path, lineLimit: lineLimit)
            let head = try reader.head(path: path)
            if let format = compression(head) { throw .compressed(path: path, format: format) }
            if looksBinary(head) { throw .binary(path: path) }
            var assembler = StraceLogAssembler(file: index)
            while let item = try reader.next(path: path) {
                switch item {
                case .line(let bytes, let number): assembler.consume(bytes, line: number)
                case .tooLong(let length, let number): assembler.consumeTooLong(line: number, length: length, limit: lineLimit)
                }
                if assembler.isHopeless { break }
            }
            let part = assembler.finish(filePid: pidSuffix(of: path), lastLineHadNewline: reader.lastLineHadNewline)
            if part.recognizedLines == 0 {
                if let first = part.issues.first {
                    if part.sawTooLongLine && part.issues.count == 1 {
                        throw .lineTooLong(path: path, line: first.line, limit: lineLimit)
                    }
                    throw .notStraceLog(path: path, detail: "no line in strace notation; line \(first.line): \(first.message)")
                }
                // nothing but blank lines
                if paths.count == 1 { throw .empty(path: path) }
                emptyFiles.append(StraceParseIssue(file: index, line: 0, message: "empty file"))
            }
            parts.append(part)
        }
        if emptyFiles.count == paths.count { throw .empty(path: paths[0]) }
        var log = merge(parts, files: paths)
        log.issues.insert(contentsOf: emptyFiles, at: 0)
        return log
    }

    /// Reads one log file and hands each event to `handler` as soon as no later line can change
    /// it, keeping none: memory stays flat however long the log. The result holds everything
    /// but the events. Throws as `read(paths:)` does.
    public static func stream(path: String, _ handler: (StraceEvent) -> Void) throws -> StraceLog {
        try stream(path: path, lineLimit: defaultLineLimit, handler)
    }

    static func stream(path: String, lineLimit: Int, _ handler: (StraceEvent) -> Void) throws(StraceLogError) -> StraceLog {
        var reader = try StraceLogLineReader(path: path, lineLimit: lineLimit)
        let head = try reader.head(path: path)
        if let format = compression(head) { throw .compressed(path: path, format: format) }
        if looksBinary(head) { throw .binary(path: path) }
        var assembler = StraceLogAssembler(file: 0)
        var lines = 0
        while let item = try reader.next(path: path) {
            switch item {
            case .line(let bytes, let number): assembler.consume(bytes, line: number)
            case .tooLong(let length, let number): assembler.consumeTooLong(line: number, length: length, limit: lineLimit)
            }
            if assembler.isHopeless { break }
            lines += 1
            if lines % 4096 == 0 { assembler.drain(handler) }
        }
        var part = assembler.finish(filePid: pidSuffix(of: path), lastLineHadNewline: reader.lastLineHadNewline)
        if part.recognizedLines == 0 {
            if let first = part.issues.first {
                if part.sawTooLongLine && part.issues.count == 1 { throw .lineTooLong(path: path, line: first.line, limit: lineLimit) }
                throw .notStraceLog(path: path, detail: "no line in strace notation; line \(first.line): \(first.message)")
            }
            throw .empty(path: path)
        }
        for event in part.events { handler(event) }
        part.events = []
        return StraceLog(events: [], issues: part.issues, hasPids: part.hasPids, timeFormat: part.timeFormat, files: [path])
    }

    /// Parses log text held in memory; never throws: what cannot be read becomes `issues`.
    public static func parse(_ text: String, file: Int = 0) -> StraceLog {
        parse(bytes: Array(text.utf8), file: file)
    }

    /// `parse(_:file:)` on raw bytes, which need not be UTF-8.
    static func parse(bytes: [UInt8], file: Int = 0, lineLimit: Int = defaultLineLimit) -> StraceLog {
        var assembler = StraceLogAssembler(file: file)
        var start = 0
        var number = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            number += 1
            if end - start > lineLimit {
                assembler.consumeTooLong(line: number, length: end - start, limit: lineLimit)
            } else {
                assembler.consume(Array(bytes[start..<end]), line: number)
            }
            start = end + 1
        }
        let part = assembler.finish(lastLineHadNewline: bytes.last.map { $0 == 0x0A } ?? true)
        return merge([part], files: [])
    }

    /// Binary data: a NUL byte, or mostly bytes that are neither printable ASCII nor blanks (strace
    /// escapes everything else, so even a log of binary writes is text).
    static func looksBinary(_ head: ArraySlice<UInt8>) -> Bool {
        guard !head.isEmpty else { return false }
        if head.contains(0) { return true }
        let odd = head.reduce(0) { $0 + (($1 < 0x20 && $1 != 0x09 && $1 != 0x0A && $1 != 0x0D) || $1 >= 0x80 ? 1 : 0) }
        return odd * 10 > head.count * 3
    }

    /// Magic numbers of the compressors logs are usually shipped with.
    static let compressionMagic: [(magic: [UInt8], format: String)] = [
        ([0x1F, 0x8B], "gzip"), ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz"),
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd"),
    ]

    /// The compressor whose magic number starts `head`, if any.
    static func compression(_ head: ArraySlice<UInt8>) -> String? {
        compressionMagic.first { head.starts(with: $0.magic) }?.format
    }

    /// The pid in an `strace -ff -o prefix` file name: `prefix.5399` -> 5399.
    static func pidSuffix(of path: String) -> Int32? {
        let name = path.split(separator: "/").last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot > name.startIndex else { return nil }
        let digits = name[name.index(after: dot)...]
        guard (1...7).contains(digits.count), digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let pid = UInt64(digits),
              pid > 0, pid <= StraceLogLine.pidMaxLimit else { return nil }
        return Int32(pid)
    }
}
