import CMapTrace
import Glibc

// The first failing memory call: hold the process in its stop, read the evidence while it is
// intact, explain it, then continue, kill or keep holding as asked.
extension Tracer {
    func failure(_ thread: TracedThread, event: SyscallEvent) {
        guard !firstFailureSeen else {
            laterFailures += 1
            sink.handle(.laterFailure(event))
            return
        }
        firstFailureSeen = true
        let call = event.call
        // brk reports a refusal by returning the old break; glibc turns it into ENOMEM.
        let errnoValue = call.syscall == .brk && call.errno == 0 ? ENOMEM : call.errno
        var failed = FailedCall(pid: event.pid, tid: event.tid, syscall: call.syscall.name, args: call.args.array,
                                errno: errnoValue, text: CallText.render(call),
                                path: call.fdPath ?? call.string, hugetlbPageSize: event.hugePageSize,
                                time: event.time)
        let maps = currentMaps(thread.process)
        failed.stack = reader.stack(tid: thread.tid, maps: maps ?? [])
        sink.handle(.syscall(event))
        explain(failed, process: thread.process, maps: maps)
        act(on: thread)
    }

    /// A SIGBUS on a hugetlb mapping: the page could not be had at fault time (MAP_NORESERVE,
    /// a cgroup fault limit). The signal itself is passed through afterwards.
    func hugetlbFault(_ thread: TracedThread, address: UInt64, code: Int32, hugePageSize: UInt64,
                      mapping: Mapping, time: Double) {
        guard !firstFailureSeen else { laterFailures += 1; return }
        firstFailureSeen = true
        let text = "--- SIGBUS {si_signo=SIGBUS, si_code=\(code == 2 ? "BUS_ADRERR" : String(code)), si_addr=\(hex(address))} ---"
        let failed = FailedCall(pid: thread.process.pid, tid: thread.tid, syscall: "SIGBUS",
                                args: [address, mapping.start, mapping.end, mapping.offset, 0, 0], errno: 0,
                                text: text, path: mapping.path, hugetlbPageSize: hugePageSize,
                                signalAddress: address, time: time)
        explain(failed, process: thread.process, maps: currentMaps(thread.process))
        act(on: thread)
    }

    /// The process's maps as the kernel has them now, the process being held.
    private func currentMaps(_ process: TracedProcess) -> [Mapping]? {
        try? MapsFile.read(pid: process.pid, mounts: try? MountTable.read(pid: process.pid))
    }

    private func explain(_ failed: FailedCall, process: TracedProcess, maps: [Mapping]?) {
        process.statistics.firstFailure = failed.syscall + (failed.errno != 0 ? " " + errnoName(failed.errno) : "")
        process.statistics.hugetlbMappingsAtFailure = process.statistics.hugetlbMappings
        let snapshot = Snapshot.read(pid: process.pid, call: failed)
        if let kernel = snapshot.process?.mapCount, kernel != process.space.count {
            sink.handle(.drift(time: failed.time, pid: process.pid, model: process.space.count, kernel: kernel))
        }
        let context = traceContext(process)
        diagnoses += 1
        sink.handle(.diagnosis(diagnose(failed, snapshot: snapshot, context: context)))
        // The model follows the kernel again from here (a failed MAP_FIXED can leave a hole).
        if let maps {
            process.space = AddressSpace(maps)
        }
    }

    private func act(on thread: TracedThread) {
        switch options.onFailure {
        case .continue:
            break
        case .kill:
            kill(thread.process.pid, SIGKILL)
        case .hold:
            hold(thread)
        }
    }

    /// Keeps the process frozen until Enter on standard input or SIGINT: the failing thread in
    /// its ptrace stop, the others interrupted (their stops are collected, and they resumed, by the
    /// loop afterwards).
    private func hold(_ thread: TracedThread) {
        let pid = thread.process.pid
        for tid in thread.process.threads where tid != thread.tid {
            _ = mt_ptrace(Int32(PTRACE_INTERRUPT.rawValue), tid, 0, 0)
        }
        Console.error("maptrace: holding pid \(pid) at the failing call; read /proc/\(pid)/* now. "
              + "Press Enter (or send SIGINT to maptrace, pid \(getpid())) to let it go on.")
        var stdinOpen = isatty(0) != 0 || fcntl(0, F_GETFD) >= 0
        while true {
            if OwnSignals.take() != nil { break }
            var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = stdinOpen ? poll(&fds, 1, 200) : poll(nil, 0, 200)
            if ready > 0 {
                var byte: UInt8 = 0
                let n = read(0, &byte, 1)
                if n > 0 && byte == UInt8(ascii: "\n") { break }
                if n == 0 { stdinOpen = false }  // no terminal: wait for SIGINT only
            }
        }
        Console.error("maptrace: released pid \(pid)")
    }
}
