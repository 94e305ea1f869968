/// A JSON object written straight into a byte buffer: the log's syscall records are most of a
/// log, and going through JSONEncoder for each cost 30 µs a record (six times a ptrace stop).
/// The output is plain JSON that `LogCoding`'s decoder reads like any other record.
struct JSONLine {
    private(set) var bytes: [UInt8] = []
    private var first = true

    init() {
        bytes.reserveCapacity(512)
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func field(_ key: String, _ value: String?) {
        guard let value else { return }
        self.key(key)
        string(value)
    }

    mutating func field<T: BinaryInteger>(_ key: String, _ value: T?) {
        guard let value else { return }
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A number, or null: a key that is always there.
    mutating func nullable<T: BinaryInteger>(_ key: String, _ value: T?) {
        self.key(key)
        bytes.append(contentsOf: (value.map { String($0) } ?? "null").utf8)
    }

    /// `{"name":"ENOMEM","number":12}`, or null: the key is always there.
    mutating func field(_ key: String, errno: Errno?) {
        self.key(key)
        guard let errno else {
            bytes.append(contentsOf: "null".utf8)
            return
        }
        bytes.append(contentsOf: #"{"name":"#.utf8)
        string(errno.name)
        bytes.append(contentsOf: #","number":"#.utf8)
        bytes.append(contentsOf: String(errno.rawValue).utf8)
        bytes.append(UInt8(ascii: "}"))
    }

    /// A time in seconds, as `JSONLine.seconds` writes it.
    mutating func field(_ key: String, _ value: Double) {
        self.key(key)
        JSONLine.seconds(value) { bytes.append(contentsOf: $0) }
    }

    /// Seconds with at most 7 decimals (0.1 µs), trailing zeros dropped: `1795690000.2500001`.
    /// For a time of day since 1970 this reads back as the very same Double (its spacing there
    /// is 2.4 µs / 10 or more), and it costs a tenth of the shortest round-trip form that
    /// `description` computes, which was the largest part of a syscall record's cost.
    /// Other values (not finite, or beyond 10^12) are written by `description`.
    static func seconds(_ value: Double, _ write: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard value.isFinite, value >= 0, value < 1e12 else {
            var text = value.isFinite ? value.description : "0"
            text.withUTF8 { write($0) }
            return
        }
        // floor and round to nearest (halves away from zero) by conversions to integers, which
        // are exact here: libm's floor and round were calls of their own per record
        var whole = UInt64(value)
        let scaled = (value - Double(whole)) * 1e7
        var ticks = UInt64(scaled)
        if scaled - Double(ticks) >= 0.5 { ticks += 1 }
        if ticks >= 10_000_000 { whole += 1; ticks = 0 }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var n = 0
            var w = whole
            var length = 1
            var limit: UInt64 = 10
            while w >= limit { length += 1; limit &*= 10 }
            for i in stride(from: length - 1, through: 0, by: -1) {
                buffer[i] = UInt8(ascii: "0") + UInt8(w % 10)
                w /= 10
            }
            n = length
            buffer[n] = UInt8(ascii: ".")
            n += 1
            var t = UInt64(ticks)
            if t == 0 {
                buffer[n] = UInt8(ascii: "0")
                n += 1
            } else {
                var fraction = 7
                while t % 10 == 0 { t /= 10; fraction -= 1 }
                for i in stride(from: n + fraction - 1, through: n, by: -1) {
                    buffer[i] = UInt8(ascii: "0") + UInt8(t % 10)
                    t /= 10
                }
                n += fraction
            }
            write(UnsafeBufferPointer(rebasing: buffer[..<n]))
        }
    }

    mutating func field(_ key: String, _ value: Bool?) {
        guard let value else { return }
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field(_ key: String, _ values: [UInt64]) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: String(v).utf8)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func field(_ key: String, _ fields: [String: FieldValue]) {
        self.key(key)
        bytes.append(UInt8(ascii: "{"))
        for (i, (name, value)) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(name)
            bytes.append(UInt8(ascii: ":"))
            switch value {
            case .number(let n): bytes.append(contentsOf: String(n).utf8)
            case .text(let s): string(s)
            case .names(let names):
                bytes.append(UInt8(ascii: "["))
                for (j, n) in names.enumerated() {
                    if j > 0 { bytes.append(UInt8(ascii: ",")) }
                    string(n)
                }
                bytes.append(UInt8(ascii: "]"))
            }
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// The finished line, with its newline.
    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(0x0A)
        return bytes
    }

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// RFC 8259 string escaping: quote, backslash and control characters.
    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
