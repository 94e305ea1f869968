import CMapTrace
import Glibc

// Entry and exit of a traced call: decode at entry while the arguments are intact, update the
// model from the result at exit.
extension Tracer {
    private static let opSeccomp = UInt8(PTRACE_SYSCALL_INFO_SECCOMP.rawValue)
    private static let opEntry = UInt8(PTRACE_SYSCALL_INFO_ENTRY.rawValue)
    private static let opExit = UInt8(PTRACE_SYSCALL_INFO_EXIT.rawValue)
    private static let x86_64Arch: UInt32 = 0xC000_003E

    /// A seccomp stop: the filter said this is one of ours.
    func callEntry(_ thread: TracedThread) {
        var info = __ptrace_syscall_info()
        let got = syscallInfo(thread, &info)
        guard got > 0, info.op == Tracer.opSeccomp else {
            resume(thread)
            return
        }
        let code = UInt16(truncatingIfNeeded: info.seccomp.ret_data)
        if info.arch == Compat32Calls.auditArch {
            compatCallEntry(thread, number: UInt64(info.seccomp.nr), code: code, args: SyscallArguments(info.seccomp.args))
            return
        }
        if code == foreignArchCode || info.arch != Tracer.x86_64Arch {
            foreignCall(thread, number: UInt64(info.seccomp.nr))
            return
        }
        if code == rootChangeCode {
            directories.rootChanged()
            resume(thread)
            return
        }
        if code == cloneUntracedCode || code == clone3Code {
            keepTraced(thread, isClone3: code == clone3Code, cloneArgs: UInt64(info.seccomp.args.0))
            return
        }
        guard let call = Syscall(rawValue: code) else { resume(thread); return }
        begin(thread, call: call, args: SyscallArguments(info.seccomp.args))
        callEntered(thread)
        // a call whose result cannot matter needs no exit stop (an injected one always does)
        if injector == nil && !exitMatters(thread) {
            if call == .munmap { completeAtEntry(thread) }
            thread.pending = nil
        }
        resume(thread)
    }

    /// A syscall stop: the exit of a call in progress, or, attached with no filter, any entry or exit.
    func syscallStop(_ thread: TracedThread) {
        var info = __ptrace_syscall_info()
        guard syscallInfo(thread, &info) > 0 else { resume(thread); return }
        switch info.op {
        case Tracer.opExit:
            if var call = thread.pending.take() {  // moved out, not copied
                let rval = ipcShmatResult.isEmpty ? Int64(info.exit.rval)
                    : compatResult(thread, Int64(info.exit.rval), failed: info.exit.is_error != 0)
                if info.exit.is_error != 0 { call.errno = Int32(truncatingIfNeeded: -rval) } else { call.result = rval }
                if thread.pendingFileAtExit { mappedFile(thread, &call) }
                callExited(thread, &call)
                finish(thread, call: &call, hugePageSize: thread.pendingHugePageSize)
            }
        case Tracer.opEntry where !filtered:
            if info.arch == Tracer.x86_64Arch, let call = numbers.call(UInt64(info.entry.nr)) {
                begin(thread, call: call, args: SyscallArguments(info.entry.args))
                callEntered(thread)
            } else if info.arch == Compat32Calls.auditArch {
                compatBegin(thread, number: UInt64(info.entry.nr), args: SyscallArguments(info.entry.args))
            }
        default:
            break
        }
        resume(thread)
    }

    /// PTRACE_GET_SYSCALL_INFO arrived in Linux 5.3; without it nothing can be decoded, so the
    /// trace ends with that one error (a launched command is killed, an attached one detached).
    private func syscallInfo(_ thread: TracedThread, _ info: inout __ptrace_syscall_info) -> Int {
        let got = mt_get_syscall_info(thread.tid, &info)
        if got < 0 && errno == EIO && fatal == nil {
            fatal = .noSyscallInfo
            if filtered { kill(thread.process.pid, SIGKILL) } else { beginDetach() }
        }
        return got
    }

    /// Decodes what must be read before the call runs: strings, fds, and whether it touches hugetlb.
    func begin(_ thread: TracedThread, call: Syscall, args: SyscallArguments) {
        var record = CallRecord(syscall: call, args: args)
        // set here, before the record is the thread's: a change through `thread.pending` copies it
        record.entryTime = Clock.realtime()
        record.stringLimit = options.stringLimit
        let pid = thread.tid
        if let i = call.pathArgument { record.string = reader.string(pid: pid, at: args[i]) }
        var huge: UInt64?
        thread.pendingFileAtExit = false
        switch call {
        case .openat2:
            record.openHow = reader.openHow(pid: pid, at: args[2])
        case .execve:
            record.argv = reader.argv(pid: pid, at: args[1])
        case .execveat:
            record.argv = reader.argv(pid: pid, at: args[2])
        case .mmap:
            if args[3] & CallBits.mapAnonymous == 0 {
                // read at its exit from the area it made (`mappedFile`), where the kernel can say
                if thread.process.areaQuery != nil {
                    thread.pendingFileAtExit = true
                } else {
                    (huge, record.fdPath) = openFile(thread, fd: args[4])
                }
            } else if args[3] & CallBits.mapHugetlb != 0 {
                huge = hugePageSize(fromFlags: args[3]) ?? defaultHugePageSize
            }
            if huge == nil, args[3] & CallBits.mapFixed != 0, let m = thread.process.space.mapping(containing: args[0]) {
                huge = m.hugePageSize  // MAP_FIXED over a hugetlb mapping
            }
        case .munmap, .mremap, .mprotect, .pkey_mprotect, .madvise, .mlock, .mlock2, .munlock, .mbind, .mseal, .shmdt:
            huge = thread.process.space.mapping(containing: args[0])?.hugePageSize
            if call == .mbind { record.nodeMask = reader.nodeMask(pid: pid, at: args[3], bits: args[4]) }
        case .prctl:
            record.string = reader.string(pid: pid, at: args[4])
        case .fallocate, .ftruncate:
            (huge, record.fdPath) = openFile(thread, fd: args[0])
        case .fstatfs:
            record.fdPath = openFile(thread, fd: args[0]).path
        case .memfd_create:
            if args[1] & CallBits.mfdHugetlb != 0 { huge = hugePageSize(fromFlags: args[1]) ?? defaultHugePageSize }
        case .shmget:
            if args[2] & CallBits.shmHugetlb != 0 { huge = hugePageSize(fromFlags: args[2]) ?? defaultHugePageSize }
        case .shmat:
            huge = shmSegments[id: args[0]]?.hugePageSize
        default:
            break
        }
        if call == .openat || call == .openat2 || call == .execveat, !record.cwdOnlyDecorates {
            record.dirfdPath = reader.fdPath(pid: pid, fd: args[0])
        }
        thread.pending = record
        thread.pendingHugePageSize = huge
        thread.entryEpoch = thread.process.journal.epoch
    }

    /// The call's result is known (at its exit, or at its entry: `munmapIsCertain`): update the
    /// model, the figures, and report it. The caller's record is completed in place (the path an
    /// open returned, a statfs's result), not copied: it is some 300 bytes with references.
    func finish(_ thread: TracedThread, call: inout CallRecord, hugePageSize: UInt64?) {
        var huge = hugePageSize
        let process = thread.process
        let pid = process.pid
        if call.syscall.opensFile {
            if call.failed {
                let base = call.syscall == .open || call.syscall == .creat ? reader.fdPath(pid: thread.tid, fd: UInt64(bitPattern: -100)) : call.dirfdPath
                if let path = call.string { huge = reader.hugePageSize(pid: thread.tid, path: path, base: base) }
            } else {
                (huge, call.resultPath) = openFile(thread, fd: UInt64(call.result), fresh: true) { huge in
                    sink.wants(touchesHugetlb: huge != nil, failed: false)
                }
                if huge != nil { process.statistics.hugetlbfsFilesOpened += 1 }
            }
        } else if call.syscall == .memfd_create, !call.failed {
            call.resultPath = openFile(thread, fd: UInt64(call.result), fresh: true).path
        }
        let memoryCall = MemoryCall(call, hugePageSize: huge)
        if huge != nil, call.syscall == .mmap || call.syscall == .shmat, !call.failed, process.mapCountBeforeHugetlb == nil {
            process.mapCountBeforeHugetlb = process.space.count
        }
        let effect = process.memory.apply(memoryCall, segments: &shmSegments)
        journal(thread, effect)
        if effect.hugetlbBytes > 0, let huge {
            process.statistics.hugetlbMappings += 1
            process.statistics.bytesMappedByPageSize[huge, default: 0] += effect.hugetlbBytes
            process.pageSizeUse[huge, default: 0] += 1
        }
        checkUnsure(process, everything: effect.changedEverything)
        if debugModel, debugReports < 3, !anyThreadInsideCall(process), debugCompare(process, call) { debugReports += 1 }
        if let at = debugModelAt, call.args[0] == at { _ = debugCompare(process, call) }
        let statfsHuge = statfsHugePageSize(&call, thread: thread)
        process.touches.note(call, hugePageSize: huge, pid: pid, statfsOnHugetlbfs: statfsHuge != nil)
        let brkRefused = effect.refusedBrk
        if memoryCall.isMemoryFailure || brkRefused {
            process.statistics.failuresByErrno[brkRefused ? "ENOMEM" : errnoName(call.errno), default: 0] += 1
        }
        process.statistics.peakMapCount = max(process.statistics.peakMapCount, process.space.count)

        let now = Clock.realtime()
        // a refused memory call: what the default output shows even off hugetlb
        let refused = (call.failed || brkRefused) && !call.syscall.opensFile && !call.syscall.isExec
        if call.cwdOnlyDecorates, call.failed || sink.wants(touchesHugetlb: huge != nil || statfsHuge != nil, failed: refused) {
            call.dirfdPath = reader.fdPath(pid: thread.tid, fd: call.args[0])  // AT_FDCWD</cwd>, as strace -y shows it
        }
        // made only when it is wanted: it copies the whole record
        var event: SyscallEvent {
            SyscallEvent(time: now, pid: pid, tid: thread.tid, call: call, hugePageSize: huge ?? statfsHuge,
                         mapCount: process.space.count, maxMapCount: maxMapCount,
                         hugetlbMapCount: process.space.hugetlbCount, refused: refused)
        }
        if call.injected ? call.failed : memoryCall.needsDiagnosis(effect) {
            failure(thread, event: event)
        } else if sink.wants(touchesHugetlb: huge != nil || statfsHuge != nil, failed: refused) {
            sink.handle(.syscall(event))
        }
        periodic(process, now: now)
    }

    /// Notes where a call changed the model. When a call of another thread changed anything
    /// there (or beside it) since this one entered, the kernel may have run the two in the other
    /// order than the model took them: the span is checked with the kernel.
    func journal(_ thread: TracedThread, _ effect: CallEffect) {
        let process = thread.process
        if effect.changedEverything {
            process.journal.record(0, .max)  // re-read from smaps just after
            return
        }
        for span in effect.spans where process.journal.changed(since: thread.entryEpoch, span.start, span.end) {
            process.rechecks.append(span)
        }
        for span in effect.spans { process.journal.record(span.start, span.end) }
        if thread.inUnseenCall {
            thread.unseenSpans = effect.spans
            thread.entryEpoch = process.journal.epoch
        }
    }

    /// The next stop of a thread whose munmap the model took at its entry: the kernel has done
    /// it now. A change near it by another thread since may have been taken before it while
    /// the kernel ran it after (or the other way round): those spans are checked.
    func settleUnseen(_ thread: TracedThread) {
        let process = thread.process
        for span in thread.unseenSpans where process.journal.changed(since: thread.entryEpoch, span.start, span.end) {
            process.rechecks.append(span)
        }
        thread.unseenSpans = TouchedSpans()
        if !process.rechecks.isEmpty { checkUnsure(process) }
    }

    /// Asks the kernel how the areas are around the boundaries the model was unsure of (two
    /// private areas whose anon_vmas no call shows, a call that stopped half way) and over the
    /// spans two threads changed in an order the tracer cannot tell, and takes its answer.
    /// One PROCMAP_QUERY per area involved; a re-read of smaps on kernels without it.
    ///
    /// A check that calls of other threads in flight may disturb waits (`InFlightCalls`): it is
    /// made at a later check they no longer disturb, or, past `deferralExpired`, taken as the
    /// kernel answers then.
    func checkUnsure(_ process: TracedProcess, everything: Bool = false) {
        // the common case, early: nothing to check, nothing waiting
        if !everything && process.space.isSure && process.rechecks.isEmpty && process.deferred.isEmpty { return }
        // the rechecks' buffer is used and given back (emptied): checks come at many stops
        // with many threads, and each would allocate its arrays anew
        var spans = process.rechecks
        process.rechecks = []
        defer {
            spans.removeAll(keepingCapacity: true)
            if process.rechecks.isEmpty { process.rechecks = spans }
        }
        process.space.drainUnsure(into: &spans)
        var inFlight: InFlightCalls?
        if !everything && !(spans.isEmpty && process.deferred.isEmpty) {
            let calls = InFlightCalls(process)
            if calls.anywhere {
                for span in spans { putOff(process, span) }
                spans.removeAll(keepingCapacity: true)
            } else {
                spans.append(contentsOf: process.deferred)
                process.deferred.removeAll(keepingCapacity: true)
            }
            inFlight = calls
            if deferralExpired(process) {
                spans.append(contentsOf: process.deferred)
                process.deferred.removeAll(keepingCapacity: true)
                inFlight = nil
            }
        }
        guard everything || !spans.isEmpty else { return }
        if !everything, let query = process.areaQuery {
            // one window per cluster: a move's source and destination may lie far apart
            let top: UInt64 = 1 << 47  // TASK_SIZE of x86_64 with 4-level page tables
            var windows: [(low: UInt64, high: UInt64)] = []
            for i in spans.indices { spans[i] = (max(spans[i].start, 1), min(spans[i].end, top - 1)) }
            spans.removeAll { $0.start > $0.end }
            spans.sort { $0.start < $1.start }
            for span in spans {
                if let last = windows.last, span.start <= last.high + (1 << 20) {
                    windows[windows.count - 1].high = max(last.high, span.end)
                } else {
                    windows.append((span.start, span.end))
                }
            }
            var asked = false  // one check counted for each call that asked the kernel
            do {
                // a check that got here past calls in flight has them all (none is `anywhere`)
                let unseen = inFlight ?? InFlightCalls(process, complete: true)
                for w in windows {
                    // the whole of every area the model holds there: what the answer replaces
                    let held = process.space.mappings(overlapping: w.low - 1, length: w.high - w.low + 2)
                    let low = min(w.low - 1, held.first?.start ?? .max), high = max(w.high + 1, held.last?.end ?? 0)
                    if let inFlight, inFlight.mayDisturb(low, high) {
                        putOff(process, (low, high))
                        continue
                    }
                    if !asked { process.statistics.modelQueries = (process.statistics.modelQueries ?? 0) + 1 }
                    asked = true
                    let areas = try query.areas(from: low, to: high)
                    let notRun = unseen.unseenNotRun(areas, model: process.space.mappings(overlapping: low, length: high - low))
                    // the kernel's areas may reach past the window, to where a call is in flight
                    let reach = (min(low, areas.first?.start ?? low), max(high, areas.last?.end ?? high))
                    if let inFlight, !notRun.isEmpty || inFlight.mayDisturb(reach.0, reach.1) {
                        putOff(process, (low, high))
                        continue
                    }
                    if let changed = process.space.adopt(areas, low: low, high: high) {
                        // an answer taken while munmaps taken at entry are still to run: they are done on it
                        for span in notRun { process.space.unmap(start: span.start, length: span.end - span.start) }
                        process.journal.record(changed.start, changed.end)
                    }
                }
                return
            } catch {}
        }
        process.statistics.modelQueries = (process.statistics.modelQueries ?? 0) + 1
        reread(process)
    }

    /// Puts a check off until calls in flight are done (`checkUnsure`).
    private func putOff(_ process: TracedProcess, _ span: (start: UInt64, end: UInt64)) {
        if process.deferred.isEmpty { process.deferredSince = Clock.monotonic() }
        process.deferred.append(span)
    }

    /// Whether the checks put off may wait no longer: while threads keep calls in flight all the
    /// time (200 threads mapping pages), the kernel's answer is taken as it is every 50 ms, and at
    /// once near vm.max_map_count, where an unsure boundary may be the area that fails.
    private func deferralExpired(_ process: TracedProcess) -> Bool {
        !process.deferred.isEmpty
            && (process.deferred.count >= 1024 || Clock.monotonic() - process.deferredSince >= 0.05
                || process.space.count + 64 + 2 * process.deferred.count >= maxMapCount)
    }

    /// Takes the kernel's areas (and their vm_flags) from smaps: at exec, on kernels without
    /// PROCMAP_QUERY, after a call that changed every area.
    func reread(_ process: TracedProcess, inherited: Bool = false) {
        guard let areas = try? MapsFile.readSmaps(pid: process.pid) else { return }
        let defaults = process.space.defaultFlags
        process.space = AddressSpace(areas, inherited: inherited)
        process.journal.record(0, .max)
        process.space.defaultFlags = defaults
    }

    /// Compares the model with the kernel's count now and then, and refreshes the live status.
    private func periodic(_ process: TracedProcess, now: Double) {
        let mono = Clock.monotonic()
        if mono - process.lastResync >= process.resyncDelay(options.resyncInterval) {
            process.lastResync = mono
            resync(process, time: now)
        }
        if mono - lastStatus >= 0.25 {
            lastStatus = mono
            sink.status(LiveStatus(pid: process.pid, mapCount: process.space.count, maxMapCount: maxMapCount,
                                   hugetlbfsFiles: process.statistics.hugetlbfsFilesOpened,
                                   hugetlbBytes: process.space.hugetlbBytes))
        }
    }

    /// Whether a thread of the process (other than `except`) is in a call the model may not have
    /// followed yet: only when none is can the model be compared with the kernel.
    func anyThreadInsideCall(_ process: TracedProcess, except: Int32? = nil) -> Bool {
        process.threadsInCall.contains { $0.tid != except }
    }

    /// Re-reads /proc/PID/maps when the kernel's count differs from the model's, and says so.
    func resync(_ process: TracedProcess, time: Double) {
        // a thread inside a call may have changed the areas already: the model follows at its exit
        guard !anyThreadInsideCall(process), let kernel = try? MapsFile.kernelCount(pid: process.pid) else { return }
        maxMapCount = Tracer.readMaxMapCount()
        process.resyncsInAgreement = kernel == process.space.count ? process.resyncsInAgreement + 1 : 0
        if kernel != process.space.count {
            sink.handle(.drift(time: time, pid: process.pid, model: process.space.count, kernel: kernel))
            reread(process, inherited: true)
        }
    }

    /// A clone that asked for CLONE_UNTRACED: the child would keep the seccomp filter with no
    /// tracer, and all its memory calls would fail with ENOSYS. The flag is cleared, as strace does.
    private func keepTraced(_ thread: TracedThread, isClone3: Bool, cloneArgs: UInt64) {
        if mt_clear_clone_untraced(thread.tid, isClone3 ? 1 : 0, cloneArgs) == 1 { warnUntracedChild(thread) }
        resume(thread)
    }
}
