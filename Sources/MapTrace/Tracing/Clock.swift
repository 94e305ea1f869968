import Glibc

/// Time stamps from the vDSO: no system call per stop.
enum Clock {
    /// Seconds since the epoch, for events and the log.
    static func realtime() -> Double { read(CLOCK_REALTIME) }
    /// Seconds on a clock that never jumps, for intervals.
    static func monotonic() -> Double { read(CLOCK_MONOTONIC_COARSE) }

    private static func read(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
