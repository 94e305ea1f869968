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
        var failed = CallFailure(syscall: call.syscall, args: call.args,
                                 result: call.failed || call.neverReturned ? nil : call.result,
                                 errno: Errno(rawValue: errnoValue), injected: call.injected, text: CallText.render(call),
                                 fdPath: call.fdPath, pageSize: event.hugePageSize, path: call.string)
        let maps = currentMaps(thread.process)
        failed.stack = reader.stack(tid: thread.tid, maps: maps ?? [])
        sink.handle(.syscall(event))
        explain(.call(failed), pid: event.pid, tid: event.tid, time: event.time, process: thread.process, maps: maps)
        act(on: thread)
    }

    /// A SIGBUS on a hugetlb mapping: the page could not be had at fault time (MAP_NORESERVE,
    /// a cgroup fault limit). The signal itself is passed through afterwards.
    func hugetlbFault(_ thread: TracedThread, address: UInt64, code: Int32, hugePageSize: UInt64,
                      mapping: Mapping, time: Double) {
        guard !firstFailureSeen else { laterFailures += 1; return }
        firstFailureSeen = true
        let text = "--- SIGBUS {si_signo=SIGBUS, si_code=\(code == 2 ? "BUS_ADRERR" : String(code)), si_addr=\(hex(address))} ---"
        let fault = FaultFailure(address: address, pageSize: hugePageSize, text: text, file: mapping.path)
        explain(.fault(fault), pid: thread.process.pid, tid: thread.tid, time: time, process: thread.process,
                maps: currentMaps(thread.process))
        act(on: thread)
    }

    /// The process's maps as the kernel has them now, the process being held.
    private func currentMaps(_ process: TracedProcess) -> [Mapping]? {
        try? MapsFile.read(pid: process.pid, mounts: try? MountTable.read(pid: process.pid))
    }

    private func explain(_ failure: Failure, pid: Int32, tid: Int32, time: Double, process: TracedProcess, maps: [Mapping]?) {
        process.statistics.firstFailure = failure.name + (failure.call.map { " " + $0.errno.name } ?? "")
        process.statistics.hugetlbMappingsAtFailure = process.statistics.hugetlbMappings
        let snapshot = Snapshot.read(pid: process.pid, failure: failure)
        if let kernel = snapshot.process?.mapCount, kernel != process.space.count {
            sink.handle(.drift(time: time, pid: process.pid, model: process.space.count, kernel: kernel))
        }
        let context = traceContext(process)
        diagnoses += 1
        sink.handle(.diagnosis(diagnose(failure, pid: pid, tid: tid, time: time, snapshot: snapshot, context: context)))
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

    /// Keeps the process frozen, the failing thread in its ptrace stop and the others
    /// interrupted (their stops are collected, and they resumed, by the loop afterwards), until:
    /// Enter on a terminal, SIGINT, SIGUSR1 or SIGQUIT to maptrace (release); SIGTERM or SIGHUP
    /// (release, and the signal is passed on as outside a hold); or the held process dies (a
    /// SIGKILL from outside). The process stays traced throughout: under the seccomp filter an
    /// untraced process would get ENOSYS from every filtered call.
    private func hold(_ thread: TracedThread) {
        let pid = thread.process.pid
        for tid in thread.process.threads.keys where tid != thread.tid {
            _ = mt_ptrace(Int32(PTRACE_INTERRUPT.rawValue), tid, 0, 0)
        }
        let release = "kill -USR1 \(getpid())"
        var terminal = isatty(0) != 0
        Console.error("maptrace: holding pid \(pid) at the failing call; read /proc/\(pid)/* now. "
              + (terminal ? "Press Enter (or send SIGINT or SIGUSR1 to maptrace, pid \(getpid())) to let it go on."
                          : "To let it go on: \(release)"))
        while true {
            if let own = OwnSignals.take() {
                Console.error("maptrace: released pid \(pid)")
                if own.signal == SIGTERM || own.signal == SIGHUP { react(to: own) }
                return
            }
            if Tracer.hasEnded(thread.tid) {
                Console.error("maptrace: pid \(pid) ended while held; the hold is over")
                return
            }
            var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = terminal ? poll(&fds, 1, 50) : poll(nil, 0, 50)
            guard ready > 0 else { continue }
            var byte: UInt8 = 0
            let n = read(0, &byte, 1)
            if n > 0 && byte == UInt8(ascii: "\n") {
                Console.error("maptrace: released pid \(pid)")
                return
            }
            if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) {
                terminal = false  // end of input: only a signal can release it now
                Console.error("maptrace: standard input is closed; to let pid \(pid) go on: \(release)")
            }
        }
    }

    /// Whether a tracee has died (a zombie waiting for the loop to collect it, or gone).
    static func hasEnded(_ tid: Int32) -> Bool {
        guard let stat = ProcText.read("/proc/\(tid)/stat"), let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return state == "Z" || state == "X"
    }
}
