// statfs, fstatfs — how a program reads a hugetlbfs mount's size= and free pages.

func renderStatfsArguments(_ call: CallRecord) -> String {
    let a = call.args
    switch call.syscall {
    case .statfs:
        return "\(quoted(call.string, address: a[0])), \(hex(a[1]))"
    case .fstatfs:
        return "\(fdText(a[0], path: call.fdPath)), \(hex(a[1]))"
    default:
        return ""
    }
}
