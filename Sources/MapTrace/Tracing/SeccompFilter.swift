import CMapTrace
import CSeccomp
import Glibc

/// The seccomp-bpf program installed in a launched command: TRACE for the memory calls (with
/// the call's `Syscall` raw value as data), ALLOW for everything else.
final class SeccompFilter {
    var program: mt_bpf

    /// SCMP_ACT_TRACE(data) is a function-like macro and does not import.
    private static func trace(_ data: UInt16) -> UInt32 { 0x7ff0_0000 | UInt32(data) }

    init() throws {
        // One part per arch, merged: x86_64, and i386 (a 32-bit program, or int 0x80 in a 64-bit
        // one), each with the same calls by name in its own numbers (libseccomp turns i386's
        // shmget/shmat/shmdt into both the direct calls and ipc(2)). Without the i386 part every
        // i386 call would meet the bad-arch action.
        let native = try SeccompFilter.part(i386: false)
        defer { seccomp_release(native) }
        let i386 = try SeccompFilter.part(i386: true)
        var rc = seccomp_merge(native, i386)  // frees i386 when it succeeds
        guard rc == 0 else {
            seccomp_release(i386)
            throw MapTraceError.seccomp("seccomp_merge: \(errnoName(-rc))")
        }
        var prog = mt_bpf()
        rc = mt_bpf_export(UnsafeMutableRawPointer(native), &prog)
        guard rc == 0 else { throw MapTraceError.seccomp("export: \(errnoName(-rc))") }
        program = prog
    }

    private static func part(i386: Bool) throws -> scmp_filter_ctx {
        guard let ctx = seccomp_init(SCMP_ACT_ALLOW) else { throw MapTraceError.seccomp("seccomp_init failed") }
        do {
            try addRules(ctx, i386: i386)
            return ctx
        } catch {
            seccomp_release(ctx)
            throw error
        }
    }

    private static func addRules(_ ctx: scmp_filter_ctx, i386: Bool) throws {
        // What is left for the bad-arch action is x32 (the x86_64 entry with the x32 bit), which
        // maptrace does not decode: traced, so that it can say so and stop the process rather than
        // let its memory calls pass unseen.
        var rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SeccompFilter.trace(foreignArchCode))
        guard rc == 0 else { throw MapTraceError.seccomp("seccomp_attr_set: \(errnoName(-rc))") }
        if i386 {
            rc = seccomp_arch_remove(ctx, 0)  // SCMP_ARCH_NATIVE
            guard rc == 0 else { throw MapTraceError.seccomp("seccomp_arch_remove: \(errnoName(-rc))") }
            rc = seccomp_arch_add(ctx, Compat32Calls.auditArch)
            guard rc == 0 else { throw MapTraceError.seccomp("seccomp_arch_add(x86): \(errnoName(-rc))") }
        }
        // i386 has two more names for calls maptrace traces: mmap2 and ftruncate64.
        let rules = Syscall.allCases.map { ($0.name, $0.rawValue) }
            + (i386 ? [("mmap2", Syscall.mmap.rawValue), ("ftruncate64", Syscall.ftruncate.rawValue)] : [])
        for (name, code) in rules {
            // A call newer than this libseccomp goes in by its x86_64 number (libseccomp translates
            // numbers between arches by name, so it cannot place it in the i386 part: an i386
            // mseal runs untraced under Debian 12's libseccomp).
            var nr = seccomp_syscall_resolve_name(name)
            if !i386 { nr = SeccompFilter.number(of: name) }
            if nr == __NR_SCMP_ERROR {
                if i386 { continue }
                throw MapTraceError.seccomp("unknown system call \(name)")
            }
            if name == Syscall.prctl.name {
                // only PR_SET_VMA (naming anonymous memory) changes areas; every other prctl runs untraced
                var option = scmp_arg_cmp(arg: 0, op: SCMP_CMP_EQ, datum_a: CallBits.prSetVMA, datum_b: 0)
                rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(code), nr, 1, &option)
                guard rc == 0 else { throw MapTraceError.seccomp("rule for prctl: \(errnoName(-rc))") }
                continue
            }
            rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(code), nr, 0, nil)
            guard rc == 0 else { throw MapTraceError.seccomp("rule for \(name): \(errnoName(-rc))") }
        }
        // clone(CLONE_UNTRACED): only when the flag is set; clone3: always (its flags are in memory)
        var untraced = scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: 0x0080_0000, datum_b: 0x0080_0000)
        rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(cloneUntracedCode), seccomp_syscall_resolve_name("clone"), 1, &untraced)
        guard rc == 0 else { throw MapTraceError.seccomp("rule for clone: \(errnoName(-rc))") }
        rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(clone3Code), seccomp_syscall_resolve_name("clone3"), 0, nil)
        guard rc == 0 else { throw MapTraceError.seccomp("rule for clone3: \(errnoName(-rc))") }
        for name in ["chroot", "pivot_root", "setns", "unshare"] {
            rc = seccomp_rule_add_array(ctx, SeccompFilter.trace(rootChangeCode), seccomp_syscall_resolve_name(name), 0, nil)
            guard rc == 0 else { throw MapTraceError.seccomp("rule for \(name): \(errnoName(-rc))") }
        }
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
