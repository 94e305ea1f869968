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

    /// Decodes one line; throws when it is not a record of a known type. The line is parsed once;
    /// syscall records, the bulk of a log, are built from that parse directly (JSONDecoder took
    /// 50 µs a record), the rare other records go through their Codable conformance.
    static func decode(_ line: Data, with decoder: JSONDecoder) throws -> LogRecord {
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any],
              let type = object["type"] as? String else { throw LogReadError.notARecord }
        switch type {
        case "header": return .header(try decoder.decode(LogHeader.self, from: line))
        case "syscall": return .syscall(try SyscallLogRecord(json: object))
        case "signal": return .signal(try decoder.decode(SignalLogRecord.self, from: line))
        case "exec": return .exec(try decoder.decode(ExecLogRecord.self, from: line))
        case "exit": return .exit(try decoder.decode(ExitLogRecord.self, from: line))
        case "drift": return .drift(try decoder.decode(DriftLogRecord.self, from: line))
        case "diagnosis": return .diagnosis(try decoder.decode(DiagnosisLogRecord.self, from: line))
        case "summary": return .summary(try decoder.decode(SummaryLogRecord.self, from: line))
        default: throw LogReadError.unknownType(type)
        }
    }

    enum LogReadError: Error { case unknownType(String), notARecord, badField(String) }
}

extension SyscallLogRecord {
    /// From a parsed line; every field is checked, so a damaged record is refused, not guessed.
    init(json o: [String: Any]) throws {
        func number<T: BinaryInteger>(_ key: String, _: T.Type) throws -> T {
            guard let n = o[key] as? NSNumber, let v = T(exactly: n.int64Value) ?? T(exactly: n.uint64Value)
            else { throw LogCoding.LogReadError.badField(key) }
            return v
        }
        func optionalNumber<T: BinaryInteger>(_ key: String, _ type: T.Type) throws -> T? {
            o[key] == nil || o[key] is NSNull ? nil : try number(key, type)
        }
        func text(_ key: String) throws -> String {
            guard let s = o[key] as? String else { throw LogCoding.LogReadError.badField(key) }
            return s
        }
        func flag(_ key: String) throws -> Bool {
            guard let b = o[key] as? Bool else { throw LogCoding.LogReadError.badField(key) }
            return b
        }
        guard let time = (o["time"] as? NSNumber)?.doubleValue else { throw LogCoding.LogReadError.badField("time") }
        guard let args = o["args"] as? [NSNumber] else { throw LogCoding.LogReadError.badField("args") }
        var fields: [String: FieldValue] = [:]
        for (name, value) in o["fields"] as? [String: Any] ?? [:] {
            if let s = value as? String { fields[name] = .text(s) }
            else if let a = value as? [String] { fields[name] = .names(a) }
            else if let n = value as? NSNumber { fields[name] = .number(n.int64Value) }
            else { throw LogCoding.LogReadError.badField("fields.\(name)") }
        }
        self.init(time: time, pid: try number("pid", Int32.self), tid: try number("tid", Int32.self),
                  name: try text("name"), args: args.map(\.uint64Value), fields: fields, text: try text("text"),
                  result: try optionalNumber("result", Int64.self), errno: o["errno"] as? String,
                  fdPath: o["fd_path"] as? String, hugetlb: try flag("hugetlb"),
                  pageSize: try optionalNumber("page_size", UInt64.self), mapCount: try number("map_count", Int.self),
                  maxMapCount: try number("max_map_count", Int.self),
                  hugetlbMapCount: try number("hugetlb_map_count", Int.self), refused: try flag("refused"),
                  later: o["later"] as? Bool)
    }
}
