/// Per-process figures for the summary at the end of a run.
public struct ProcessStatistics: Sendable, Codable, Equatable {
    public var pid: Int32
    public var command: String
    public var hugetlbfsFilesOpened = 0
    public var hugetlbMappings = 0
    /// Bytes mapped by huge page size (bytes → bytes mapped).
    @PageSizeKeyed public var bytesMappedByPageSize: [UInt64: UInt64] = [:]
    /// Failed calls by errno name.
    public var failuresByErrno: [String: Int] = [:]
    public var peakMapCount = 0
    /// The first failure diagnosed in this process ("mmap ENOMEM"), and how many hugetlb mappings
    /// it had made by then: a newer EAL survives a failed mmap and goes on with fewer pages.
    public var firstFailure: String?
    public var hugetlbMappingsAtFailure: Int?
    /// How many times the model asked the kernel about areas whose merge no call showed
    /// (nil in logs written before maptrace asked).
    public var modelQueries: Int?
    /// Calls whose outcome the model knew at their entry, so that they were reported there and
    /// ran on without an exit stop (certain munmaps, unless -T, -c or -k needed their exit; nil
    /// when there were none).
    public var callsTakenAtEntry: Int?
    public var exitStatus: Int32?
    public var killedBy: String?

    public init(pid: Int32, command: String) {
        self.pid = pid
        self.command = command
    }
}

/// A map keyed by page size as the log keeps it: a JSON object whose keys are the sizes in
/// decimal, `{"2097152": 6232735744}` (Swift would write a dictionary with number keys as a flat
/// array of pairs, which is what format 1 logs hold: that is read too).
@propertyWrapper
public struct PageSizeKeyed: Codable, Sendable, Equatable {
    public var wrappedValue: [UInt64: UInt64]

    public init(wrappedValue: [UInt64: UInt64]) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Dictionary(uniqueKeysWithValues: wrappedValue.map { (String($0.key), $0.value) }))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if LogCoding.format(of: decoder) == 1 {
            let pairs = try c.decode([UInt64].self)
            guard pairs.count % 2 == 0 else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "an odd number of key and value items")
            }
            wrappedValue = Dictionary(stride(from: 0, to: pairs.count, by: 2).map { (pairs[$0], pairs[$0 + 1]) },
                                      uniquingKeysWith: { first, _ in first })
            return
        }
        var map: [UInt64: UInt64] = [:]
        for (key, value) in try c.decode([String: UInt64].self) {
            guard let size = UInt64(key) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "a key that is not a page size")
            }
            map[size] = value
        }
        wrappedValue = map
    }
}
