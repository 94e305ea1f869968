import CMapTrace
import CSeccomp

/// The seccomp-bpf program installed in a launched command: TRACE for the memory calls (with
/// the call's `Syscall` raw value as data), ALLOW for everything else.
final class SeccompFilter {
    var program: mt_bpf

    /// SCMP_ACT_TRACE(data) is a function-like macro and does not import.
    private static func trace(_ data: UInt16) -> UInt32 { 0x7ff0_0000 | UInt32(data) }

    init() throws {
        guard let ctx = seccomp_init(SCMP_ACT_ALLOW) else { throw MapTraceError.seccomp("seccomp_init failed") }
        defer { seccomp_release(ctx) }
        // A 32-bit caller (int 0x80) is not the native arch: libseccomp's default would kill it
        // with SIGSYS and no explanation. Trace it instead, so maptrace can say why it stops it.
        var rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SeccompFilter.trace(foreignArchCode))
        guard rc == 0 else { throw MapTraceError.seccomp("seccomp_attr_set: \(errnoName(-rc))") }
        for call in Syscall.allCases {
            let nr = SeccompFilter.number(of: call.name)
            guard nr != __NR_SCMP_ERROR else { throw MapTraceError.seccomp("unknown system call \(call.name)") }
            if call == .prctl {
                // only PR_SET_VMA (naming anonymous memory) changes areas; every other prctl runs untraced
                var option = scmp_arg_cmp(arg: 0, op: SCMP_CMP_EQ, datum_a: CallBits.prSetVMA, datum_b: 0)
                rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(call.rawValue), nr, 1, &option)
                guard rc == 0 else { throw MapTraceError.seccomp("rule for prctl: \(errnoName(-rc))") }
                continue
            }
            rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(call.rawValue), nr, 0, nil)
            guard rc == 0 else { throw MapTraceError.seccomp("rule for \(call.name): \(errnoName(-rc))") }
        }
        // clone(CLONE_UNTRACED): only when the flag is set; clone3: always (its flags are in memory)
        var untraced = scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: 0x0080_0000, datum_b: 0x0080_0000)
        rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(cloneUntracedCode), seccomp_syscall_resolve_name("clone"), 1, &untraced)
        guard rc == 0 else { throw MapTraceError.seccomp("rule for clone: \(errnoName(-rc))") }
        rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(clone3Code), seccomp_syscall_resolve_name("clone3"), 0, nil)
        guard rc == 0 else { throw MapTraceError.seccomp("rule for clone3: \(errnoName(-rc))") }
        var prog = mt_bpf()
        rc = mt_bpf_export(UnsafeMutableRawPointer(ctx), &prog)
        guard rc == 0 else { throw MapTraceError.seccomp("export: \(errnoName(-rc))") }
        program = prog
    }

    deinit { mt_bpf_free(&program) }

    /// Calls newer than the libseccomp a distribution ships (Debian 12's 2.5.4 predates mseal,
    /// Linux 6.10): their x86_64 numbers, from arch/x86/entry/syscalls/syscall_64.tbl.
    private static let newerCalls: [String: Int32] = ["mseal": 462]

    /// The call's x86_64 number, from libseccomp or, for a call it does not know yet, the table.
    static func number(of name: String) -> Int32 {
        let nr = seccomp_syscall_resolve_name(name)
        return nr == __NR_SCMP_ERROR ? newerCalls[name] ?? nr : nr
    }

    var instructionCount: Int { Int(program.len) }
}

/// The x86_64 syscall numbers of the traced calls, for attach mode where no filter says which call stopped.
struct SyscallNumbers {
    private var byNumber: [Syscall?]

    init() {
        var table = [Syscall?](repeating: nil, count: 512)
        for call in Syscall.allCases {
            let nr = Int(SeccompFilter.number(of: call.name))
            if nr >= 0 && nr < table.count { table[nr] = call }
        }
        byNumber = table
    }

    func call(_ nr: UInt64) -> Syscall? { nr < UInt64(byNumber.count) ? byNumber[Int(nr)] : nil }
}
