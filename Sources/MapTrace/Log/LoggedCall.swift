/// A call as every record of the log shows it: the syscall record (its fields at the top level)
/// and the failed call of a diagnosis (its `call` object) alike.
public struct LoggedCall: Codable, Sendable, Equatable {
    /// The name strace prints ("mmap").
    public var name: String
    /// The six raw argument registers.
    public var args: [UInt64]
    /// What the call returned; nil when it failed (or never returned).
    public var result: Int64?
    /// The error it failed with; nil when it returned a value.
    public var errno: Errno?
    /// The result was injected by -e inject: the call never ran.
    public var injected: Bool
    /// The call in strace's notation, with its result.
    public var text: String
    /// The path of the fd argument, or of the fd an open returned.
    public var fdPath: String?
    /// The huge page size when the call touches hugetlb memory.
    public var pageSize: UInt64?

    public init(name: String, args: [UInt64], result: Int64?, errno: Errno?, injected: Bool = false, text: String,
                fdPath: String? = nil, pageSize: UInt64? = nil) {
        self.name = name
        self.args = args
        self.result = result
        self.errno = errno
        self.injected = injected
        self.text = text
        self.fdPath = fdPath
        self.pageSize = pageSize
    }

    private enum CodingKeys: String, CodingKey { case name, args, result, errno, injected, text, fdPath, pageSize }

    /// result and errno are always there (null when they do not apply); injected only when true.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(args, forKey: .args)
        try c.encode(result, forKey: .result)
        try c.encode(errno, forKey: .errno)
        if injected { try c.encode(true, forKey: .injected) }
        try c.encode(text, forKey: .text)
        try c.encodeIfPresent(fdPath, forKey: .fdPath)
        try c.encodeIfPresent(pageSize, forKey: .pageSize)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        args = try c.decode([UInt64].self, forKey: .args)
        result = try c.decodeIfPresent(Int64.self, forKey: .result)
        errno = try c.decodeIfPresent(Errno.self, forKey: .errno)
        injected = try c.decodeIfPresent(Bool.self, forKey: .injected) ?? false
        text = try c.decode(String.self, forKey: .text)
        fdPath = try c.decodeIfPresent(String.self, forKey: .fdPath)
        pageSize = try c.decodeIfPresent(UInt64.self, forKey: .pageSize)
    }
}
