/// Renders a traced call in strace's notation, as `strace -y` prints it.
public enum CallText {
    /// `mmap(NULL, 2097152, …, 16</dev/hugepages/rtemap_3>, 0) = 0x7f…`
    public static func render(_ call: CallRecord) -> String {
        joinResult(call.syscall.name + "(" + arguments(call) + ")", result(call))
    }

    /// The call without its result: for a call still in progress.
    public static func renderUnfinished(_ call: CallRecord) -> String {
        call.syscall.name + "(" + arguments(call) + " <unfinished ...>"
    }

    static func arguments(_ call: CallRecord) -> String {
        switch call.syscall {
        case .open, .openat, .openat2, .creat: renderOpenArguments(call)
        case .mmap, .munmap, .mremap, .mprotect, .pkey_mprotect, .brk, .madvise, .mseal: renderMemoryArguments(call)
        case .mlock, .mlock2, .mlockall, .munlock, .munlockall: renderLockArguments(call)
        case .mbind: renderPolicyArguments(call)
        case .prctl: renderAreaNameArguments(call)
        case .fallocate, .ftruncate, .memfd_create: renderFileSizeArguments(call)
        case .shmget, .shmat, .shmdt: renderShmArguments(call)
        case .execve, .execveat: renderExecArguments(call)
        case .statfs, .fstatfs: renderStatfsArguments(call)
        }
    }

    static func result(_ call: CallRecord) -> String {
        if call.neverReturned { return "?" }
        if call.failed {
            return "-1 \(errnoName(call.errno)) (\(errnoMessage(call.errno)))" + (call.injected ? " (INJECTED)" : "")
        }
        return value(call) + (call.injected ? " (INJECTED)" : "")
    }

    private static func value(_ call: CallRecord) -> String {
        switch call.syscall {
        case .mmap, .mremap, .brk, .shmat:
            return hex(UInt64(bitPattern: call.result))
        case .open, .openat, .openat2, .creat, .memfd_create:
            return String(call.result) + (call.resultPath.map(decoration) ?? "")
        default:
            return String(call.result)
        }
    }
}
