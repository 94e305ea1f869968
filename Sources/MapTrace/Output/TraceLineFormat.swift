import Glibc

/// How a trace line is laid out, as strace's -t/-tt/-ttt/-r/-T/-k and -ff lay it out:
/// `[pid N] TIME call(args) = result <duration> maps=N/M`, then the stack frames.
public struct TraceLineFormat: Sendable {
    public enum Timestamps: Sendable, Equatable {
        case none
        /// -t: `12:34:56`
        case time
        /// -tt: `12:34:56.123456`
        case microseconds
        /// -ttt: `1700000000.123456`
        case epoch
        /// -r: seconds since the previous line, `     0.000123`
        case relative
    }

    public var timestamps: Timestamps = .none
    /// -T: ` <0.000012>` after the result.
    public var durations = false
    /// `[pid N] ` before each line; -ff leaves it out (the file's name says the task).
    public var pidPrefix = true
    /// ANSI colours (a terminal, and NO_COLOR unset).
    public var colour = false
    /// -yy: a device file's fd path also gets its type and numbers, `</dev/zero<char 1:5>>`.
    public var deviceNumbers = false

    public init() {}

    /// `12:34:56.123456 ` for the chosen style, or "" (relative times need the previous line's).
    public func timestamp(_ time: Double, previous: Double?) -> String {
        switch timestamps {
        case .none:
            return ""
        case .epoch:
            return Self.fixed(time, width: 0) + " "
        case .relative:
            return Self.fixed(max(0, time - (previous ?? time)), width: 6) + " "
        case .time, .microseconds:
            var seconds = time_t(time)
            var parts = tm()
            localtime_r(&seconds, &parts)
            func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let clock = "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
            guard timestamps == .microseconds else { return clock + " " }
            let micros = Int((time - Double(Int(time))) * 1_000_000)
            return clock + "." + Self.pad(micros, 6) + " "
        }
    }

    /// ` <0.000012>`, or "" without -T.
    public func duration(_ seconds: Double) -> String {
        durations ? " <" + Self.fixed(seconds, width: 0) + ">" : ""
    }

    /// `S.UUUUUU` with the whole seconds right-aligned to `width`.
    static func fixed(_ value: Double, width: Int) -> String {
        let micros = Int((value * 1_000_000).rounded())
        let whole = String(micros / 1_000_000)
        let padded = String(repeating: " ", count: max(0, width - whole.count)) + whole
        return padded + "." + pad(micros % 1_000_000, 6)
    }

    static func pad(_ n: Int, _ digits: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}

/// ANSI colours for a terminal: errnos and causes in red, the mapping count in yellow when it
/// nears its limit and red at it.
public enum TerminalColour {
    static let red = "\u{1B}[31m", yellow = "\u{1B}[33m", bold = "\u{1B}[1m", magenta = "\u{1B}[35m", reset = "\u{1B}[0m"

    /// NO_COLOR set to anything but "" turns colour off (no-color.org).
    public static var disabledByEnvironment: Bool {
        guard let value = getenv("NO_COLOR") else { return false }
        return value.pointee != 0
    }

    static func wrap(_ text: String, _ colour: String) -> String { colour + text + reset }

    /// The colour of `maps=N/M`: yellow from 90% of the limit, red at it.
    static func forCount(_ count: Int, limit: Int) -> String? {
        guard limit > 0 else { return nil }
        if count >= limit { return red }
        return count * 10 >= limit * 9 ? yellow : nil
    }
}

/// -yy's addition for device files: `</dev/zero>` becomes `</dev/zero<char 1:5>>`, as strace
/// prints it. Looked up once per path.
final class DeviceDecoration {
    private var cache: [String: String?] = [:]

    func add(to line: String) -> String {
        guard line.contains("</dev/") else { return line }
        var out = ""
        var rest = Substring(line)
        while let open = rest.range(of: "</dev/") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: ">") else { break }
            let path = "/dev/" + rest[open.upperBound..<close]
            out += "<" + path + (device(path).map { "<\($0)>" } ?? "") + ">"
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    private func device(_ path: String) -> String? {
        if let known = cache[path] { return known }
        var st = stat()
        var text: String?
        if stat(path, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            if kind == S_IFCHR || kind == S_IFBLK {
                let rdev = UInt64(st.st_rdev)
                // glibc's gnu_dev_major/minor: the 64-bit dev_t's split fields
                let major = ((rdev >> 32) & 0xffff_f000) | ((rdev >> 8) & 0xfff)
                let minor = ((rdev >> 12) & 0xffff_ff00) | (rdev & 0xff)
                text = "\(kind == S_IFCHR ? "char" : "block") \(major):\(minor)"
            }
        }
        cache[path] = text
        return text
    }
}
