import CMapTrace
import Glibc

// Threads and processes coming and going: clone, fork, exec, exit, detach.
extension Tracer {
    /// Registers a new tracee. Its first stop can come before its parent's clone/fork event,
    /// so the parent is found from /proc when not given. `isThread` nil: decide from its Tgid.
    /// `launched`: maptrace's own child, about to exec the command: its areas (a copy of
    /// maptrace's) are not read, as the exec replaces them before any call is traced.
    @discardableResult
    func adopt(_ tid: Int32, parent: TracedProcess? = nil, isThread: Bool? = nil, launched: Bool = false) -> TracedThread {
        let status = launched ? [:] : ProcText.read("/proc/\(tid)/status").map { ProcText.fields($0) } ?? [:]
        let tgid = status["Tgid"].flatMap { Int32($0) } ?? tid
        let process: TracedProcess
        if isThread != false, let existing = processes[tgid] {
            process = existing
        } else {
            let parentProcess = parent ?? status["PPid"].flatMap { Int32($0) }.flatMap { processes[$0] }
            // A fork copies the parent's address space; the model copies its parent's (O(1), copy-on-write).
            var space: AddressSpace
            if launched {
                space = AddressSpace([])
            } else if let parentProcess {
                space = parentProcess.space
                space.forked()
            } else {
                // a process maptrace did not see start: how its areas came to be is unknown
                space = AddressSpace((try? MapsFile.readSmaps(pid: tgid)) ?? [], inherited: true)
            }
            process = TracedProcess(pid: tgid, space: space, command: parentProcess?.command ?? (launched ? [] : commandLine(tgid)))
            process.memory.programBreak = parentProcess?.memory.programBreak ?? 0
            process.mapCountBeforeHugetlb = parentProcess?.mapCountBeforeHugetlb
            process.lastResync = Clock.monotonic()
            processes[tgid] = process
        }
        let thread = TracedThread(tid: tid, process: process)
        process.threads[tid] = thread
        threads[tid] = thread
        return thread
    }

    /// After exec the process has a new address space and command line. A non-leader thread that
    /// exec'd takes the leader's tid: its call in progress moves across.
    func execed(_ thread: TracedThread) {
        let former = Int32(truncatingIfNeeded: eventMessage(thread.tid))
        if former != thread.tid, let old = threads.removeValue(forKey: former) {
            thread.pending = old.pending
            thread.pendingHugePageSize = old.pendingHugePageSize
            thread.process.remove(old)
        }
        let process = thread.process
        if process.pid == root { commandStarted = true }
        // a new mm: fresh areas (smaps shows their vm_flags), and a new maps file to query
        process.memory = ProcessMemory(space: AddressSpace((try? MapsFile.readSmaps(pid: process.pid)) ?? []))
        process.forgetAreaQuery()
        process.command = commandLine(process.pid)
        process.statistics.command = process.command.joined(separator: " ")
        process.mapCountBeforeHugetlb = nil
        // the peak is the program's own: what ran before the exec (a `prlimit … --` wrapper,
        // a shell) had other mappings
        process.statistics.peakMapCount = process.space.count
        let path = reader.link("/proc/\(process.pid)/exe") ?? process.command.first ?? "?"
        sink.handle(.exec(time: Clock.realtime(), pid: process.pid, tid: thread.tid, path: path, argv: process.command))
        resume(thread)
    }

    /// A thread or process is gone.
    func threadEnded(_ tid: Int32, status: Int32) {
        guard let thread = threads.removeValue(forKey: tid) else { return }
        injector?.forget(tid: tid)
        let process = thread.process
        process.remove(thread)
        let exited = mt_wifexited(status) != 0
        let code: Int32? = exited ? mt_wexitstatus(status) : nil
        let sig: Int32? = exited ? nil : mt_wtermsig(status)
        let isProcess = tid == process.pid
        if let pending = thread.pending, sink.wants(touchesHugetlb: thread.pendingHugePageSize != nil, failed: false) {
            // The call never returned (the thread died in it): strace prints " = ?"
            var unfinished = pending
            unfinished.neverReturned = true
            sink.handle(.syscall(SyscallEvent(time: Clock.realtime(), pid: process.pid, tid: tid, call: unfinished,
                                              hugePageSize: thread.pendingHugePageSize, mapCount: process.space.count,
                                              maxMapCount: maxMapCount, hugetlbMapCount: process.space.hugetlbCount,
                                              refused: false)))
        }
        if isProcess {
            process.statistics.exitStatus = code
            process.statistics.killedBy = sig.map(signalName)
            if tid == root { rootStatus = code ?? 128 + (sig ?? 0) }
        }
        // A command whose execve failed never ran: the child's one line said why.
        if !(tid == root && filtered && !commandStarted) {
            sink.handle(.exit(time: Clock.realtime(), pid: process.pid, tid: tid, status: code, signal: sig,
                              coreDumped: !exited && status & 0x80 != 0, isProcess: isProcess))
        }
        if isProcess { exitedWithoutFailure(process, code: code, signal: sig) }
        if process.threads.isEmpty, processes[process.pid] === process {
            processes[process.pid] = nil
            finished.append(process.statistics)
        }
    }

    /// Attach mode only: stop every thread and detach it at its next stop, leaving the process
    /// running exactly as before. (A launched process is never detached: its seccomp filter
    /// would make every memory call fail with ENOSYS once no tracer is there.)
    func beginDetach() {
        guard !filtered, !detaching else { return }
        detaching = true
        for thread in threads.values {
            thread.detachAtNextStop = true
            _ = mt_ptrace(Int32(PTRACE_INTERRUPT.rawValue), thread.tid, 0, 0)
        }
    }

    func detach(_ thread: TracedThread, signal sig: Int32) {
        _ = mt_ptrace(Int32(PTRACE_DETACH.rawValue), thread.tid, 0, UInt64(sig))
        threads[thread.tid] = nil
        thread.process.remove(thread)
        if thread.process.threads.isEmpty, processes[thread.process.pid] === thread.process {
            processes[thread.process.pid] = nil
            finished.append(thread.process.statistics)
        }
    }

    func commandLine(_ pid: Int32) -> [String] {
        guard let text = ProcText.read("/proc/\(pid)/cmdline") else { return [] }
        return text.split(separator: "\0", omittingEmptySubsequences: false).map(String.init).dropLast(text.hasSuffix("\0") ? 1 : 0)
    }
}
