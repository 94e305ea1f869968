// Reading single values written in strace's notation: numbers, flag sets, quoted strings and
// `-y` fd decorations. Each function takes the text of one argument and never traps.

enum StraceLogValues {
    /// Named constants strace prints in place of a number.
    static let namedNumbers: [String: UInt64] = [
        "NULL": 0,
        "AT_FDCWD": UInt64(bitPattern: -100),
    ]

    /// A number as strace prints it: decimal, negative decimal, `0x` hex, `0600` octal, or a named
    /// constant. A `-X verbose` comment, an fd decoration and a `name=` prefix are ignored.
    static func integer(_ text: String) -> UInt64? {
        var t = Substring(valuePart(text))
        if let angle = t.firstIndex(of: "<") { t = t[..<angle] }
        t = Substring(trim(t))
        if let named = namedNumbers[String(t)] { return named }
        var negative = false
        if t.first == "-" { negative = true; t = t.dropFirst() } else if t.first == "+" { t = t.dropFirst() }
        guard !t.isEmpty else { return nil }
        let magnitude: UInt64?
        if t.hasPrefix("0x") || t.hasPrefix("0X") {
            magnitude = UInt64(t.dropFirst(2), radix: 16)
        } else if t.count > 1 && t.first == "0" {
            magnitude = UInt64(t.dropFirst(), radix: 8)
        } else {
            magnitude = UInt64(t, radix: 10)
        }
        guard let magnitude else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? UInt64(bitPattern: Int64.min)
                : UInt64(bitPattern: -Int64(magnitude))
        }
        return magnitude
    }

    /// The members of a flag set: `PROT_READ|PROT_WRITE` -> both names, `0` -> none. Under
    /// `-X verbose` (`0x3 /* PROT_READ|PROT_WRITE */`) the names in the comment are used; shifts
    /// (`21<<MAP_HUGE_SHIFT`) and hex leftovers stay as items.
    static func flags(_ text: String) -> [String] {
        var body = stripFieldName(trim(text))
        if let open = body.firstRange(of: "/*"), let close = body[open.upperBound...].firstRange(of: "*/") {
            let named = trim(body[open.upperBound..<close.lowerBound])
            body = named.isEmpty || named == "???" ? String(body[..<open.lowerBound]) : String(named)
        }
        body = trim(body)
        if body == "0" || body.isEmpty { return [] }
        return body.split(separator: "|").map { trim($0) }.filter { !$0.isEmpty }
    }

    /// The contents of a quoted string argument with strace's escapes undone; nil when the text does
    /// not start with a quote.
    static func string(_ text: String) -> String? {
        let bytes = Array(stripFieldName(trim(text)).utf8)
        guard bytes.first == StraceByte.quote else { return nil }
        var i = 1
        var end = bytes.count
        // the closing quote: the last one before an optional `...`
        var k = 1
        while k < bytes.count {
            if bytes[k] == StraceByte.backslash { k += 2; continue }
            if bytes[k] == StraceByte.quote { end = k; break }
            k += 1
        }
        if end > bytes.count { end = bytes.count }
        var out: [UInt8] = []
        out.reserveCapacity(end)
        unescape(bytes, from: &i, to: end, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a quoted string was cut short by strace (`"abc"...`, the `-s` limit).
    static func isTruncatedString(_ text: String) -> Bool {
        let t = trim(text)
        return t.hasPrefix("\"") && t.hasSuffix("\"...")
    }

    /// The path of a `-y` decoration: `16</dev/hugepages/rtemap_3>` -> `/dev/hugepages/rtemap_3`.
    /// `-yy` details after the path (`</dev/null<char 1:3>>`) are dropped; a file strace marks
    /// `(deleted)` keeps the mark as `path (deleted)`, the way /proc/PID/fd reads.
    static func fdPath(_ text: String) -> String? {
        let bytes = Array(trim(text).utf8)
        let scanner = StraceLogScanner(bytes)
        guard let open = bytes.firstIndex(of: StraceByte.less), scanner.startsFdDecoration(at: open),
              bytes[..<open].allSatisfy({ StraceByte.isIdentifier($0) || $0 == StraceByte.dash }) else { return nil }
        let close = scanner.skipFdDecoration(at: open, end: bytes.count)
        guard close <= bytes.count, close - 1 > open, bytes[close - 1] == StraceByte.greater else { return nil }
        // the path ends at the first unescaped `<` (strace writes a `<` in a path as \74)
        var pathEnd = close - 1
        var k = open + 1
        while k < close - 1 {
            if bytes[k] == StraceByte.backslash { k += 2; continue }
            if bytes[k] == StraceByte.less { pathEnd = k; break }
            k += 1
        }
        var i = open + 1
        var out: [UInt8] = []
        unescape(bytes, from: &i, to: min(pathEnd, bytes.count), into: &out)
        var path = String(decoding: out, as: UTF8.self)
        if bytes[close...].starts(with: Array("(deleted)".utf8)) { path += " (deleted)" }
        return path
    }

    /// Appends the bytes of `bytes[i..<end]` with strace's escapes undone: `\n \t \r \v \f \" \\`,
    /// octal `\ooo` (one to three digits) and `\xHH`.
    static func unescape(_ bytes: [UInt8], from i: inout Int, to end: Int, into out: inout [UInt8]) {
        while i < end {
            let b = bytes[i]
            guard b == StraceByte.backslash, i + 1 < end else { out.append(b); i += 1; continue }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "x"):
                var value: UInt32 = 0
                var digits = 0
                while digits < 2, i < end, let d = hexDigit(bytes[i]) { value = value * 16 + d; i += 1; digits += 1 }
                if digits == 0 { out.append(UInt8(ascii: "x")) } else { out.append(UInt8(value)) }
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = UInt32(e - 0x30)
                var digits = 1
                while digits < 3, i < end, bytes[i] >= 0x30, bytes[i] <= 0x37 {
                    value = value * 8 + UInt32(bytes[i] - 0x30); i += 1; digits += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            default: out.append(e)   // \" \\ and anything strace does not define stand for themselves
            }
        }
    }

    static func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        default: return nil
        }
    }

    /// The value of an argument without a `-X verbose` comment or a `field=` prefix.
    static func valuePart(_ text: String) -> String {
        var t = stripFieldName(trim(text))
        if let open = t.firstRange(of: "/*") { t = String(t[..<open.lowerBound]) }
        return trim(t)
    }

    /// `flags=CLONE_VM|…` -> `CLONE_VM|…`; text with no leading `identifier=` is returned as it is.
    static func stripFieldName(_ text: String) -> String {
        var index = text.startIndex
        while index < text.endIndex, let ascii = text[index].asciiValue, StraceByte.isIdentifier(ascii) {
            index = text.index(after: index)
        }
        guard index > text.startIndex, index < text.endIndex, text[index] == "=" else { return text }
        let next = text.index(after: index)
        if next < text.endIndex && (text[next] == "=" || text[next] == ">") { return text }
        return String(text[next...])
    }
}

extension StraceLogValues {
    /// The text without spaces and tabs at either end.
    static func trim<S: StringProtocol>(_ text: S) -> String {
        var start = text.startIndex
        var end = text.endIndex
        while start < end, text[start] == " " || text[start] == "\t" { start = text.index(after: start) }
        while end > start {
            let before = text.index(before: end)
            guard text[before] == " " || text[before] == "\t" else { break }
            end = before
        }
        return String(text[start..<end])
    }
}
