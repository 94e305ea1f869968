/// A kernel number with the name strace prints for it (an errno, a signal). In the log it is
/// `{"name": …, "number": …}`: the name for a reader, the number for a program.
public protocol NamedNumber: RawRepresentable, Codable where RawValue == Int32 {
    init(rawValue: Int32)
    var name: String { get }
}

private enum NamedNumberKeys: String, CodingKey { case name, number }

extension NamedNumber {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: NamedNumberKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(rawValue, forKey: .number)
    }

    /// The number decides; a name that disagrees with it is damage, not a second opinion.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: NamedNumberKeys.self)
        self.init(rawValue: try c.decode(Int32.self, forKey: .number))
        guard try c.decode(String.self, forKey: .name) == name else {
            throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "name and number disagree")
        }
    }
}
