import CMapTrace
import Glibc
import Synchronization

/// A thread of maptrace's own, at normal policy, that ends colocation when it starves the
/// trace: every 10 ms it looks whether a tracee's stop has been waiting since the last look
/// while maptrace took none and waited for a CPU (its run delay in /proc/…/schedstat grew by
/// half the interval or more). Then maptrace gets SCHED_OTHER back at once, and its mask at
/// its next stop (`Colocation.stopped`), for the rest of the run.
final class StarvationWatch: Sendable {
    static let intervalNanoseconds = 10_000_000

    private let tracer: Int32
    private let stops = Atomic<Int>(0)
    private let givenUp = Atomic<Bool>(false)
    private let ending = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)

    private init(tracer: Int32) { self.tracer = tracer }

    static func start(tracer: Int32) -> StarvationWatch? {
        let watch = StarvationWatch(tracer: tracer)
        let context = Unmanaged.passRetained(watch).toOpaque()
        var id = pthread_t()
        // the watch must never take maptrace's own signals: the stop loop waits for their EINTR
        var all = sigset_t(), old = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &old)
        let created = pthread_create(&id, nil, { context in
            let watch = Unmanaged<StarvationWatch>.fromOpaque(context!).takeRetainedValue()
            watch.watch()
            return nil
        }, context)
        pthread_sigmask(SIG_SETMASK, &old, nil)
        guard created == 0 else {
            Unmanaged<StarvationWatch>.fromOpaque(context).release()
            return nil
        }
        watch.thread.withLock { $0 = id }
        return watch
    }

    /// The tracer took a stop.
    func progress() { stops.add(1, ordering: .relaxed) }

    /// Whether colocation was ended for starving the trace.
    var gaveUp: Bool { givenUp.load(ordering: .relaxed) }

    func stop() {
        ending.store(true, ordering: .relaxed)
        if let id = thread.withLock({ $0 }) { pthread_join(id, nil) }
    }

    private func watch() {
        var lastStops = -1
        var lastDelay: UInt64?
        var pause = timespec(tv_sec: 0, tv_nsec: StarvationWatch.intervalNanoseconds)
        while !ending.load(ordering: .relaxed) {
            nanosleep(&pause, nil)
            let taken = stops.load(ordering: .relaxed)
            guard mt_stop_pending() != 0 else { lastDelay = nil; lastStops = taken; continue }
            let delay = runDelay()
            if taken == lastStops, let lastDelay, let delay, delay &- lastDelay >= UInt64(StarvationWatch.intervalNanoseconds / 2) {
                var param = sched_param(sched_priority: 0)
                sched_setscheduler(tracer, SCHED_OTHER, &param)
                givenUp.store(true, ordering: .relaxed)
                return
            }
            lastDelay = delay
            lastStops = taken
        }
    }

    /// Nanoseconds the tracer thread has spent runnable but waiting for a CPU.
    private func runDelay() -> UInt64? {
        guard let text = ProcText.value("/proc/self/task/\(tracer)/schedstat") else { return nil }
        let fields = text.split(separator: " ")
        return fields.count >= 2 ? UInt64(fields[1]) : nil
    }
}
