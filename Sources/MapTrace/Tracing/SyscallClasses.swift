import CSeccomp

/// strace's system call classes (`-e trace=%memory`), restricted to the calls maptrace's filter
/// stops. Classes that hold none of them (`%network`, `%signal`…) are valid and select nothing.
public enum SyscallClasses {
    /// class name (without %) → the traced calls strace puts in it.
    static let table: [String: Set<Syscall>] = [
        "file": [.open, .openat, .openat2, .creat, .execve, .execveat, .statfs],
        "desc": [.open, .openat, .openat2, .creat, .mmap, .fallocate, .ftruncate, .memfd_create, .execveat, .fstatfs],
        "memory": [.mmap, .munmap, .mremap, .mprotect, .brk, .madvise, .mlock, .mlock2, .mlockall, .shmat, .shmdt,
                   .munlock, .munlockall, .pkey_mprotect, .mbind, .mseal],
        "process": [.execve, .execveat],
        "ipc": [.shmget, .shmat, .shmdt],
        "creds": [], "clock": [], "network": [], "net": [], "signal": [], "pure": [],
        "stat": [], "lstat": [], "fstat": [], "%stat": [], "statfs": [.statfs], "fstatfs": [.fstatfs], "%statfs": [.statfs, .fstatfs],
    ]

    /// Classes strace also accepts without the `%` (its older spelling).
    static let bareNames: Set<String> = ["file", "process", "network", "signal", "ipc", "desc", "memory"]

    /// Whether the kernel (as libseccomp knows it) has a call of this name on this architecture.
    public static func isSystemCall(_ name: String) -> Bool {
        SeccompFilter.number(of: name) != __NR_SCMP_ERROR
    }
}
