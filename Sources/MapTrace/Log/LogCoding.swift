import Foundation

/// One JSON encoder and decoder for the log, snake_case keys, one record per line.
enum LogCoding {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// A decoder for the records of a log of FORMAT (its header's `format`).
    static func decoder(format: Int = logFormatVersion) -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.userInfo[formatKey] = format
        return d
    }

    /// Where a decoder keeps the format of the log it reads, for the types whose shape changed.
    static let formatKey = CodingUserInfoKey(rawValue: "maptrace.logFormat")!

    static func format(of decoder: Decoder) -> Int {
        decoder.userInfo[formatKey] as? Int ?? logFormatVersion
    }

    /// Decodes one line; throws when it is not a record of a known type. The line is parsed once;
    /// syscall records, the bulk of a log, are built from that parse directly (JSONDecoder took
    /// 50 µs a record), the rare other records go through their Codable conformance, or for a
    /// format 1 log through `LogFormat1`'s.
    static func decode(_ line: Data, with decoder: JSONDecoder) throws -> LogRecord {
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any],
              let type = object["type"] as? String else { throw LogReadError.notARecord }
        let format = decoder.userInfo[formatKey] as? Int ?? logFormatVersion
        if format == 1, let record = try LogFormat1.decode(type: type, line: line, object: object, with: decoder) {
            return record
        }
        switch type {
        case "header": return .header(try decoder.decode(LogHeader.self, from: line))
        case "syscall": return .syscall(try SyscallLogRecord(json: object))
        case "signal": return .signal(try decoder.decode(SignalLogRecord.self, from: line))
        case "exec": return .exec(try decoder.decode(ExecLogRecord.self, from: line))
        case "exit": return .exit(try decoder.decode(ExitLogRecord.self, from: line))
        case "drift": return .drift(try decoder.decode(DriftLogRecord.self, from: line))
        case "diagnosis": return .diagnosis(try decoder.decode(DiagnosisLogRecord.self, from: line))
        case "output_error": return .outputError(try decoder.decode(OutputErrorLogRecord.self, from: line))
        case "summary": return .summary(try decoder.decode(SummaryLogRecord.self, from: line))
        default: throw LogReadError.unknownType(type)
        }
    }

    enum LogReadError: Error { case unknownType(String), notARecord, badField(String) }
}

extension SyscallLogRecord {
    /// From a parsed line; every field is checked, so a damaged record is refused, not guessed.
    /// ERRNO reads the `errno` field: an object in format 2, a name in format 1.
    init(json o: [String: Any], errno: (Any?) throws -> Errno? = SyscallLogRecord.errnoObject) throws {
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
        let notation = try text("text")
        let call = LoggedCall(name: try text("name"), args: args.map(\.uint64Value),
                              result: try optionalNumber("result", Int64.self), errno: try errno(o["errno"]),
                              injected: o["injected"] as? Bool ?? false, text: notation, fdPath: o["fd_path"] as? String,
                              pageSize: try optionalNumber("page_size", UInt64.self))
        self.init(time: time, pid: try number("pid", Int32.self), tid: try number("tid", Int32.self), call: call,
                  fields: fields, hugetlb: try flag("hugetlb"), mapCount: try number("map_count", Int.self),
                  maxMapCount: try number("max_map_count", Int.self),
                  hugetlbMapCount: try number("hugetlb_map_count", Int.self), refused: try flag("refused"),
                  later: o["later"] as? Bool)
    }

    /// `{"name": "ENOMEM", "number": 12}`, or null.
    static func errnoObject(_ value: Any?) throws -> Errno? {
        guard let value, !(value is NSNull) else { return nil }
        guard let o = value as? [String: Any], let number = o["number"] as? NSNumber,
              let raw = Int32(exactly: number.int64Value), let name = o["name"] as? String,
              Errno(rawValue: raw).name == name else { throw LogCoding.LogReadError.badField("errno") }
        return Errno(rawValue: raw)
    }
}
