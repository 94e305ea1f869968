/// What a plain strace log cannot say, supplied by the user (`maptrace replay --max-map-count …`).
public struct ReplayOptions: Sendable {
    public var maxMapCount: Int?
    /// nr_hugepages, and the free pages when the log starts (default: all of them).
    public var hugepages: Int?
    public var freeHugepages: Int?
    public var hugePageSize: UInt64 = 2 << 20
    public var rlimitAS: UInt64?
    public var rlimitData: UInt64?
    /// Areas the process had before the log's first call (lines of /proc/PID/maps).
    public var baseline: Int?
    /// hugetlbfs mount points; files elsewhere are ordinary files.
    public var hugetlbfsMounts: [String] = []
    public init() {}
}

/// The first failing memory call of an strace log, explained as far as the log allows.
public struct ReplayResult: Sendable {
    public var failure: StraceCall?
    public var diagnosis: Diagnosis?
    /// The modelled count of areas of the failing process just before the failing call, and the
    /// bounds the log allows.
    public var mapCount: Int?
    public var mapCountBounds: CountBounds?
    /// What the log lacked, each with its effect on the count.
    public var gaps: [String] = []
    /// What else the replay noticed (the process went on after the failure, later failures…).
    public var notes: [String] = []
    public var callsReplayed = 0
    public var hugetlbMappings = 0
    public var laterFailures = 0
    public var issues: [StraceParseIssue] = []
    /// Memory calls skipped because a number or flag in them could not be read.
    public var skippedCalls = 0
}

/// Replays the memory calls of an strace log through the address-space model, per process.
public enum StraceReplay {
    /// The calls that can add an area (by mapping or by splitting one): a log without one of
    /// them cannot bound the count from above.
    static let areaAddingCalls = ["mmap", "mprotect", "munmap", "mremap", "madvise", "mlock", "brk"]
    /// Calls every traced program makes and `-e trace=` sets seldom include: their presence says
    /// strace traced everything.
    static let everyProgramCalls: Set<String> = ["read", "write", "close", "fstat", "newfstatat", "futex", "rt_sigaction"]

    /// Replays a log read whole.
    public static func run(_ log: StraceLog, options: ReplayOptions) -> ReplayResult {
        var replayer = StraceReplayer(options: options)
        for event in log.events { replayer.consume(event) }
        return replayer.finish(log)
    }

    /// Replays one log file as it is read, keeping only the model: memory follows the live
    /// processes and their areas, not the length of the log.
    public static func run(path: String, options: ReplayOptions) throws -> (ReplayResult, StraceLog) {
        var replayer = StraceReplayer(options: options)
        let log = try StraceLog.stream(path: path) { replayer.consume($0) }
        return (replayer.finish(log), log)
    }

    /// The calls that add areas and that the log's trace set may not have held. Every program
    /// that maps memory also makes mprotect, munmap and brk calls (ld.so does), so a log with
    /// mmap and none of one of them was traced without it; madvise, mlock and mremap are
    /// missing only from a trace set that visibly left calls out.
    static func untracedCalls(_ names: Set<String>) -> [String] {
        guard names.contains("mmap") || names.contains("mmap2") else { return areaAddingCalls.filter { !names.contains($0) } }
        let always = ["mprotect", "munmap", "brk"].filter { !names.contains($0) }
        let narrow = names.isDisjoint(with: everyProgramCalls) && !(names.contains("mprotect") && names.contains("munmap"))
        let optional = narrow ? ["madvise", "mlock", "mremap"].filter { !names.contains($0) } : []
        return always + optional
    }

    /// The count of `p` as the log bounds it: the model, what the log cannot show (before it
    /// began, or what execve left), merges the model could not decide, skipped lines, and calls
    /// the trace set left out (which leave it unbounded above).
    static func bounds(_ p: ReplayState.Process, untraced: [String], annotated: Int?) -> CountBounds {
        if let annotated { return CountBounds(low: annotated, high: annotated, estimate: annotated) }
        let space = p.memory.space
        var b = p.unseen + space.count
        b.high = b.high.map { $0 + space.unsureMerges + 2 * p.skippedCalls }
        b.low = max(0, b.low - space.unsureSeparations - p.skippedCalls)
        if !untraced.isEmpty { b.high = nil }
        if untraced.contains("munmap") { b.low = min(b.low, p.unseen.low) }
        return b
    }

    /// What the log lacked, and what that does to the count.
    static func gaps(names: Set<String>, untraced: [String], log: StraceLog, state: ReplayState, into result: inout ReplayResult) {
        let mapped = names.contains("mmap") || names.contains("mmap2")
        if !mapped { result.gaps.append("no mmap calls: the log was not traced with them (strace -e trace=memory or %memory)") }
        let adders = untraced.filter { $0 != "munmap" }
        if mapped && !adders.isEmpty {
            result.gaps.append("no \(adders.joined(separator: ", ")) calls in the trace set: each may have split areas the log "
                               + "does not show, so the count has no upper bound")
        }
        if mapped && untraced.contains("munmap") {
            result.gaps.append("no munmap calls: areas unmapped since still count, so the count may be high")
        }
        if state.startedWithoutExec && state.options.baseline == nil {
            result.gaps.append("the log starts after the process started (no execve): its earlier areas are unknown; "
                               + "give --baseline N (lines of /proc/PID/maps then, less [vsyscall])")
        }
        if !log.hasPids && log.files.count == 1 && names.contains("clone") {
            result.gaps.append("the log has no pids: calls of all threads are taken as one process's")
        }
        if result.skippedCalls > 0 {
            result.gaps.append("\(result.skippedCalls) memory call\(result.skippedCalls == 1 ? "" : "s") skipped: a number or flag could not be read")
        }
        let unreadable = result.issues.count - result.skippedCalls
        if unreadable > 0 {
            result.gaps.append("\(unreadable) line\(unreadable == 1 ? "" : "s") could not be read (see below)")
        }
    }

    /// A log is indirect evidence: a diagnosis is at most `likely`, and `possible` where the
    /// limit it names was not given.
    static func cap(_ diagnosis: Diagnosis, options: ReplayOptions) -> Certainty {
        var best = Certainty.likely
        if diagnosis.cause == .maxMapCount && options.maxMapCount == nil { best = .possible }
        if (diagnosis.cause == .hugepagePool || diagnosis.cause == .hugepageNode)
            && options.hugepages == nil && options.freeHugepages == nil { best = .possible }
        return max(diagnosis.certainty, best)  // confirmed < likely < possible
    }
}

/// The replay of one log, event by event. The first failing call is kept with a copy of its
/// process as it was; it is explained at the end, once the whole log says what it lacked.
struct StraceReplayer {
    private var options: ReplayOptions
    private var result = ReplayResult()
    private var state: ReplayState
    private var names = Set<String>()
    /// maptrace's own trace (-o): its lines carry the live count and limit (maps=N/M).
    private var annotated: Bool?
    private var failure: (call: StraceCall, memoryCall: MemoryCall?, process: ReplayState.Process, address: UInt64?, mapping: Mapping?)?
    private var lastExit: (status: Int32?, signal: String?)?

    init(options: ReplayOptions) {
        self.options = options
        state = ReplayState(options: options)
    }

    mutating func consume(_ event: StraceEvent) {
        switch event {
        case .call(let call):
            names.insert(call.name)
            if annotated == nil {
                annotated = call.mapCount != nil
                if let limit = call.mapCountLimit, options.maxMapCount == nil {
                    options.maxMapCount = limit
                    state = ReplayState(options: options)
                }
            }
            guard call.result != nil else { return }  // never returned (unfinished at the end)
            result.callsReplayed += 1
            switch state.apply(call) {
            case .other:
                break
            case .malformed(let reason):
                result.skippedCalls += 1
                result.issues.append(StraceParseIssue(file: call.file, line: call.line, message: "skipped: " + reason))
            case .memory(let memoryCall, let effect):
                guard memoryCall.needsDiagnosis(effect) else { break }
                // a failed call leaves the areas as they were: the process now is the process before it
                if failure == nil { failure = (call, memoryCall, state.process(for: call.pid).snapshot(), nil, nil) }
                else { result.laterFailures += 1 }
            }
        case .signal(let pid, let name, let fields, let time, _):
            if name == "SIGBUS", failure == nil, let address = fields["si_addr"].flatMap(parseNumber),
               let mapping = state.process(for: pid).memory.space.mapping(containing: address), mapping.isHugetlb {
                var call = StraceCall(pid: pid, time: time, name: "SIGBUS", arguments: [])
                call.result = "?"
                failure = (call, nil, state.process(for: pid).snapshot(), address, mapping)
            }
        case .exit(let pid, let status, let signal, _):
            // every thread's exit is logged; the process's status is its last thread's
            if let failure, let p = state.existing(pid), (p.lineage ?? ObjectIdentifier(p)) == failure.process.lineage {
                lastExit = (status, signal)
            }
        }
    }

    mutating func finish(_ log: StraceLog) -> ReplayResult {
        // (a trace whose calls were all off hugetlbfs shows no maps=, but ends with maptrace's summary)
        let annotated = annotated == true || log.issues.contains { $0.message.contains("not in strace notation: maptrace: summary") }
        result.notes += log.notes
        if annotated {
            result.notes.append("this is maptrace's own trace: the counts are the live run's (maps=N/M), "
                                + "and its diagnosis and summary lines were skipped")
            result.issues.removeAll()
        } else {
            result.issues = log.issues + result.issues
        }
        let untraced = annotated ? [] : StraceReplay.untracedCalls(names)
        if let failure {
            result.failure = failure.call
            let b = StraceReplay.bounds(failure.process, untraced: untraced, annotated: failure.call.mapCount)
            result.mapCount = b.estimate
            result.mapCountBounds = b
            result.hugetlbMappings = failure.process.hugetlbMappings
            if let memoryCall = failure.memoryCall {
                result.diagnosis = state.diagnose(failure.call, memoryCall, process: failure.process, bounds: b)
            } else if let address = failure.address, let mapping = failure.mapping {
                result.diagnosis = state.diagnoseFault(failure.call, address: address, mapping: mapping,
                                                       process: failure.process, bounds: b)
            }
        }
        if let lastExit {
            if let signal = lastExit.signal { result.notes.append("the process was then killed by \(signal)") }
            else if let status = lastExit.status { result.notes.append("the process then exited with status \(status)") }
        }
        if !annotated { StraceReplay.gaps(names: names, untraced: untraced, log: log, state: state, into: &result) }
        if var diagnosis = result.diagnosis {
            diagnosis.certainty = StraceReplay.cap(diagnosis, options: options)
            // the live run's counts are its model's: not read from the kernel at the failure
            if annotated { diagnosis.certainty = max(diagnosis.certainty, .likely) }
            result.diagnosis = diagnosis
        }
        if result.failure != nil {
            var missing: [String] = []
            if options.maxMapCount == nil { missing.append("--max-map-count N (sysctl vm.max_map_count there)") }
            if options.hugepages == nil && options.freeHugepages == nil && result.hugetlbMappingsSeen(log) {
                missing.append("--hugepages N / --free-hugepages N (the pool there)")
            }
            if !missing.isEmpty {
                result.notes.append("a log holds no limits: give " + missing.joined(separator: " and ") + " to check them")
            }
        }
        if result.failure != nil && result.laterFailures > 0 {
            result.notes.append("\(result.laterFailures) later memory call\(result.laterFailures == 1 ? "" : "s") failed too")
        }
        return result
    }
}

extension ReplayResult {
    /// Whether the failing call or any call before it touched hugetlb memory.
    func hugetlbMappingsSeen(_ log: StraceLog) -> Bool {
        hugetlbMappings > 0 || diagnosis?.failure.pageSize != nil
    }
}

func parseNumber(_ text: String) -> UInt64? {
    if text == "NULL" { return 0 }
    if text.hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) }
    return UInt64(text)
}
