// mlock, mlock2, mlockall, munlock, munlockall — RLIMIT_MEMLOCK's calls and their undoing.

func renderLockArguments(_ call: CallRecord) -> String {
    let a = call.args
    switch call.syscall {
    case .mlock: return "\(pointer(a[0])), \(a[1])"
    case .mlock2: return "\(pointer(a[0])), \(a[1]), \(mlock2Flags.render(a[2]))"
    case .mlockall: return mlockallFlags.render(a[0])
    case .munlock: return "\(pointer(a[0])), \(a[1])"
    case .munlockall: return ""
    default: return ""
    }
}
