import Foundation
import Glibc

/// A post-mortem log read back: its records up to the end, or up to the first damaged line.
public struct PostMortemLog: Sendable {
    public var header: LogHeader
    public var records: [LogRecord]
    /// Where reading stopped early, and why (a damaged or partial line); nil when the log was whole.
    public var damage: String?
    public var path: String

    /// Whether the run's summary record is there (it is the last thing a run writes).
    public var hasSummary: Bool {
        records.contains { if case .summary = $0 { true } else { false } }
    }

    /// Whether the log shows a memory call that failed: a diagnosis, or a refused call.
    public var showsFailure: Bool {
        records.contains { record in
            switch record {
            case .diagnosis: true
            case .syscall(let r): r.refused
            default: false
            }
        }
    }
}

/// Reads a post-mortem log line by line. Bad input gets one clear error: not a log, an empty
/// file, a binary file, a newer format. A damaged line ends the reading there, and the report
/// says so.
public enum LogReader {
    /// Lines longer than this are damage, not records (a diagnosis with its snapshot is a few KiB).
    public static let maximumLineLength = 64 << 20

    public static func read(path: String, maximumLineLength: Int = LogReader.maximumLineLength) throws -> PostMortemLog {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MapTraceError.io(path: path, reason: errnoMessage(errno)) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR { throw MapTraceError.io(path: path, reason: "Is a directory") }

        var decoder = LogCoding.decoder()
        var lines = LineReader(fd: fd, maximumLineLength: maximumLineLength)
        var header: LogHeader?
        var records: [LogRecord] = []
        var damage: String?
        var number = 0
        while true {
            let next: LineReader.Line
            do { next = try lines.next() } catch { throw MapTraceError.io(path: path, reason: errnoMessage(errno)) }
            guard case let .line(raw, complete) = next else {
                if case .tooLong = next {
                    damage = "line \(number + 1) is longer than \(maximumLineLength >> 20) MiB: not a record; reading stopped there"
                    if header == nil { throw MapTraceError.badInput("\(path): not a maptrace log (its first line is not a header record)") }
                }
                break
            }
            // A log whose writer was killed ends in the zero bytes it had reserved ahead
            // (`LogFile`): they are the end of the log, not damage; a record cut there is partial.
            var data = raw
            if !complete, let zero = data.firstIndex(of: 0), data[zero...].allSatisfy({ $0 == 0 }) {
                data = data[..<zero]
                if data.isEmpty { break }
            }
            number += 1
            if header == nil {
                header = try readHeader(data, path: path, decoder: decoder)
                decoder = LogCoding.decoder(format: header?.format ?? logFormatVersion)
                continue
            }
            do {
                records.append(try LogCoding.decode(data, with: decoder))
            } catch {
                damage = complete
                    ? "line \(number) is not a valid record: the log is damaged there; reading stopped"
                    : "the log ends in a partial record at line \(number) (maptrace was stopped while writing it)"
                break
            }
        }
        guard let header else { throw MapTraceError.badInput("\(path): empty file, not a maptrace log") }
        return PostMortemLog(header: header, records: records, damage: damage, path: path)
    }

    private static func readHeader(_ data: Data, path: String, decoder: JSONDecoder) throws -> LogHeader {
        struct Probe: Decodable { var type: String; var format: Int? }
        guard let probe = try? decoder.decode(Probe.self, from: data), probe.type == "header" else {
            throw MapTraceError.badInput("\(path): not a maptrace log (its first line is not a header record)")
        }
        if let format = probe.format, format < 1 {
            throw MapTraceError.badInput("\(path): log format \(format) is not one maptrace ever wrote")
        }
        if let format = probe.format, format > logFormatVersion {
            throw MapTraceError.badInput("\(path): log format \(format) is newer than this maptrace reads (\(logFormatVersion)); use a newer maptrace")
        }
        do {
            return try decoder.decode(LogHeader.self, from: data)
        } catch {
            throw MapTraceError.badInput("\(path): the header record is damaged: \(describe(error))")
        }
    }

    /// A decoding error in a few words of the log's own terms (snake_case keys), not Swift's.
    static func describe(_ error: Error) -> String {
        func key(_ path: [CodingKey], _ last: CodingKey? = nil) -> String {
            (path + (last.map { [$0] } ?? [])).map { k in
                k.intValue.map(String.init) ?? k.stringValue.reduce(into: "") { text, c in
                    if c.isUppercase { text += "_" + c.lowercased() } else { text.append(c) }
                }
            }.joined(separator: ".")
        }
        switch error as? DecodingError {
        case .keyNotFound(let k, let context)?: return "it lacks \"\(key(context.codingPath, k))\""
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "\"\(key(context.codingPath))\" has a value of the wrong type"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty ? "not valid JSON" : "\"\(key(context.codingPath))\" has a value that is not valid"
        default: return "not valid JSON"
        }
    }
}

/// Splits a file into lines without holding more than one line (bounded) in memory.
struct LineReader {
    enum Line { case line(Data, complete: Bool), tooLong, end }

    let fd: Int32
    let maximumLineLength: Int
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0
    private var atEOF = false

    init(fd: Int32, maximumLineLength: Int) {
        self.fd = fd
        self.maximumLineLength = maximumLineLength
    }

    mutating func next() throws -> Line {
        var pending = Data()
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                pending.append(contentsOf: buffer[start..<newline])
                start = newline + 1
                if pending.count > maximumLineLength { return .tooLong }
                return .line(pending, complete: true)
            }
            pending.append(contentsOf: buffer[start..<end])
            start = 0
            end = 0
            if pending.count > maximumLineLength { return .tooLong }
            if atEOF { return pending.isEmpty ? .end : .line(pending, complete: false) }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw MapTraceError.io(path: "", reason: errnoMessage(errno)) }
            if n == 0 { atEOF = true } else { end = n }
        }
    }
}
