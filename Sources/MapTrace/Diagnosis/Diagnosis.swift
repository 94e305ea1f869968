/// The explanation of one failed memory call: which limit the kernel ran into, the numbers that
/// show it, what else was checked, and how to fix it.
public struct Diagnosis: Codable, Sendable, Equatable {
    /// When it failed (seconds since the epoch), and the process (thread-group id) and thread.
    public var time: Double
    public var pid: Int32
    public var tid: Int32
    /// The process's name (/proc/PID/comm).
    public var comm: String?
    public var failure: Failure
    public var cause: Cause
    public var certainty: Certainty
    public var evidence: Evidence
    /// Every checked limit that did not explain the failure, with its numbers.
    public var ruledOut: [RuledOut]
    /// Limits the evidence could not show either way (a replayed log holds no cgroup state):
    /// neither ruled out nor found.
    public var notChecked: [RuledOut]?
    /// Other limits the request also exceeded; the kernel checks them after `cause`, so they
    /// fail next once `cause` is fixed.
    public var alsoExceeded: [Finding]
    public var fix: [FixCommand]
    /// What the process was doing: `openat+mmap on hugetlbfs: 3061 files, one mapping per 2 MiB page, …`.
    public var pattern: String?
    /// The sysctl file (and line) that set the limit, when it is a sysctl set by a file.
    public var setBy: String?

    public init(time: Double, pid: Int32, tid: Int32, comm: String?, failure: Failure, cause: Cause,
                certainty: Certainty, evidence: Evidence, ruledOut: [RuledOut], alsoExceeded: [Finding],
                fix: [FixCommand], pattern: String?, setBy: String?) {
        self.time = time
        self.pid = pid
        self.tid = tid
        self.comm = comm
        self.failure = failure
        self.cause = cause
        self.certainty = certainty
        self.evidence = evidence
        self.ruledOut = ruledOut
        self.alsoExceeded = alsoExceeded
        self.fix = fix
        self.pattern = pattern
        self.setBy = setBy
    }

    /// The rules, one per cause, in no particular order (`Cause.kernelOrder` ranks their findings).
    public static let rules: [any CauseRule] = [
        MaxMapCountRule(), HugepageAlignmentRule(), AddressSpaceRule(), BadRangeRule(), RlimitMemlockRule(),
        SealedRule(), RlimitASRule(), RlimitDataRule(), OvercommitRule(), HugetlbFaultRule(),
        HugetlbCgroupRule(), HugetlbfsSizeRule(), HugepagePoolRule(), HugepageNodeRule(),
        HugetlbfsInodesRule(), ShmHugetlbRule(),
    ]
}

/// The numbers behind a diagnosis and the sentence that states them.
public struct Evidence: Codable, Sendable, Equatable {
    /// In the order the rule gave them; the log keeps them as an object, name → number.
    @EvidenceValues public var values: [EvidenceValue]
    /// Value and threshold in one line: `vm.max_map_count [3096] is too low: …`.
    public var sentence: String
    public var details: [String]

    public init(values: [EvidenceValue], sentence: String, details: [String] = []) {
        self.values = values
        self.sentence = sentence
        self.details = details
    }

    public func value(_ name: String) -> Int? { values.first { $0.name == name }?.value }
}

/// Runs every rule on a failure (of thread TID of process PID, at TIME) and picks the limit the
/// kernel checked first among those that the evidence shows exceeded.
public func diagnose(_ failure: Failure, pid: Int32, tid: Int32, time: Double, snapshot: Snapshot,
                     context: TraceContext) -> Diagnosis {
    let input = RuleInput(failure: failure, snapshot: snapshot, context: context)
    let comm = snapshot.process?.comm.nilIfEmpty
    let pattern = TracePattern.describe(context)
    if let call = failure.call, call.injected {
        return Diagnosis(time: time, pid: pid, tid: tid, comm: comm, failure: failure, cause: .injected, certainty: .confirmed,
                         evidence: Evidence(values: [], sentence: "\(ErrorNumber.name(call.errno)) was injected by -e inject: "
                                            + "the call never ran and no kernel limit was involved"),
                         ruledOut: [], alsoExceeded: [], fix: [], pattern: pattern, setBy: nil)
    }
    var findings: [Finding] = []
    var ruledOut: [RuledOut] = []
    for rule in Diagnosis.rules {
        switch rule.evaluate(input) {
        case .exceeded(let finding): findings.append(finding)
        case .within(let reason): ruledOut.append(RuledOut(cause: rule.cause, reason: reason))
        case .notApplicable(let reason): ruledOut.append(RuledOut(cause: rule.cause, reason: reason, applicable: false))
        }
    }
    // A finding the evidence only makes possible yields to any that is shown; among equals the
    // kernel's order decides.
    findings.sort { ($0.certainty == .possible ? 1 : 0, $0.cause.checkRank) < ($1.certainty == .possible ? 1 : 0, $1.cause.checkRank) }
    ruledOut.sort { ($0.applicable ? 0 : 1, $0.cause.checkRank) < ($1.applicable ? 0 : 1, $1.cause.checkRank) }
    let chosen = findings.first ?? unexplained(input, checked: ruledOut)
    return Diagnosis(
        time: time, pid: pid, tid: tid, comm: comm, failure: failure, cause: chosen.cause, certainty: chosen.certainty,
        evidence: Evidence(values: chosen.values, sentence: chosen.sentence, details: chosen.details),
        ruledOut: ruledOut, alsoExceeded: Array(findings.dropFirst()), fix: chosen.fix, pattern: pattern,
        setBy: chosen.setBy)
}

/// The finding when no rule fires: say what was checked and what is left.
func unexplained(_ input: RuleInput, checked: [RuledOut]) -> Finding {
    let applicable = checked.filter(\.applicable).map(\.cause.rawValue)
    let failure = input.failure
    var sentence = "no limit maptrace reads explains "
        + (failure.isFault ? "this \(failure.name)" : "\(ErrorNumber.name(failure.errno)) from \(failure.name)")
    sentence += applicable.isEmpty ? "" : ": \(applicable.joined(separator: ", ")) were within their limits"
    var details = ["left: kernel memory (a VMA or page-table allocation), or a memory cgroup's memory.max "
                   + "(see memory.events and dmesg)"]
    if input.snapshot.process == nil { details.append("the process could not be read: most limits were not checked") }
    return Finding(cause: .unknown, certainty: .possible, values: [], sentence: sentence, details: details)
}

extension String {
    /// nil for "": a process name a replayed log could not give.
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
