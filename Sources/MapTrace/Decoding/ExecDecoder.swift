// execve, execveat — traced so that the address space can be reset at exec.

func renderExecArguments(_ call: CallRecord) -> String {
    let a = call.args
    let argv = call.argv.map { "[" + $0.map { quoted($0, address: 0) }.joined(separator: ", ") + "]" }
    switch call.syscall {
    case .execve:
        return "\(quoted(call.string, address: a[0])), \(argv ?? hex(a[1])), \(pointer(a[2]))"
    case .execveat:
        return "\(fdText(a[0], path: call.dirfdPath)), \(quoted(call.string, address: a[1])), \(argv ?? hex(a[2])), \(pointer(a[3])), \(a[4])"
    default:
        return ""
    }
}
