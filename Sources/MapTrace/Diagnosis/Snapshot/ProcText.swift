#if canImport(Glibc)
import Glibc
#endif

/// Reading and parsing the small text files of /proc and /sys.
///
/// A file that cannot be read is `nil`: the snapshot records the value as absent rather than failing.
enum ProcText {
    static func read(_ path: String) -> String? { try? ProcFile.read(path) }

    /// The first line of a one-value file, trimmed.
    static func value(_ path: String) -> String? {
        read(path).map { $0.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? "" }
            .map { $0.trimmingSpaces() }
    }

    static func int(_ path: String) -> Int? { value(path).flatMap { Int($0) } }
    static func uint64(_ path: String) -> UInt64? { value(path).flatMap { UInt64($0) } }

    /// "Key:  value" lines (/proc/PID/status, /proc/meminfo) as a dictionary.
    static func fields(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            result[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingSpaces()
        }
        return result
    }

    /// "123456 kB" → bytes.
    static func kilobytes(_ value: String?) -> UInt64? {
        guard let value, let number = value.split(separator: " ").first, let kb = UInt64(number) else { return nil }
        return kb * 1024
    }

    /// A kernel list such as "0-3,8,10-11".
    static func list(_ value: String) -> [Int] {
        value.split(separator: ",").flatMap { part -> [Int] in
            let ends = part.split(separator: "-").compactMap { Int($0.trimmingSpaces()) }
            if ends.count == 2, ends[0] <= ends[1] { return Array(ends[0]...ends[1]) }
            return ends.count == 1 ? ends : []
        }
    }

    /// The rows of /proc/PID/limits that matter, by their name there.
    static func limits(_ text: String) -> [String: ResourceLimit] {
        var result: [String: ResourceLimit] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            // Columns are fixed-width: the name ends at column 26, then soft, hard, units.
            let chars = Array(line)
            guard chars.count > 26 else { continue }
            let name = String(chars[0..<26]).trimmingSpaces()
            let values = String(chars[26...]).split(separator: " ")
            guard values.count >= 2 else { continue }
            result[name] = ResourceLimit(soft: limitValue(values[0]), hard: limitValue(values[1]))
        }
        return result
    }

    private static func limitValue(_ text: Substring) -> UInt64? {
        text == "unlimited" ? nil : UInt64(text)
    }

    /// Names in a directory (without "." and ".."); empty when it cannot be opened.
    static func directoryEntries(_ path: String) -> [(name: String, isDirectory: Bool)] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [(String, Bool)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            names.append((name, entry.pointee.d_type == UInt8(DT_DIR)))
        }
        return names
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
