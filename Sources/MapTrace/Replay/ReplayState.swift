import Foundation

/// The processes of an strace log as the replay rebuilds them: one `ProcessMemory` per process,
/// threads (CLONE_THREAD) sharing their process's, a fork copying its parent's. Calls change it
/// through `ProcessMemory.apply`, the same function the live tracer uses.
struct ReplayState {
    final class Process {
        var memory = ProcessMemory()
        var fds: [Int64: String] = [:]
        var hugetlbMappings = 0
        var hugetlbFiles = 0
        var bytesMapped: UInt64 = 0
        /// Areas the log cannot show (what execve left, or what was there before the log began):
        /// the lowest and highest plausible number; `high` nil when nothing bounds it.
        var unseen: CountBounds
        var command: [String] = []
        var mapCountBeforeHugetlb: Int?
        /// Memory calls of this process the replay had to skip (unreadable numbers).
        var skippedCalls = 0
        var exitStatus: Int32?

        /// Which process this is, kept by its copies (`snapshot`).
        let lineage: ObjectIdentifier?

        init(unseen: CountBounds, lineage: ObjectIdentifier? = nil) {
            self.unseen = unseen
            self.lineage = lineage
        }

        /// A copy as the process is now, for explaining a failure once the log has been read.
        func snapshot() -> Process {
            let p = Process(unseen: unseen, lineage: lineage ?? ObjectIdentifier(self))
            p.memory = memory
            p.fds = fds
            p.hugetlbMappings = hugetlbMappings
            p.hugetlbFiles = hugetlbFiles
            p.bytesMapped = bytesMapped
            p.command = command
            p.mapCountBeforeHugetlb = mapCountBeforeHugetlb
            p.skippedCalls = skippedCalls
            return p
        }

        func copy() -> Process {
            let p = Process(unseen: unseen)
            p.memory = memory
            p.memory.space.forked()
            p.fds = fds
            p.command = command
            p.unseen = unseen
            return p
        }

        /// The model's count plus the estimate of what the log cannot show.
        var estimatedCount: Int { memory.space.count + unseen.estimate }
    }

    /// What applying one line did.
    enum Step {
        /// Not a call the model needs (or a process event).
        case other
        case memory(MemoryCall, CallEffect)
        /// A memory call that could not be read; it was skipped.
        case malformed(String)
    }

    let options: ReplayOptions
    /// pid (a thread id in `strace -f`) → its process.
    private var processes: [Int32: Process] = [:]
    private var firstPid: Int32?
    private var sawClone = false
    private var segments = SharedMemorySegments()
    var startedWithoutExec = false
    var fileMappings = 0
    var totalMappings = 0

    init(options: ReplayOptions) { self.options = options }

    /// Areas execve leaves before the first call the log shows: the program's and ld.so's
    /// segments, the stack, [vvar], [vvar_vclock], [vdso] (9 for a static program, up to about
    /// 14 for a PIE with a separate bss).
    static let afterExec = CountBounds(low: 9, high: 14, estimate: 12)

    /// Before the log began (no execve): the user's --baseline, or unknown.
    var beforeLog: CountBounds {
        options.baseline.map { CountBounds(low: $0, high: $0, estimate: $0) } ?? CountBounds(low: 0, high: nil, estimate: 0)
    }

    mutating func process(for pid: Int32?) -> Process {
        let key = pid ?? 0
        if let p = processes[key] { return p }
        // A pid seen before any clone that names it: a thread of the first process when the log
        // shows no clone at all (strace -e trace=memory), else a process of its own.
        if let first = firstPid, let p = processes[first], !sawClone {
            processes[key] = p
            return p
        }
        let p = Process(unseen: beforeLog)
        processes[key] = p
        if firstPid == nil { firstPid = key; startedWithoutExec = true }
        return p
    }

    func existing(_ pid: Int32?) -> Process? { processes[pid ?? 0] }

    /// A thread is gone: its process's status is the leader's (or exit_group's).
    mutating func exited(_ pid: Int32?, status: Int32?) {
        guard let p = processes[pid ?? 0] else { return }
        if p.exitStatus == nil { p.exitStatus = status }
    }

    /// Applies a completed call.
    mutating func apply(_ call: StraceCall) -> Step {
        let p = process(for: call.pid)
        if call.name == "execve" || call.name == "execveat" {
            if !call.failed, call.resultValue == 0 {
                p.memory = ProcessMemory()
                p.unseen = Self.afterExec
                p.fds.removeAll()
                p.mapCountBeforeHugetlb = nil
                if call.pid.map({ $0 == firstPid }) ?? true, totalMappings == 0 { startedWithoutExec = false }
                if let argv = call.arguments.dropFirst().first {
                    p.command = argv.split(separator: ",").map { String($0).trimming("[\" ") }
                }
            }
            return .other
        }
        if ["clone", "clone3", "fork", "vfork"].contains(call.name) {
            sawClone = true
            if let child = call.resultValue, child > 0, let pid = Int32(exactly: child) {
                let shares = call.arguments.contains { $0.contains("CLONE_THREAD") || $0.contains("CLONE_VM") }
                processes[pid] = shares ? p : p.copy()
            }
            return .other
        }
        if call.name == "close", !call.failed, let fd = call.integer(0) { p.fds[Int64(Int32(truncatingIfNeeded: fd))] = nil }
        let memoryCall: MemoryCall?
        do {
            memoryCall = try call.memoryCall(fdPaths: p.fds, hugePageSize: options.hugePageSize, isHugetlbfs: isHugetlbfs,
                                             area: { p.memory.space.mapping(containing: $0) })
        } catch {
            p.skippedCalls += 1
            return .malformed(error.reason)
        }
        guard let memoryCall else { return .other }
        if memoryCall.syscall.opensFile, !memoryCall.failed, let path = memoryCall.filePath {
            p.fds[Int64(Int32(truncatingIfNeeded: memoryCall.result))] = path
            if memoryCall.hugePageSize != nil { p.hugetlbFiles += 1 }
        }
        if memoryCall.syscall == .mmap, !memoryCall.failed {
            if let huge = memoryCall.hugePageSize {
                if p.mapCountBeforeHugetlb == nil { p.mapCountBeforeHugetlb = p.estimatedCount }
                p.hugetlbMappings += 1
                p.bytesMapped &+= Page.roundUp(memoryCall.args[1], to: huge)
            } else if memoryCall.args[3] & CallBits.mapAnonymous == 0 {
                fileMappings += 1
            }
            totalMappings += 1
        }
        let effect = p.memory.apply(memoryCall, segments: &segments)
        _ = p.memory.space.takeUnsure()  // replay cannot ask; `unsureMerges` widens the bound
        return .memory(memoryCall, effect)
    }

    func isHugetlbfs(_ path: String) -> Bool {
        if !options.hugetlbfsMounts.isEmpty {
            return options.hugetlbfsMounts.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
        // Without the mounts, the places and names dataplanes use.
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return path.hasPrefix("/dev/hugepages") || path.hasPrefix("/mnt/huge") || path.contains("hugetlbfs")
            || name.range(of: #"^[A-Za-z0-9_.-]*map_[0-9]+$"#, options: .regularExpression) != nil
            || path.hasPrefix("/anon_hugepage")
    }
}

/// A count known only within bounds: what a log shows plus what it cannot.
public struct CountBounds: Sendable, Codable, Equatable {
    public var low: Int
    /// nil: nothing the log holds bounds it from above.
    public var high: Int?
    /// The best single figure.
    public var estimate: Int

    public init(low: Int, high: Int?, estimate: Int) {
        self.low = low
        self.high = high
        self.estimate = estimate
    }

    public var isExact: Bool { high == low }

    static func + (a: CountBounds, b: Int) -> CountBounds {
        CountBounds(low: a.low + b, high: a.high.map { $0 + b }, estimate: a.estimate + b)
    }
}

extension String {
    /// Without the characters of `set` at either end.
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
