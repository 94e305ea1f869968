// A snapshot rebuilt from the log and the user's flags, so the same rules can explain a
// failure that happened somewhere else, long ago.
extension ReplayState {
    mutating func diagnose(_ call: StraceCall, mapCount: Int) -> Diagnosis {
        let p = process(for: call.pid)
        let args = (0..<6).map { call.integer($0) ?? 0 }
        let path = call.fdPath(4) ?? call.fdPath(0) ?? call.string(1) ?? call.string(0)
            ?? Int64(exactly: Int32(truncatingIfNeeded: args[4])).flatMap { p.fds[$0] }
        let hugetlb = call.flags(3).contains("MAP_HUGETLB") || path.map(isHugetlbfs) == true
        var text = "\(call.name)(\(call.arguments.joined(separator: ", "))) = \(call.result ?? "?")"
        if let e = call.errnoName { text += " \(e)" }
        let failed = FailedCall(pid: call.pid ?? 0, tid: call.pid ?? 0, syscall: call.name, args: args,
                                errno: call.errnoName.map(errnoNumber) ?? 12, text: text, path: path,
                                hugetlbPageSize: hugetlb ? options.hugePageSize : nil, time: call.time ?? 0)
        return MapTrace.diagnose(failed, snapshot: snapshot(for: p, mapCount: mapCount), context: context(for: p))
    }

    mutating func diagnoseFault(pid: Int32?, address: UInt64, mapping: Mapping, time: Double?) -> Diagnosis {
        let p = process(for: pid)
        let failed = FailedCall(pid: pid ?? 0, tid: pid ?? 0, syscall: "SIGBUS",
                                args: [address, mapping.start, mapping.end, mapping.offset, 0, 0], errno: 0,
                                text: "--- SIGBUS {si_addr=\(hex(address))} ---", path: mapping.path,
                                hugetlbPageSize: mapping.hugePageSize, signalAddress: address, time: time ?? 0)
        return MapTrace.diagnose(failed, snapshot: snapshot(for: p, mapCount: p.space.count + p.baseline), context: context(for: p))
    }

    private func snapshot(for p: Process, mapCount: Int) -> Snapshot {
        var pools: [HugePagePool] = []
        if options.hugepages != nil || options.freeHugepages != nil {
            let total = options.hugepages ?? options.freeHugepages ?? 0
            let pages = Int(p.bytesMapped / options.hugePageSize)
            let free = max(0, (options.freeHugepages ?? total) - pages)
            pools.append(HugePagePool(pageSize: options.hugePageSize, total: total, free: free))
        }
        let process = ProcessState(pid: 0, comm: p.command.first.map { String($0.split(separator: "/").last ?? "") } ?? "",
                                   mapCount: mapCount, vmSize: p.space.mappings.reduce(0) { $0 + $1.length },
                                   addressSpaceLimit: options.rlimitAS.map { ResourceLimit(soft: $0, hard: $0) },
                                   dataLimit: options.rlimitData.map { ResourceLimit(soft: $0, hard: $0) },
                                   memlockLimit: nil)
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

/// ENOMEM → 12, from the name strace printed.
func errnoNumber(_ name: String) -> Int32 {
    (1...133).first { errnoName(Int32($0)) == name }.map(Int32.init) ?? 0
}
