// Byte-level scanning of strace's notation: where an argument list ends, where its top-level
// commas are, and which spans are opaque (strings, comments, `-y` fd decorations).
//
// Everything works on the raw bytes of one line, so a line that is not UTF-8 or not strace at
// all costs one linear pass and never traps. Every loop advances by at least one byte.

/// The ASCII bytes the scanner looks at, by name.
enum StraceByte {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let comma = UInt8(ascii: ",")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let less = UInt8(ascii: "<")
    static let greater = UInt8(ascii: ">")
    static let openParen = UInt8(ascii: "(")
    static let closeParen = UInt8(ascii: ")")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let slash = UInt8(ascii: "/")
    static let star = UInt8(ascii: "*")
    static let dot = UInt8(ascii: ".")
    static let dash = UInt8(ascii: "-")
    static let equals = UInt8(ascii: "=")
    static let pipe = UInt8(ascii: "|")
    static let colon = UInt8(ascii: ":")

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    /// A byte of a C identifier (syscall, flag or field name).
    static func isIdentifier(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == UInt8(ascii: "_") }
    static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }
}

/// The result of scanning an argument list.
struct StraceArgumentScan {
    /// Top-level arguments, untrimmed; the last one is partial when `close` is nil.
    var arguments: [Range<Int>] = []
    /// Index of the `)` that closes the list, nil when the line ends first.
    var close: Int?
    /// Where an `<unfinished ...>` or `<pid changed to N ...>` mark sits, if one does.
    var unfinishedMark: Range<Int>?
}

/// Scanning primitives over one line's bytes.
struct StraceLogScanner {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Scans an argument list that starts just after its `(` and stops at the matching `)`.
    func scanArguments(from start: Int, to end: Int? = nil) -> StraceArgumentScan {
        let end = end ?? bytes.count
        var scan = StraceArgumentScan()
        var depth = 0
        var argumentStart = start
        var i = start
        while i < end {
            let b = bytes[i]
            switch b {
            case StraceByte.quote:
                i = skipString(at: i, end: end)
            case StraceByte.slash where i + 1 < end && bytes[i + 1] == StraceByte.star:
                i = skipComment(at: i, end: end)
            case StraceByte.less:
                if startsFdDecoration(at: i) {
                    i = skipFdDecoration(at: i, end: end)
                } else if let mark = unfinishedMark(at: i, end: end) {
                    if scan.unfinishedMark == nil { scan.unfinishedMark = mark }
                    i = mark.upperBound
                } else {
                    i += 1
                }
            case StraceByte.openParen, StraceByte.openBracket, StraceByte.openBrace:
                depth += 1
                i += 1
            case StraceByte.closeParen where depth == 0:
                scan.arguments.append(argumentStart..<i)
                scan.close = i
                return scan
            case StraceByte.closeParen, StraceByte.closeBracket, StraceByte.closeBrace:
                depth = max(0, depth - 1)
                i += 1
            case StraceByte.comma where depth == 0:
                scan.arguments.append(argumentStart..<i)
                argumentStart = i + 1
                i += 1
            default:
                i += 1
            }
        }
        scan.arguments.append(argumentStart..<max(argumentStart, end))
        return scan
    }

    /// Index just past one token that ends at a blank outside strings and fd decorations
    /// (a result such as `3</tmp/a b>(deleted)`).
    func tokenEnd(from start: Int, end: Int? = nil) -> Int {
        let end = end ?? bytes.count
        var i = start
        var depth = 0
        while i < end {
            let b = bytes[i]
            if StraceByte.isBlank(b) && depth == 0 { return i }
            switch b {
            case StraceByte.quote: i = skipString(at: i, end: end)
            case StraceByte.less where startsFdDecoration(at: i): i = skipFdDecoration(at: i, end: end)
            case StraceByte.openParen, StraceByte.openBracket, StraceByte.openBrace: depth += 1; i += 1
            case StraceByte.closeParen, StraceByte.closeBracket, StraceByte.closeBrace: depth = max(0, depth - 1); i += 1
            default: i += 1
            }
        }
        return end
    }

    /// Index just past the group that opens at `start` (`(…)`, `[…]`, `{…}`), or `end`.
    func groupEnd(from start: Int, end: Int? = nil) -> Int {
        let end = end ?? bytes.count
        var depth = 0
        var i = start
        while i < end {
            switch bytes[i] {
            case StraceByte.quote: i = skipString(at: i, end: end); continue
            case StraceByte.less where startsFdDecoration(at: i): i = skipFdDecoration(at: i, end: end); continue
            case StraceByte.openParen, StraceByte.openBracket, StraceByte.openBrace: depth += 1
            case StraceByte.closeParen, StraceByte.closeBracket, StraceByte.closeBrace:
                depth -= 1
                if depth <= 0 { return i + 1 }
            default: break
            }
            i += 1
        }
        return end
    }

    /// Index just past a quoted string and strace's `...` truncation mark after it.
    func skipString(at start: Int, end: Int) -> Int {
        var i = start + 1
        while i < end {
            let b = bytes[i]
            if b == StraceByte.backslash { i += 2; continue }
            if b == StraceByte.quote {
                i += 1
                if i + 3 <= end, bytes[i] == StraceByte.dot, bytes[i + 1] == StraceByte.dot,
                   bytes[i + 2] == StraceByte.dot {
                    i += 3
                }
                return i
            }
            i += 1
        }
        return end
    }

    /// Index just past a `/* … */` comment (`-X verbose` names, `/* 35 vars */`).
    func skipComment(at start: Int, end: Int) -> Int {
        var i = start + 2
        while i + 1 < end {
            if bytes[i] == StraceByte.star && bytes[i + 1] == StraceByte.slash { return i + 2 }
            i += 1
        }
        return end
    }

    /// Whether the `<` at `i` opens a `-y` decoration: it follows an fd number or AT_FDCWD and is not
    /// half of a `<<` shift (`21<<MAP_HUGE_SHIFT`).
    func startsFdDecoration(at i: Int) -> Bool {
        guard i > 0, bytes[i] == StraceByte.less, StraceByte.isIdentifier(bytes[i - 1]) else { return false }
        if i + 1 < bytes.count && bytes[i + 1] == StraceByte.less { return false }
        return true
    }

    /// Index just past a `-y`/`-yy` decoration: `</dev/null<char 1:3>>` nests, `\76` is an escaped `>`,
    /// and `->` inside `[…]` joins the two ends of a socket (`<TCP:[127.0.0.1:22->127.0.0.1:5555]>`).
    func skipFdDecoration(at start: Int, end: Int) -> Int {
        var depth = 0
        var brackets = 0
        var i = start
        while i < end {
            let b = bytes[i]
            switch b {
            case StraceByte.backslash:
                i += 2
                continue
            case StraceByte.openBracket: brackets += 1
            case StraceByte.closeBracket: brackets = max(0, brackets - 1)
            case StraceByte.less: depth += 1
            case StraceByte.greater:
                let arrow = brackets > 0 && i > start && bytes[i - 1] == StraceByte.dash
                if !arrow {
                    depth -= 1
                    if depth == 0 { return i + 1 }
                }
            default: break
            }
            i += 1
        }
        return end
    }

    /// The range of `<unfinished ...>` or `<pid changed to N ...>` when one starts at `i`.
    func unfinishedMark(at i: Int, end: Int) -> Range<Int>? {
        if matches(Self.unfinished, at: i, end: end) { return i..<(i + Self.unfinished.count) }
        guard matches(Self.pidChanged, at: i, end: end) else { return nil }
        var j = i + Self.pidChanged.count
        while j < end && StraceByte.isDigit(bytes[j]) { j += 1 }
        guard matches(Self.ellipsisClose, at: j, end: end) else { return nil }
        return i..<(j + Self.ellipsisClose.count)
    }

    /// Whether `literal` occurs at `i`.
    func matches(_ literal: [UInt8], at i: Int, end: Int? = nil) -> Bool {
        let end = end ?? bytes.count
        guard i >= 0, i + literal.count <= end else { return false }
        for k in 0..<literal.count where bytes[i + k] != literal[k] { return false }
        return true
    }

    /// `range` without blanks at either end.
    func trimmed(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper && StraceByte.isBlank(bytes[lower]) { lower += 1 }
        while upper > lower && StraceByte.isBlank(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// The text of `range`, with bytes that are not UTF-8 replaced.
    func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    static let unfinished = Array("<unfinished ...>".utf8)
    static let pidChanged = Array("<pid changed to ".utf8)
    static let ellipsisClose = Array(" ...>".utf8)
}
