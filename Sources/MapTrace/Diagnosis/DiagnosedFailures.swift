import Glibc

extension MemoryCall {
    /// The one rule, for live tracing and replay alike, of which failures maptrace explains: the
    /// errors of the limits in docs/causes.md, from calls that ask for memory. Failed opens of
    /// ordinary files (the loader's search path) and failed execs are not memory failures.
    func needsDiagnosis(_ effect: CallEffect) -> Bool {
        if syscall == .brk { return effect.refusedBrk }
        guard let error else { return false }
        switch error.rawValue {
        case ENOMEM, EAGAIN:
            return !syscall.opensFile && !syscall.isExec
        case ENOSPC:
            return hugePageSize != nil || syscall == .shmget
        case EPERM:
            return [.mmap, .mlock, .mlock2, .mlockall, .shmget].contains(syscall)
        case EINVAL:
            return hugePageSize != nil
        default:
            return false
        }
    }

    /// Whether a failure counts among the process's memory failures (`failures_by_errno`):
    /// every failed memory call, and failed opens only on hugetlbfs.
    var isMemoryFailure: Bool {
        guard failed else { return false }
        return hugePageSize != nil || !(syscall.opensFile || syscall.isExec)
    }
}
