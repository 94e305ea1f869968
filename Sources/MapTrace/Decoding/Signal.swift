import Glibc

/// A signal number with the name strace prints for it. In the log it has errno's shape:
/// `{"name": "SIGBUS", "number": 7}`.
public struct Signal: NamedNumber, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// "SIGBUS" for 7.
    public var name: String { signalName(rawValue) }
    public var description: String { name }

    /// The signal strace printed by name; nil for a name this system does not know.
    public init?(name: String) {
        guard let number = (Int32(1)...Int32(64)).first(where: { signalName($0) == name }) else { return nil }
        rawValue = number
    }

    public static let bus = Signal(rawValue: SIGBUS)
}
