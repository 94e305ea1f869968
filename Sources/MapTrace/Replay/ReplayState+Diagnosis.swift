// A snapshot rebuilt from the log and the user's flags, so the same rules can explain a
// failure that happened somewhere else, long ago.
extension ReplayState {
    /// Causes whose limits no strace log holds: the rules cannot rule them out from a log.
    static let unshowable: [Cause: String] = [
        .hugetlbCgroup: "a log holds no cgroup state",
        .hugetlbfsSize: "a log holds no mount options (size=)",
        .hugetlbfsInodes: "a log holds no mount options (nr_inodes=)",
        .hugepageNode: "a log holds no NUMA pool state",
        .overcommit: "a log holds no overcommit settings or Committed_AS",
        .rlimitMemlock: "a log holds no RLIMIT_MEMLOCK",
        .addressSpace: "a log shows only the areas its calls made",
        .shmHugetlb: "a log holds no SysV shm limits",
    ]

    func diagnose(_ call: StraceCall, _ memoryCall: MemoryCall, process p: Process, bounds: CountBounds) -> Diagnosis {
        let failed = CallFailure(syscall: memoryCall.syscall, args: memoryCall.args,
                                 result: memoryCall.error == nil ? Int64(bitPattern: memoryCall.result) : nil,
                                 errno: memoryCall.error ?? .noMemory, injected: call.injected,
                                 text: Self.text(call, fdPath: memoryCall.filePath), fdPath: memoryCall.filePath,
                                 pageSize: memoryCall.hugePageSize, path: call.string(1) ?? call.string(0))
        return limitToLog(MapTrace.diagnose(.call(failed), pid: call.pid ?? 0, tid: call.pid ?? 0, time: call.time ?? 0,
                                            snapshot: snapshot(for: p, bounds: bounds), context: context(for: p)))
    }

    func diagnoseFault(_ call: StraceCall, address: UInt64, mapping: Mapping, process p: Process, bounds: CountBounds) -> Diagnosis {
        let fault = FaultFailure(address: address, pageSize: mapping.hugePageSize,
                                 text: "--- SIGBUS {si_addr=\(hex(address))} ---", file: mapping.path)
        return limitToLog(MapTrace.diagnose(.fault(fault), pid: call.pid ?? 0, tid: call.pid ?? 0, time: call.time ?? 0,
                                            snapshot: snapshot(for: p, bounds: bounds), context: context(for: p)))
    }

    /// The call as the log printed it, with the path of its fd argument when an earlier line
    /// named the file and this line did not (a log without -y).
    static func text(_ call: StraceCall, fdPath: String?) -> String {
        var arguments = call.arguments
        let fdIndex: Int? = switch call.name {
        case "mmap", "mmap2": 4
        case "fallocate", "ftruncate": 0
        default: nil
        }
        if let i = fdIndex, let fdPath, arguments.indices.contains(i), call.fdPath(i) == nil,
           let fd = call.integer(i), Int32(truncatingIfNeeded: fd) >= 0 {
            arguments[i] += "<\(fdPath)>"
        }
        var text = "\(call.name)(\(arguments.joined(separator: ", "))) = \(call.result ?? "?")"
        if let e = call.errnoName { text += " \(e)" }
        if call.injected { text += " (INJECTED)" }
        return text
    }

    /// What a log cannot show is not checked, rather than ruled out.
    private func limitToLog(_ diagnosis: Diagnosis) -> Diagnosis {
        var diagnosis = diagnosis
        var kept: [RuledOut] = []
        var notChecked: [RuledOut] = []
        for entry in diagnosis.ruledOut {
            if let why = Self.unshowable[entry.cause], entry.applicable {
                notChecked.append(RuledOut(cause: entry.cause, reason: why))
            } else {
                kept.append(entry)
            }
        }
        diagnosis.ruledOut = kept
        diagnosis.notChecked = notChecked
        return diagnosis
    }

    private func snapshot(for p: Process, bounds: CountBounds) -> Snapshot {
        var pools: [HugePagePool] = []
        if options.hugepages != nil || options.freeHugepages != nil {
            let total = options.hugepages ?? options.freeHugepages ?? 0
            let pages = Int(p.bytesMapped / options.hugePageSize)
            let free = max(0, (options.freeHugepages ?? total) - pages)
            pools.append(HugePagePool(pageSize: options.hugePageSize, total: total, free: free))
        }
        var process = ProcessState(pid: 0, comm: p.command.first.map { String($0.split(separator: "/").last ?? "") } ?? "",
                                   mapCount: bounds.estimate, vmSize: p.memory.space.mappings.reduce(0) { $0 &+ $1.length },
                                   addressSpaceLimit: options.rlimitAS.map { ResourceLimit(soft: $0, hard: $0) },
                                   dataLimit: options.rlimitData.map { ResourceLimit(soft: $0, hard: $0) },
                                   memlockLimit: nil)
        process.mapCountBounds = bounds.isExact ? nil : bounds
        var snapshot = Snapshot(process: process, maxMapCount: options.maxMapCount, defaultHugePageSize: options.hugePageSize,
                                pools: pools)
        snapshot.sysctlFilesRead = false  // the machine that ran it is not this one
        return snapshot
    }

    private func context(for p: Process) -> TraceContext {
        TraceContext(command: p.command, hugetlbfsFilesOpened: p.hugetlbFiles, hugetlbMappings: p.hugetlbMappings,
                     hugetlbBytesMapped: p.bytesMapped, hugetlbPageSize: p.hugetlbMappings > 0 ? options.hugePageSize : nil,
                     mappingsBeforeHugetlb: p.mapCountBeforeHugetlb)
    }
}
