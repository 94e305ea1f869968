import CMapTrace
import Glibc

/// Keeps maptrace on the CPU of the thread that stops, without touching the program's CPU mask.
///
/// Most of a ptrace stop's cost is two wake-ups across CPUs (tracee → tracer → tracee), and in a
/// VM a wake-up of an idle CPU is dear. Sharing one CPU removes them, but pinning the program
/// is visible to it (see CPUPlacement). So maptrace moves itself instead: it pins itself to the
/// CPU the stopping thread last ran on, and runs there as a SCHED_IDLE task. The policy is what
/// keeps the pair together: the scheduler counts a CPU that runs only SCHED_IDLE tasks as idle
/// when it places a waking task, so a thread that maptrace resumes stays on maptrace's CPU
/// instead of moving to the truly idle one, and it preempts maptrace at once. When the thread
/// stops, maptrace (already runnable there) takes the CPU back without any wake-up.
///
/// A SCHED_IDLE task can starve behind busy ones (a dataplane's polling lcore on the same CPU),
/// and a tracee in a stop would wait with it. `StarvationWatch` sees that and gives maptrace its
/// normal policy and mask back for the rest of the run.
///
/// Measured on 100k mmap/munmap pairs, 2-vCPU VM, quiet: 9.2–9.9 s without, 4.4–4.9 s with;
/// the DPDK 22.11 EAL init (1024 pages) 0.80 s → 0.62 s (untraced 0.38 s).
struct Colocation {
    /// Follow only a stop that was not waiting already: one found at once means maptrace and
    /// the thread already share a CPU.
    static let followAfterPolls = 8

    private let watch: StarvationWatch
    /// maptrace's own mask at the start, put back when the watch gives up on colocation.
    private var ownMask: [UInt8]
    /// The CPU maptrace is pinned to; -1: not pinned.
    private var cpu: Int32 = -1
    private let following: Bool

    /// Starts following, or nil when it cannot apply: one online CPU, or no right to leave
    /// SCHED_IDLE again (neither CAP_SYS_NICE nor an RLIMIT_NICE that allows nice 0), which
    /// the starvation watch needs. Not `following` (--pin-tracee: maptrace and the program
    /// already share a CPU), only the policy and the watch: a stop then finds maptrace runnable
    /// instead of waking it (100k pairs about 4.9 s → 4.1–4.5 s, with --log 5.2 s → 4.8 s).
    static func start(following: Bool = true) -> Colocation? {
        guard !following || OnlineCPUs.read().count >= 2, canLeaveIdlePolicy() else { return nil }
        var mask = [UInt8](repeating: 0, count: Int(MT_CPU_MASK_SIZE))
        guard mt_affinity_get(0, &mask, mask.count) == 0 else { return nil }
        // the watch first: a thread inherits its creator's policy, and SCHED_RESET_ON_FORK does
        // not undo SCHED_IDLE. Only the calling thread (the tracer) gets the policy; the `-o |CMD`
        // shell was started before.
        guard let watch = StarvationWatch.start(tracer: mt_gettid()) else { return nil }
        var param = sched_param(sched_priority: 0)
        guard sched_setscheduler(0, schedIdle, &param) == 0 else {
            watch.stop()
            return nil
        }
        return Colocation(watch: watch, ownMask: mask, following: following)
    }

    /// A stop arrived from `tid` after `polls` empty polls (more than the poll budget: the
    /// wait slept). Moves maptrace to the thread's CPU when they were apart.
    mutating func stopped(_ tid: Int32, polls: Int) {
        if watch.gaveUp {
            if idlePolicy {  // the watch gave normal policy back; a drain may have crossed it
                var param = sched_param(sched_priority: 0)
                if sched_setscheduler(0, SCHED_OTHER, &param) == 0 { idlePolicy = false }
            }
            if cpu >= 0 {
                _ = mt_affinity_set(0, ownMask, ownMask.count)
                cpu = -1
            }
            return
        }
        guard following else { return }
        drainQueue(tid, polls: polls)
        guard polls >= Colocation.followAfterPolls, let target = Colocation.lastCPU(of: tid), target != cpu else { return }
        if mt_pin_cpu(0, target) == 0 { cpu = target }
    }

    /// Stops of other threads found waiting, in a row; the thread of the last stop.
    private var queuedInARow = 0
    private var lastTid: Int32 = 0
    private var idlePolicy = true

    /// While stops of other threads are already waiting when maptrace looks (many threads making
    /// calls at once), a SCHED_IDLE maptrace is preempted by every thread it resumes before it
    /// can take the next waiting stop: it takes normal policy and drains the queue while the
    /// resumed threads run on the other CPU, and goes back to SCHED_IDLE at the first stop it has
    /// to wait for. One thread's next stop found at once is colocation working, not a queue.
    /// 200 threads: 4.46 → 3.91 s; 100k pairs of one thread: unchanged (interleaved, 3 rounds).
    private mutating func drainQueue(_ tid: Int32, polls: Int) {
        defer { lastTid = tid }
        queuedInARow = polls == 0 && tid != lastTid ? queuedInARow + 1 : 0
        let idle = queuedInARow < 4
        guard idle != idlePolicy else { return }
        var param = sched_param(sched_priority: 0)
        if sched_setscheduler(0, idle ? Colocation.schedIdle : SCHED_OTHER, &param) == 0 { idlePolicy = idle }
    }

    private init(watch: StarvationWatch, ownMask: [UInt8], following: Bool) {
        self.watch = watch
        self.ownMask = ownMask
        self.following = following
    }

    /// Ends the watch; maptrace's policy and mask go back to what they were.
    func finish() {
        watch.stop()
        var param = sched_param(sched_priority: 0)
        sched_setscheduler(0, SCHED_OTHER, &param)
        _ = ownMask.withUnsafeBufferPointer { mt_affinity_set(0, $0.baseAddress, $0.count) }
    }

    private static let schedIdle: Int32 = 5

    private static func canLeaveIdlePolicy() -> Bool {
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(13) /* RLIMIT_NICE */, &limit) == 0, limit.rlim_cur >= 20 { return true }
        // CapEff bit 23 is CAP_SYS_NICE
        guard let text = ProcText.read("/proc/self/status"), let hex = ProcText.fields(text)["CapEff"],
              let caps = UInt64(hex, radix: 16) else { return false }
        return caps & (1 << 23) != 0
    }

    /// The CPU a thread last ran on: field 39 of /proc/TID/stat.
    static func lastCPU(of tid: Int32) -> Int32? {
        guard let text = ProcText.read("/proc/\(tid)/stat"), let paren = text.lastIndex(of: ")") else { return nil }
        // the fields after the command's closing parenthesis start at field 3
        let fields = text[text.index(after: paren)...].split(separator: " ")
        return fields.count > 36 ? Int32(fields[36]) : nil
    }
}
