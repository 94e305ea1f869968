// execve, execveat — traced so that the address space can be reset at exec.

func renderExecArguments(_ call: CallRecord) -> String {
    let a = call.args
    let argv = call.argv.map { "[" + $0.map { argument($0, limit: call.stringLimit) }.joined(separator: ", ") + "]" }
    switch call.syscall {
    case .execve:
        return "\(quoted(call.string, address: a[0])), \(argv ?? hex(a[1])), \(pointer(a[2]))"
    case .execveat:
        return "\(fdText(a[0], path: call.dirfdPath)), \(quoted(call.string, address: a[1])), \(argv ?? hex(a[2])), \(pointer(a[3])), \(a[4])"
    default:
        return ""
    }
}

/// An argv string; with -s N, cut after N bytes and marked `...` as strace marks it (file names,
/// as in strace, are never cut).
private func argument(_ text: String, limit: Int?) -> String {
    guard let limit, text.utf8.count > limit else { return quoted(text, address: 0) }
    return quoted(String(decoding: text.utf8.prefix(limit), as: UTF8.self), address: 0) + "..."
}
