import Glibc

// A run that gives up without a failing call: a modern EAL compares its -m with the pool
// before it maps anything, prints "Not enough memory available!" and exits 1. No call failed,
// so the explanation comes at its exit, from what it asked for and what the system offers.
extension Tracer {
    /// The huge page size of the hugetlbfs mount a statfs/fstatfs call looked at; nil for any
    /// other call or file system. A successful call's result is read into the record.
    func statfsHugePageSize(_ call: inout CallRecord, thread: TracedThread) -> UInt64? {
        let tid = thread.tid
        if call.syscall == .statfs || call.syscall == .fstatfs, !call.failed {
            call.statfsResult = reader.statfs(pid: tid, at: call.args[1])
        }
        switch call.syscall {
        case .statfs:
            // The path may be the mount point itself: ask about a name inside it.
            guard let path = call.string else { return nil }
            return reader.hugePageSize(pid: tid, path: path + "/.", base: reader.fdPath(pid: tid, fd: UInt64(bitPattern: -100)))
        case .fstatfs:
            return openFile(thread, fd: call.args[0]).hugePageSize
        default:
            return nil
        }
    }

    /// What the tracer saw of a process, for a diagnosis.
    func traceContext(_ process: TracedProcess) -> TraceContext {
        TraceContext(command: process.command,
                     hugetlbfsFilesOpened: process.statistics.hugetlbfsFilesOpened,
                     hugetlbMappings: process.statistics.hugetlbMappings,
                     hugetlbBytesMapped: process.statistics.bytesMappedByPageSize.values.reduce(0, +),
                     hugetlbPageSize: process.mainHugePageSize,
                     mappingsBeforeHugetlb: process.mapCountBeforeHugetlb,
                     earlierFailures: 0,
                     fixedHugetlbMappings: process.touches.fixedHugetlbMappings,
                     lookedAt: process.touches.lookedAt)
    }

    /// A process has exited: when it failed or was killed after it went for huge pages, and none
    /// of its memory calls failed, compare what it asked for with what the system offers.
    func exitedWithoutFailure(_ process: TracedProcess, code: Int32?, signal: Int32?) {
        // A process stopped by the user (Ctrl-C, a service stop, a closed terminal or pipe) did not give up.
        let userSignals: Set<Int32> = [SIGINT, SIGTERM, SIGHUP, SIGPIPE]
        guard (code ?? 0) != 0 || signal.map({ !userSignals.contains($0) }) == true,
              process.statistics.firstFailure == nil, process.statistics.failuresByErrno.isEmpty else { return }
        let context = traceContext(process)
        let demand = context.demand
        let wentForHugePages = process.touches.touched || demand.inMemory || demand.hugeDir != nil
        guard wentForHugePages else { return }
        let status = code.map { "exited with \($0)" } ?? "was killed by \(signal.map(signalName) ?? "a signal")"
        let comm = process.command.first.map { String($0.split(separator: "/").last ?? "") }
        // Stale files (a walk of the mounts and of every process's maps: most of a snapshot's
        // cost, 5 ms at the end of a DPDK run) matter only to a short pool: read them then.
        var outcome = diagnoseGiveUp(pid: process.pid, comm: comm, status: status,
                                     snapshot: Snapshot.readSystem(cgroupText: process.touches.cgroupText, staleFiles: false),
                                     context: context)
        if case .shortfall(let diagnosis) = outcome, diagnosis.cause == .hugepagePool || diagnosis.alsoExceeded.contains(where: { $0.cause == .hugepagePool }) {
            outcome = diagnoseGiveUp(pid: process.pid, comm: comm, status: status,
                                     snapshot: Snapshot.readSystem(cgroupText: process.touches.cgroupText), context: context)
        }
        switch outcome {
        case .shortfall(let diagnosis):
            diagnoses += 1
            sink.handle(.diagnosis(diagnosis))
        case .nothingShort(let line):
            Console.error("maptrace: " + line)
        }
    }
}
