// mbind and prctl(PR_SET_VMA): calls that give areas a NUMA policy or a name, which the kernel
// compares before it merges them.

/// `mbind(0x7f…, 4096, MPOL_BIND, [0x1], 2, MPOL_MF_STRICT)`: the node mask as strace prints it,
/// one hex word per 64 nodes.
func renderPolicyArguments(_ call: CallRecord) -> String {
    let a = call.args
    let modeFlags = a[2] & ~0xff
    var mode = mempolicyModes.name(of: a[2] & 0xff) ?? hex(a[2] & 0xff)
    if modeFlags != 0 { mode += "|" + mempolicyModeFlags.render(modeFlags) }
    let mask = call.nodeMask.map { "[" + $0.map(hex).joined(separator: ", ") + "]" } ?? pointer(a[3])
    return "\(pointer(a[0])), \(a[1]), \(mode), \(mask), \(a[4]), \(mbindFlags.render(a[5]))"
}

/// `prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, 0x7f…, 4096, "name")`.
func renderAreaNameArguments(_ call: CallRecord) -> String {
    let a = call.args
    let name = a[4] == 0 ? "NULL" : quoted(call.string, address: a[4])
    return "PR_SET_VMA, PR_SET_VMA_ANON_NAME, \(pointer(a[2])), \(a[3]), \(name)"
}

extension CallRecord {
    /// mbind's policy as text equal for equal policies: the mode with its flags and the nodes.
    var policy: String? {
        guard syscall == .mbind else { return nil }
        var mask = nodeMask ?? []
        while mask.last == 0 { mask.removeLast() }
        let words = mask.map(hex).joined(separator: ",")
        return "\(args[2])/\(words)"
    }
}
