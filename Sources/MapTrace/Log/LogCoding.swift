import Foundation

/// One JSON encoder and decoder for the log, snake_case keys, one record per line.
enum LogCoding {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    private struct TypeOnly: Decodable { var type: String }

    /// Decodes one line; throws when it is not a record of a known type.
    static func decode(_ line: Data, with decoder: JSONDecoder) throws -> LogRecord {
        let type = try decoder.decode(TypeOnly.self, from: line).type
        switch type {
        case "header": return .header(try decoder.decode(LogHeader.self, from: line))
        case "syscall": return .syscall(try decoder.decode(SyscallLogRecord.self, from: line))
        case "signal": return .signal(try decoder.decode(SignalLogRecord.self, from: line))
        case "exec": return .exec(try decoder.decode(ExecLogRecord.self, from: line))
        case "exit": return .exit(try decoder.decode(ExitLogRecord.self, from: line))
        case "drift": return .drift(try decoder.decode(DriftLogRecord.self, from: line))
        case "diagnosis": return .diagnosis(try decoder.decode(DiagnosisLogRecord.self, from: line))
        case "summary": return .summary(try decoder.decode(SummaryLogRecord.self, from: line))
        default: throw LogReadError.unknownType(type)
        }
    }

    enum LogReadError: Error { case unknownType(String) }
}
