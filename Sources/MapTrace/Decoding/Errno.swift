import CMapTrace
import Glibc

/// A kernel error number with the name strace prints for it. In the log it is
/// `{"name": "ENOMEM", "number": 12}` (`NamedNumber`).
public struct Errno: NamedNumber, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// "ENOMEM" for 12; "E4095" for a number with no name.
    public var name: String { errnoName(rawValue) }
    /// "Cannot allocate memory".
    public var message: String { errnoMessage(rawValue) }
    public var description: String { name }

    /// The errno strace printed by name; nil for a name this system does not know.
    public init?(name: String) {
        guard let number = Errno.byName[name] else { return nil }
        rawValue = number
    }

    private static let byName: [String: Int32] = {
        var table: [String: Int32] = [:]
        for n in Int32(1)...Int32(133) where mt_errname(n) != nil { table[errnoName(n)] = n }
        return table
    }()

    public static let noMemory = Errno(rawValue: ENOMEM)
    public static let again = Errno(rawValue: EAGAIN)
    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let notPermitted = Errno(rawValue: EPERM)
    public static let invalid = Errno(rawValue: EINVAL)
    public static let fault = Errno(rawValue: EFAULT)
    public static let noDevice = Errno(rawValue: ENODEV)
}
