import CMapTrace
import Glibc

/// What maptrace does with the process after diagnosing its first failure.
public enum FailureAction: String, Sendable, CaseIterable {
    /// Let it go on: its own error shows and its exit status becomes maptrace's.
    case `continue`
    /// Kill it at the failing call.
    case kill
    /// Keep it frozen at the failing call until Enter, SIGINT or SIGUSR1, so /proc can be read by hand.
    case hold
}

public struct TraceOptions: Sendable {
    public var onFailure: FailureAction = .continue
    /// Run maptrace on this CPU (--cpu); with `pinTracee`, the launched command too.
    public var tracerCPU: Int32?
    /// Pin the launched command to maptrace's CPU for the whole run (--pin-tracee): faster
    /// stops, but the command sees a one-CPU mask. Off by default (see CPUPlacement).
    public var pinTracee = false
    /// Let maptrace move itself to the CPU of the thread that stops, as a SCHED_IDLE task
    /// (see Colocation). Off with --no-follow and --cpu; with --pin-tracee, the policy only.
    public var followStops = true
    /// How often the model is compared with /proc/PID/maps, in seconds.
    public var resyncInterval: Double = 1.0
    /// `-e inject=` rules (see FaultInjection).
    public var injections: [InjectionRule] = []
    /// -k: the stack of every call that the text shows, read at its exit stop; `stackFor`
    /// says which calls those are.
    public var stackTrace = false
    public var stackFor: (@Sendable (CallRecord, _ touchesHugetlb: Bool) -> Bool)?
    /// -s N for execve's argument strings.
    public var stringLimit: Int?
    public init() {}
}

/// The ptrace stop loop: follows every thread and child, decodes the traced calls, keeps one
/// address-space model per process, and at the first failing memory call reads the evidence
/// while the process is held.
///
/// ptrace requests must come from the thread that attached: call `launch`/`attach` and `run`
/// from one thread, never across an `await`.
public final class Tracer {
    let sink: TraceSink
    let options: TraceOptions
    let reader = TraceeReader()
    let numbers = SyscallNumbers()
    var threads: [Int32: TracedThread] = [:]
    var processes: [Int32: TracedProcess] = [:]
    /// Every process seen, for the summary (processes leave `processes` when they exit).
    var finished: [ProcessStatistics] = []
    var root: Int32 = 0
    var rootStatus: Int32 = 0
    /// Launched under a seccomp filter (true), or attached with none (false).
    var filtered = true
    var detaching = false
    var maxMapCount = Tracer.readMaxMapCount()
    var firstFailureSeen = false
    var diagnoses = 0
    var laterFailures = 0
    /// SysV segments created with SHM_HUGETLB, and every segment's size: shmat maps them.
    var shmSegments = SharedMemorySegments()
    /// MAPTRACE_DEBUG_MODEL: compare the model with /proc after every call and show the first
    /// differences (a developer's aid; see docs/architecture.md).
    let debugModel = getenv("MAPTRACE_DEBUG_MODEL") != nil
    /// MAPTRACE_DEBUG_MODEL_AT=ADDRESS: the same comparison at every call whose first argument
    /// is ADDRESS only (a test program's sentinel call), threads inside calls or not.
    let debugModelAt = getenv("MAPTRACE_DEBUG_MODEL_AT").flatMap { UInt64(String(cString: $0)) }
    var debugReports = 0
    var lastStatus: Double = 0
    /// A failure of maptrace itself that ended the trace.
    public internal(set) var fatal: MapTraceError?
    public var diagnosisCount: Int { diagnoses }
    /// Whether the launched command's execve succeeded; when it did not, the child has said why.
    public internal(set) var commandStarted = false
    let defaultHugePageSize = MountTable.defaultHugePageSize()
    var warnedUntraced = false
    /// What the directories of opens lie on, kept between opens where that is safe.
    lazy var directories = DirectoryFilesystems(reader: reader)
    lazy var injector: FaultInjector? = options.injections.isEmpty ? nil : FaultInjector(rules: options.injections)
    /// i386 threads in an ipc(SHMAT), and where the call will store the attached address.
    var ipcShmatResult: [Int32: UInt64] = [:]

    static let seizeOptions: UInt64 =
        UInt64(PTRACE_O_TRACESYSGOOD.rawValue) | UInt64(PTRACE_O_TRACECLONE.rawValue)
        | UInt64(PTRACE_O_TRACEFORK.rawValue) | UInt64(PTRACE_O_TRACEVFORK.rawValue)
        | UInt64(PTRACE_O_TRACEEXEC.rawValue)
    static let launchOptions: UInt64 =
        seizeOptions | UInt64(PTRACE_O_TRACESECCOMP.rawValue) | UInt64(PTRACE_O_EXITKILL.rawValue)

    public init(sink: TraceSink, options: TraceOptions = TraceOptions()) {
        self.sink = sink
        self.options = options
    }

    /// The statistics of every process traced so far, in order of appearance.
    public var statistics: [ProcessStatistics] {
        (finished + processes.values.map(\.statistics)).sorted { $0.pid < $1.pid }
    }

    public var laterFailureCount: Int { laterFailures }

    /// Runs until every tracee is gone (or detached). Returns the exit status: the root
    /// process's, 128+N when signal N killed it.
    public func run() -> Int32 {
        var status: Int32 = 0
        // pinned, the tracee runs on maptrace's CPU: polling would only take that CPU from it
        var waiter = StopWaiter(polls: options.pinTracee || OnlineCPUs.read().count < 2 ? 0 : StopWaiter.defaultPolls)
        // pinned, maptrace already shares the program's CPU: the policy alone still saves a wake-up a stop
        var colocation = !options.followStops ? nil
            : options.pinTracee ? Colocation.start(following: false)
            : options.tracerCPU == nil ? Colocation.start() : nil
        defer { colocation?.finish() }
        while !threads.isEmpty {
            let pid = waiter.next(&status)
            if pid < 0 {
                if errno == EINTR { handleOwnSignal(); continue }
                break  // ECHILD: nobody left
            }
            colocation?.stopped(pid, polls: waiter.lastPolls)
            if mt_wifexited(status) != 0 || mt_wifsignaled(status) != 0 {
                threadEnded(pid, status: status)
                continue
            }
            guard mt_wifstopped(status) != 0 else { continue }
            stopped(pid, signal: mt_wstopsig(status), event: mt_wevent(status))
            if let own = OwnSignals.take() { react(to: own) }
        }
        for process in processes.values { finished.append(process.statistics) }
        processes.removeAll()
        return rootStatus
    }

    private func stopped(_ pid: Int32, signal sig: Int32, event: Int32) {
        let thread = threads[pid] ?? adopt(pid)
        if thread.inUnseenCall {
            thread.inUnseenCall = false
            settleUnseen(thread)
        }
        if event != Int32(PTRACE_EVENT_STOP.rawValue) { thread.awaitingFirstStop = false }
        if thread.detachAtNextStop {
            detach(thread, signal: event == 0 && sig != SIGTRAP | 0x80 && sig != SIGSTOP ? sig : 0)
            return
        }
        if sig == SIGTRAP | 0x80 {
            syscallStop(thread)
            return
        }
        switch event {
        case Int32(PTRACE_EVENT_SECCOMP.rawValue):
            callEntry(thread)
        case Int32(PTRACE_EVENT_CLONE.rawValue), Int32(PTRACE_EVENT_FORK.rawValue), Int32(PTRACE_EVENT_VFORK.rawValue):
            let child = Int32(truncatingIfNeeded: eventMessage(pid))
            if threads[child] == nil {
                adopt(child, parent: thread.process, isThread: event == Int32(PTRACE_EVENT_CLONE.rawValue) ? nil : false)
            }
            resume(thread)
        case Int32(PTRACE_EVENT_EXEC.rawValue):
            execed(thread)
        case Int32(PTRACE_EVENT_STOP.rawValue):
            // SEIZE: a group-stop (job control) is kept with LISTEN; any other event-stop
            // (a new tracee, an INTERRUPT) just resumes.
            if thread.awaitingFirstStop {
                thread.awaitingFirstStop = false
                resume(thread)
            } else if [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU].contains(sig) {
                if mt_ptrace(Int32(PTRACE_LISTEN.rawValue), pid, 0, 0) < 0 { resume(thread) }
            } else {
                resume(thread)
            }
        case 0:
            signalStop(thread, signal: sig)
        default:
            resume(thread)
        }
    }

    /// Resumes a stopped thread: PTRACE_SYSCALL when its exit stop is wanted (a call in
    /// progress, or every call in attach mode), else PTRACE_CONT.
    func resume(_ thread: TracedThread, signal sig: Int32 = 0) {
        let request = thread.pending != nil || !filtered ? PTRACE_SYSCALL : PTRACE_CONT
        _ = mt_ptrace(Int32(request.rawValue), thread.tid, 0, UInt64(sig))
    }

    private func signalStop(_ thread: TracedThread, signal sig: Int32) {
        if sig == SIGCONT && thread.swallowSigcont {
            thread.swallowSigcont = false
            resume(thread)
            return
        }
        thread.swallowSigcont = false
        var signo: Int32 = 0, code: Int32 = 0
        var address: UInt64 = 0
        let haveInfo = mt_get_siginfo(thread.tid, &signo, &code, &address) == 0
        let faultAddress = haveInfo && [SIGBUS, SIGSEGV].contains(sig) ? address : nil
        let now = Clock.realtime()
        if sig == SIGBUS, let faultAddress, let mapping = thread.process.space.mapping(containing: faultAddress),
           let size = mapping.hugePageSize {
            hugetlbFault(thread, address: faultAddress, code: code, hugePageSize: size, mapping: mapping, time: now)
        }
        sink.handle(.signal(time: now, pid: thread.process.pid, tid: thread.tid, signal: sig, code: code, address: faultAddress))
        resume(thread, signal: sig)  // passed through unchanged
    }

    /// SIGINT/SIGTERM/SIGHUP/SIGQUIT to maptrace: passed to a launched command (unless the
    /// terminal already sent it to the whole group); an attached process is detached and left running.
    private func handleOwnSignal() {
        if let own = OwnSignals.take() { react(to: own) }
    }

    func react(to own: (signal: Int32, fromTerminal: Bool)) {
        if own.signal == SIGUSR1 { return }  // it releases a hold; at other times it means nothing
        if filtered {
            if !own.fromTerminal { kill(root, own.signal) }
        } else {
            beginDetach()
        }
    }

    /// PTRACE_GETEVENTMSG: the new tracee of a clone/fork, the former tid at exec.
    func eventMessage(_ tid: Int32) -> UInt64 {
        var message: UInt64 = 0
        _ = withUnsafeMutablePointer(to: &message) {
            mt_ptrace(Int32(PTRACE_GETEVENTMSG.rawValue), tid, 0, UInt64(UInt(bitPattern: $0)))
        }
        return message
    }

    static func readMaxMapCount() -> Int {
        ProcText.int("/proc/sys/vm/max_map_count") ?? 65530
    }
}
