import CMapTrace
import Glibc
import Synchronization

/// A thread of maptrace's own, at normal policy, that ends colocation when it starves the
/// trace: every 10 ms (up to 100 ms while none has waited) it looks whether a tracee's stop
/// is waiting, and if one was at the last look too, reads maptrace's times from
/// /proc/…/schedstat. When maptrace, over the interval, waited for a CPU at least 80 % of the
/// time and ran at most 10 %, it gets SCHED_OTHER back at once, and its mask at its next stop
/// (`Colocation.stopped`), for the rest of the run. A SCHED_IDLE task beside a busy one still
/// gets a slice now and then (about 0.3 % of the CPU), so "no stop taken" would not see it.
final class StarvationWatch: Sendable {
    static let intervalMilliseconds: Int32 = 10
    /// The pause grows to this while no stop waits: a dataplane forwarding for hours makes no
    /// call, and a watch waking 100 times a second took 3.6 ms of CPU a second from its cores.
    /// A starved stop is then seen within this and one interval more.
    static let idleIntervalMilliseconds: Int32 = 100

    private let tracer: Int32
    private let givenUp = Atomic<Bool>(false)
    private let ending = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)
    /// A pipe that `stop` writes to, so that the watch wakes at once instead of at the end of
    /// its pause: joining a sleeping watch cost every run 5 ms on average.
    private let wake: (read: Int32, write: Int32)

    private init(tracer: Int32, wake: (read: Int32, write: Int32)) {
        self.tracer = tracer
        self.wake = wake
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    static func start(tracer: Int32) -> StarvationWatch? {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }  // not the launched command's
        let watch = StarvationWatch(tracer: tracer, wake: (ends[0], ends[1]))
        guard let id = OwnThread.start({ watch.watch() }) else { return nil }
        watch.thread.withLock { $0 = id }
        return watch
    }

    /// Whether colocation was ended for starving the trace.
    var gaveUp: Bool { givenUp.load(ordering: .relaxed) }

    func stop() {
        ending.store(true, ordering: .relaxed)
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        if let id = thread.withLock({ $0 }) { pthread_join(id, nil) }
    }

    private func watch() {
        var last: (time: UInt64, run: UInt64, delay: UInt64)?
        var ready = pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)
        var pause = StarvationWatch.intervalMilliseconds
        while !ending.load(ordering: .relaxed) {
            if poll(&ready, 1, pause) != 0 { continue }
            // nothing waits: nothing to judge (and no /proc read while a dataplane forwards)
            guard mt_stop_pending() != 0, let now = schedstat() else {
                last = nil
                pause = min(pause * 2, StarvationWatch.idleIntervalMilliseconds)
                continue
            }
            pause = StarvationWatch.intervalMilliseconds
            defer { last = now }
            guard let last, now.time > last.time else { continue }
            // Over the interval, maptrace waited for a CPU nearly all the time and ran almost
            // never, while a stop waits. Beside a thread it follows, maptrace runs a good part
            // of the time (a quarter to a half on a loop of calls); blocked in waitpid it does
            // not wait for a CPU at all.
            let elapsed = now.time - last.time
            if (now.delay &- last.delay) * 10 >= elapsed * 8, (now.run &- last.run) * 10 <= elapsed {
                var param = sched_param(sched_priority: 0)
                sched_setscheduler(tracer, SCHED_OTHER, &param)
                givenUp.store(true, ordering: .relaxed)
                return
            }
        }
    }

    /// The time, and the tracer thread's time on a CPU and waiting for one, in nanoseconds
    /// (/proc/…/schedstat).
    private func schedstat() -> (time: UInt64, run: UInt64, delay: UInt64)? {
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        guard let text = ProcText.value("/proc/self/task/\(tracer)/schedstat") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let run = UInt64(fields[0]), let delay = UInt64(fields[1]) else { return nil }
        return (UInt64(clock.tv_sec) * 1_000_000_000 + UInt64(clock.tv_nsec), run, delay)
    }
}
