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
    /// The modelled count of areas of the failing process just before the failing call, and how
    /// far off it could be (up or down).
    public var mapCount: Int?
    public var uncertainty: Int = 0
    /// What the log lacked, each with its effect on the count.
    public var gaps: [String] = []
    /// What else the replay noticed (the process went on after the failure, later failures…).
    public var notes: [String] = []
    public var callsReplayed = 0
    public var hugetlbMappings = 0
    public var laterFailures = 0
    public var issues: [StraceParseIssue] = []
}

/// Replays the memory calls of an strace log through the address-space model, per process.
public enum StraceReplay {
    /// Areas a dynamically linked program has right after execve, before its first call:
    /// the binary's and ld.so's segments, the stack, [vvar], [vvar_vclock] and [vdso].
    static let areasAfterExec = 12
    static let memoryCalls: Set<String> = ["mmap", "mmap2", "munmap", "mremap", "mprotect", "brk", "madvise",
                                           "mlock", "mlock2", "mlockall", "shmat", "shmdt", "shmget", "fallocate"]

    public static func run(_ log: StraceLog, options: ReplayOptions) -> ReplayResult {
        var options = options
        var result = ReplayResult()
        let names = Set(log.events.compactMap { event -> String? in
            if case .call(let c) = event { return c.name }
            return nil
        })
        // maptrace's own trace (-o): its lines carry the live count and limit (maps=N/M), and its
        // diagnosis and summary blocks are not strace lines to complain about.
        let annotated = log.events.contains { event in
            if case .call(let c) = event { return c.mapCount != nil }
            return false
        }
        if annotated {
            options.maxMapCount = options.maxMapCount ?? log.events.lazy.compactMap { event -> Int? in
                if case .call(let c) = event { return c.mapCountLimit }
                return nil
            }.first
            result.notes.append("this is maptrace's own trace: the counts are the live run's (maps=N/M), "
                                + "and its diagnosis and summary lines were skipped")
        } else {
            result.issues = log.issues
        }
        var state = ReplayState(options: options)
        for event in log.events {
            switch event {
            case .call(let call):
                guard call.result != nil else { continue }  // never returned (unfinished at the end)
                result.callsReplayed += 1
                let before = state.process(for: call.pid).space.count
                let refused = state.apply(call)
                if refused, state.isDiagnosable(call) {
                    if result.failure == nil {
                        result.failure = call
                        // a failed call leaves the count as it was: the line's maps= is the count before it
                        result.mapCount = call.mapCount ?? before + state.baselineFor(call.pid)
                        result.hugetlbMappings = state.process(for: call.pid).hugetlbMappings
                        result.diagnosis = state.diagnose(call, mapCount: result.mapCount ?? before)
                    } else {
                        result.laterFailures += 1
                    }
                }
            case .signal(let pid, let name, let fields, let time, _):
                if name == "SIGBUS", result.failure == nil, let address = fields["si_addr"].flatMap(parseNumber),
                   let mapping = state.process(for: pid).space.mapping(containing: address), mapping.isHugetlb {
                    var call = StraceCall(pid: pid, time: time, name: "SIGBUS", arguments: [])
                    call.result = "?"
                    result.failure = call
                    result.mapCount = state.process(for: pid).space.count + state.baselineFor(pid)
                    result.diagnosis = state.diagnoseFault(pid: pid, address: address, mapping: mapping, time: time)
                }
            case .exit(let pid, let status, let signal, _):
                if let failure = result.failure, failure.pid == pid || pid == nil {
                    if let signal { result.notes.append("the process was then killed by \(signal)") }
                    else if let status { result.notes.append("the process then exited with status \(status)") }
                }
            }
        }
        if !annotated { gaps(names: names, log: log, state: state, into: &result) }
        if var diagnosis = result.diagnosis {
            diagnosis.certainty = cap(diagnosis, result: result, options: options)
            // the live run's counts are its model's, re-synchronised now and then: not the kernel's
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

    /// What the log lacked, and how far the modelled count could be off because of it.
    static func gaps(names: Set<String>, log: StraceLog, state: ReplayState, into result: inout ReplayResult) {
        let mapped = names.contains("mmap") || names.contains("mmap2")
        if !mapped { result.gaps.append("no mmap calls: the log was not traced with them (strace -e trace=memory or %memory)") }
        if mapped && !names.contains("mprotect") {
            let files = state.fileMappings
            result.gaps.append("no mprotect calls: each mprotect of part of a mapping splits it, so the count may be low by up to \(files)")
            result.uncertainty += files
        }
        if mapped && !names.contains("munmap") {
            result.gaps.append("no munmap calls: unmapped areas still count, so the count may be high")
            result.uncertainty += state.totalMappings / 10 + 1
        }
        if !names.contains("brk") { result.uncertainty += 1 }
        if state.startedWithoutExec && state.options.baseline == nil {
            result.gaps.append("the log starts after the process started (no execve): its earlier areas are unknown; "
                               + "give --baseline N (lines of /proc/PID/maps then)")
            result.uncertainty += 40
        } else if !state.startedWithoutExec {
            result.uncertainty += 3  // the areas execve leaves, estimated
        }
        if !log.hasPids && log.files.count == 1 && names.contains("clone") {
            result.gaps.append("the log has no pids: calls of all threads are taken as one process's")
        }
        if !result.issues.isEmpty {
            result.gaps.append("\(result.issues.count) line\(result.issues.count == 1 ? "" : "s") could not be read (see below)")
        }
    }

    /// A log is indirect evidence: a diagnosis is at most `likely` when the count or the limit
    /// had to be estimated, and `possible` when the limit was not given at all.
    static func cap(_ diagnosis: Diagnosis, result: ReplayResult, options: ReplayOptions) -> Certainty {
        var best = Certainty.confirmed
        if diagnosis.cause == .maxMapCount {
            if options.maxMapCount == nil { best = .possible }
            else if result.uncertainty > 0 { best = .likely }
        } else if diagnosis.cause == .hugepagePool || diagnosis.cause == .hugepageNode {
            best = options.hugepages == nil && options.freeHugepages == nil ? .possible : .likely
        } else if !result.gaps.isEmpty || diagnosis.cause == .unknown {
            best = .likely
        } else {
            best = .likely  // limits read from flags, not from the process itself
        }
        return max(diagnosis.certainty, best)  // confirmed < likely < possible
    }
}

extension ReplayResult {
    /// Whether the failing call or any call before it touched hugetlb memory.
    func hugetlbMappingsSeen(_ log: StraceLog) -> Bool {
        hugetlbMappings > 0 || diagnosis?.call.hugetlbPageSize != nil
    }
}

func parseNumber(_ text: String) -> UInt64? {
    if text == "NULL" { return 0 }
    if text.hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) }
    return UInt64(text)
}
