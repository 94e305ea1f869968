import CMapTrace
import Glibc

// Waiting for the next stop.
extension Tracer {
    /// The next stop or end of any tracee: waitpid's result (-1 with errno on failure).
    ///
    /// Most of a ptrace stop's cost is two wake-ups across CPUs: the tracee's stop waking the
    /// sleeping tracer, and the resume waking the tracee. While the traced program is busy
    /// making calls, the next stop usually comes within microseconds, so the tracer polls for it
    /// a little before it sleeps: it is awake when the stop comes, and its CPU is not idle.
    /// Never when the tracee shares maptrace's CPU (--pin-tracee): there the spin would hold the
    /// CPU the tracee needs to reach its stop.
    func nextStop(_ status: inout Int32) -> Int32 {
        if spinNanoseconds > 0 && !placement.sharedCPU {
            let deadline = Tracer.nanoseconds() &+ spinNanoseconds
            repeat {
                let pid = waitpid(-1, &status, __WALL | __WNOTHREAD | WNOHANG)
                if pid != 0 { return pid }
            } while Tracer.nanoseconds() < deadline
        }
        return waitpid(-1, &status, __WALL | __WNOTHREAD)
    }

    /// CLOCK_MONOTONIC through the vDSO (the coarse clock ticks every few milliseconds).
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
