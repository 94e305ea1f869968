/// One traced process (one mm): its address-space model and figures. Threads share it; a fork
/// starts a new one from a copy of its parent's model.
final class TracedProcess {
    let pid: Int32
    /// The model of its address space, changed only by `ProcessMemory.apply` and re-reads.
    var memory: ProcessMemory
    var space: AddressSpace {
        // borrowed, not copied: a copy retains and releases each of the tree's arrays, at every
        // read of a count or an area (1 µs a stop at 200 threads)
        _read { yield memory.space }
        // in place: a get-then-set would copy the whole tree on every change (copy-on-write
        // sees two owners)
        _modify { yield &memory.space }
    }
    /// /proc/PID/maps, open for PROCMAP_QUERY while the process keeps its mm: opened at the
    /// first need (`areaQuery`), forgotten at exec (`forgetAreaQuery`).
    private var mapsQuery: AreaQuery?
    /// PROCMAP_QUERY was refused (a kernel before 6.11): not asked again for this mm.
    private var mapsQueryUnavailable = false

    /// The maps file to query, opened once; nil where the kernel has no PROCMAP_QUERY (checks
    /// then re-read smaps, mmaps read their fd at entry).
    var areaQuery: AreaQuery? {
        if mapsQuery == nil && !mapsQueryUnavailable {
            mapsQuery = AreaQuery(pid: pid)
            mapsQueryUnavailable = mapsQuery == nil
        }
        return mapsQuery
    }

    /// A new mm (exec): the maps file is opened anew at the next need.
    func forgetAreaQuery() {
        mapsQuery = nil
        mapsQueryUnavailable = false
    }
    /// Reads its fds through a pidfd (`TraceeFiles`); opened at the first fd read.
    var files: TraceeFiles?
    /// No pidfd for it (an old kernel): its fds are read through /proc.
    var filesUnavailable = false
    var statistics: ProcessStatistics
    var command: [String]
    /// Its threads by tid (the tracer's own table holds them too).
    var threads: [Int32: TracedThread] = [:]
    /// Its threads that are inside a call (`TracedThread.insideCall`), in no order: what the
    /// checks made at many stops go through (an munmap's certainty, the calls in flight), not
    /// all threads: with 200 threads, a few dozen at a time.
    private(set) var threadsInCall: [TracedThread] = []
    /// The mapping count just before the first hugetlb mapping: the process's baseline.
    var mapCountBeforeHugetlb: Int?
    /// Monotonic time of the last comparison with /proc/PID/maps.
    var lastResync: Double = 0
    /// Comparisons in a row that found the model exact. Each doubles the wait for the next one
    /// (up to 64 times the base interval): reading a large maps file every second cost more than
    /// the stops on a process holding 60,000 areas. A drift starts again from the base interval.
    var resyncsInAgreement = 0

    func resyncDelay(_ base: Double) -> Double { base * Double(1 << min(resyncsInAgreement, 6)) }
    var pageSizeUse: [UInt64: Int] = [:]
    /// Whether it has maptrace's root and mount namespace (DirectoryFilesystems); nil: not asked yet.
    var sharesRoot: Bool?
    var touches = HugetlbTouches()
    /// Where the model changed lately, to tell when two threads' calls may have run in another
    /// order than the tracer saw them.
    var journal = ChangeJournal()
    /// Spans whose order the tracer could not tell, for the next check with the kernel
    /// (`Tracer.checkUnsure`).
    var rechecks: [(start: UInt64, end: UInt64)] = []
    /// Checks that calls of other threads in flight would have disturbed (`InFlightCalls`),
    /// taken at the next check they no longer disturb, and since when the oldest waits.
    var deferred: [(start: UInt64, end: UInt64)] = []
    var deferredSince: Double = 0

    /// Keeps `threadsInCall` up to date when a thread goes in or out of a call, or leaves.
    fileprivate func noteInCall(_ thread: TracedThread, _ inside: Bool) {
        if inside, thread.inCallSlot < 0 {
            thread.inCallSlot = threadsInCall.count
            threadsInCall.append(thread)
        } else if !inside, thread.inCallSlot >= 0 {
            let slot = thread.inCallSlot
            let last = threadsInCall.removeLast()
            if last !== thread {
                threadsInCall[slot] = last
                last.inCallSlot = slot
            }
            thread.inCallSlot = -1
        }
    }

    /// A thread that exits, detaches or is replaced at exec.
    func remove(_ thread: TracedThread) {
        threads[thread.tid] = nil
        noteInCall(thread, false)
    }

    init(pid: Int32, space: AddressSpace, command: [String]) {
        self.pid = pid
        memory = ProcessMemory(space: space)
        self.command = command
        statistics = ProcessStatistics(pid: pid, command: command.joined(separator: " "))
    }

    /// The most used huge page size of this process.
    var mainHugePageSize: UInt64? { pageSizeUse.max(by: { $0.value < $1.value })?.key }
}

/// One traced thread and the call it is in, between its entry and exit stops.
final class TracedThread {
    let tid: Int32
    var process: TracedProcess
    var pending: CallRecord? {
        didSet {
            if let syscall = pending?.syscall, let args = pending?.args {
                pendingCall = (syscall, args.a3, args.a0, args.a1)
            } else {
                pendingCall = nil
            }
            process.noteInCall(self, insideCall)
        }
    }
    /// The pending call's name, fourth argument (mmap's flags) and range, kept beside it: what
    /// the stops of other threads read of it (`insideCall`, `leavesMunmapAlone`, `InFlightCalls`),
    /// for every thread of the process, without copying the whole record: 3 % of maptrace's
    /// time at 200 threads.
    private(set) var pendingCall: (syscall: Syscall, flags: UInt64, address: UInt64, length: UInt64)?
    /// The pending call may change areas (not an open, a statfs): what other threads' checks
    /// and reads of areas wait for.
    var pendingChangesAreas: Bool { pendingCall.map { $0.syscall.changesMappings || $0.syscall.isExec } ?? false }
    /// The huge page size the pending call touches, decided at entry (before the call changes the model).
    var pendingHugePageSize: UInt64?
    /// The pending mmap's file is read at its exit, from the area it made (`Tracer.mappedFile`).
    var pendingFileAtExit = false
    /// SEIZE start-up of a launched command: swallow the SIGCONT maptrace sent itself.
    var swallowSigcont = false
    /// Its first stop (PTRACE_EVENT_STOP with SIGSTOP, under SEIZE) is still to come: that stop
    /// is not a group-stop and must not be kept with LISTEN.
    var awaitingFirstStop = true
    /// Detaching (attach mode): detach at the next stop.
    var detachAtNextStop = false
    /// Running a call whose result the model took at entry (`Tracer.munmapIsCertain`): the
    /// kernel may not have done it yet. Cleared at the thread's next stop.
    var inUnseenCall = false {
        didSet { process.noteInCall(self, insideCall) }
    }
    /// Its index in its process's `threadsInCall`; -1 when not inside a call.
    fileprivate var inCallSlot = -1
    /// The journal's sequence number when the pending call entered (for a call taken at
    /// entry: once the model took it), and where that call changes areas.
    var entryEpoch: UInt64 = 0
    var unseenSpans = TouchedSpans()

    /// Inside a call the model may not have followed yet: one seen at entry and not at its exit,
    /// or one taken at entry that the kernel may not have done.
    var insideCall: Bool { pendingCall != nil || inUnseenCall }

    init(tid: Int32, process: TracedProcess) {
        self.tid = tid
        self.process = process
    }
}
