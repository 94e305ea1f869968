/// A named number behind a finding: `map_count 3097`, `max_map_count 3096`.
public struct EvidenceValue: Codable, Sendable, Equatable {
    public var name: String
    public var value: Int

    public init(_ name: String, _ value: Int) {
        self.name = name
        self.value = value
    }
}

/// Evidence values as the log keeps them: a JSON object, name → number. In memory they stay in
/// the order the rule gave them; read back from a log they come in name order (a JSON object
/// has none). Nothing renders them in order: the sentence and details state the numbers.
@propertyWrapper
public struct EvidenceValues: Codable, Sendable, Equatable {
    public var wrappedValue: [EvidenceValue]

    public init(wrappedValue: [EvidenceValue]) { self.wrappedValue = wrappedValue }

    /// A name given twice keeps its first value, the one `value(_:)` returns.
    public func encode(to encoder: Encoder) throws {
        var object: [String: Int] = [:]
        for v in wrappedValue where object[v.name] == nil { object[v.name] = v.value }
        var c = encoder.singleValueContainer()
        try c.encode(object)
    }

    public init(from decoder: Decoder) throws {
        let object = try decoder.singleValueContainer().decode([String: Int].self)
        wrappedValue = object.sorted { $0.key < $1.key }.map { EvidenceValue($0.key, $0.value) }
    }

    /// The same names with the same values, in any order: what the log can tell apart.
    public static func == (a: EvidenceValues, b: EvidenceValues) -> Bool {
        a.map == b.map
    }

    private var map: [String: Int] {
        wrappedValue.reduce(into: [:]) { map, v in if map[v.name] == nil { map[v.name] = v.value } }
    }
}

/// One command of a fix.
public struct FixCommand: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Takes effect now, lost at reboot.
        case runtime
        /// Survives a reboot.
        case persistent
        /// A different way around the limit.
        case alternative
    }

    public var kind: Kind
    /// A shell command that can be pasted, or for alternatives an instruction.
    public var command: String
    /// Why this value: the arithmetic behind it.
    public var note: String?

    public init(_ kind: Kind, _ command: String, note: String? = nil) {
        self.kind = kind
        self.command = command
        self.note = note
    }
}

/// What one rule found: its limit explains the failure, with the numbers.
public struct Finding: Codable, Sendable, Equatable {
    public var cause: Cause
    public var certainty: Certainty
    @EvidenceValues public var values: [EvidenceValue]
    /// One line with value and threshold: `vm.max_map_count [3096] is too low: …`.
    public var sentence: String
    /// Further lines: which file, which cgroup level, stale files, caveats.
    public var details: [String]
    public var fix: [FixCommand]
    /// The sysctl file that set the limit, when the limit is a sysctl and a file set it.
    public var setBy: String?

    public init(cause: Cause, certainty: Certainty, values: [EvidenceValue], sentence: String,
                details: [String] = [], fix: [FixCommand] = [], setBy: String? = nil) {
        self.cause = cause
        self.certainty = certainty
        self.values = values
        self.sentence = sentence
        self.details = details
        self.fix = fix
        self.setBy = setBy
    }

    /// The value named `name`, if present.
    public func value(_ name: String) -> Int? { values.first { $0.name == name }?.value }
}

/// A cause that did not explain the failure, and the numbers that show it.
public struct RuledOut: Codable, Sendable, Equatable {
    public var cause: Cause
    public var reason: String
    /// False when the limit does not apply to this call at all (overcommit for hugetlb memory);
    /// true when it applies and the numbers were within it.
    public var applicable: Bool

    public init(cause: Cause, reason: String, applicable: Bool = true) {
        self.cause = cause
        self.reason = reason
        self.applicable = applicable
    }
}

/// A rule's answer.
public enum Verdict: Sendable, Equatable {
    case exceeded(Finding)
    /// The limit applies and was not exceeded; the reason gives the numbers.
    case within(String)
    /// The limit plays no part in this call.
    case notApplicable(String)

    public var finding: Finding? {
        if case .exceeded(let finding) = self { return finding }
        return nil
    }
}

/// Everything a rule may look at. Rules never read /proc themselves.
public struct RuleInput: Sendable {
    public let failure: Failure
    public let snapshot: Snapshot
    public let context: TraceContext
    let request: MemoryRequest
    /// What the run as a whole asks for: fixes are sized for it, not only for this call.
    let demand: RunDemand

    public init(failure: Failure, snapshot: Snapshot, context: TraceContext) {
        self.failure = failure
        self.snapshot = snapshot
        self.context = context
        self.request = MemoryRequest(failure, areas: snapshot.process?.addressSpace)
        self.demand = context.demand
    }

    /// hugetlb pages of `pageSize` this process had mapped before the failure.
    func ownPages(pageSize: UInt64) -> Int {
        guard pageSize > 0, context.hugetlbPageSize == nil || context.hugetlbPageSize == pageSize else { return 0 }
        return Int(context.hugetlbBytesMapped / pageSize)
    }

    /// Pages of `pageSize` free to the process when it started: what it mapped since, plus what
    /// the pool still had unreserved at the failure.
    func freeAtStart(pageSize: UInt64) -> Int? {
        guard let pool = snapshot.pool(pageSize: pageSize) else { return nil }
        return ownPages(pageSize: pageSize) + pool.unreserved
    }

    /// The pages the run takes before it gets past its memory init, with the derivation.
    func runPages(pageSize: UInt64) -> (pages: Int, why: String)? {
        demand.pagesTaken(pageSize: pageSize, freeAtStart: freeAtStart(pageSize: pageSize))
    }

    var process: ProcessState? { snapshot.process }
}

/// One limit of the kernel: tells whether it explains a failed call.
public protocol CauseRule: Sendable {
    var cause: Cause { get }
    func evaluate(_ input: RuleInput) -> Verdict
}

extension CauseRule {
    /// The finding for a failed call, or nil when this limit does not explain it.
    public func finding(_ failure: Failure, _ snapshot: Snapshot, _ context: TraceContext) -> Finding? {
        evaluate(RuleInput(failure: failure, snapshot: snapshot, context: context)).finding
    }
}
