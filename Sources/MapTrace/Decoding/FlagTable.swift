/// A table of flag bits and their names, in the order strace prints them.
/// Rendering prints the known names joined by `|` and any unknown bits as hex, as strace does.
struct FlagTable: Sendable {
    let entries: [(value: UInt64, name: String)]

    init(_ entries: [(UInt64, String)]) {
        self.entries = entries.map { (value: $0.0, name: $0.1) }
    }

    /// `zero` is what a value of 0 prints as ("0", "PROT_NONE").
    func render(_ value: UInt64, zero: String = "0") -> String {
        if value == 0 { return zero }
        var parts: [String] = []
        var rest = value
        for entry in entries where entry.value != 0 && rest & entry.value == entry.value {
            parts.append(entry.name)
            rest &= ~entry.value
        }
        if rest != 0 { parts.append(hex(rest)) }
        return parts.joined(separator: "|")
    }

    /// The name of an exact value (for enumerations such as madvise advice).
    func name(of value: UInt64) -> String? {
        entries.first(where: { $0.value == value })?.name
    }

    /// The value of a name, for reading strace text back.
    func value(of name: String) -> UInt64? {
        entries.first(where: { $0.name == name })?.value
    }

    /// The value of flag names as `render` prints them (`StraceLogValues.flags` splits them):
    /// names, hex or decimal leftovers. nil when a name is not in the table, so a mangled
    /// argument is never taken for a different one.
    func parse(_ names: [String], zero: String = "0") -> UInt64? {
        var value: UInt64 = 0
        for name in names where name != zero {
            if let bits = self.value(of: name) ?? StraceLogValues.integer(name) { value |= bits } else { return nil }
        }
        return value
    }
}
