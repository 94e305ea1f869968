/// The i386 system calls maptrace traces: those a 32-bit program, or a 64-bit one through
/// `int 0x80`, makes. Each is given as the x86_64 call it amounts to, with its arguments
/// rearranged into that call's layout, so that one decoder and one model serve both entries.
///
/// The numbers are i386's (arch/x86/entry/syscalls/syscall_32.tbl); the seccomp filter gets the
/// same calls from libseccomp by name.
enum Compat32Calls {
    /// AUDIT_ARCH_I386, as PTRACE_GET_SYSCALL_INFO and seccomp report it.
    static let auditArch: UInt32 = 0x4000_0003

    /// How a call's i386 arguments map onto the x86_64 call's.
    enum Layout: Equatable, Sendable {
        /// The same arguments; those listed are ints (fds, dirfds, 32-bit lengths) and are
        /// sign-extended, so that -1 and AT_FDCWD read as they do from a 64-bit caller.
        case same(signed: [Int])
        /// old_mmap: one argument, the address of six 32-bit words (addr, len, prot, flags, fd, offset).
        case argumentsInMemory
        /// mmap2: the offset is in 4096-byte units.
        case offsetInPages
        /// ftruncate64: the length in two 32-bit halves, low first.
        case lengthInHalves
        /// fallocate: offset and length each in two 32-bit halves.
        case rangeInHalves
        /// ipc: the SysV call multiplexer; its first argument says which call.
        case ipc
    }

    static let table: [UInt64: (call: Syscall, layout: Layout)] = [
        5: (.open, .same(signed: [])),
        8: (.creat, .same(signed: [])),
        11: (.execve, .same(signed: [])),
        45: (.brk, .same(signed: [])),
        90: (.mmap, .argumentsInMemory),
        91: (.munmap, .same(signed: [])),
        93: (.ftruncate, .same(signed: [1])),
        117: (.shmget, .ipc),
        125: (.mprotect, .same(signed: [])),
        150: (.mlock, .same(signed: [])),
        151: (.munlock, .same(signed: [])),
        152: (.mlockall, .same(signed: [])),
        153: (.munlockall, .same(signed: [])),
        163: (.mremap, .same(signed: [])),
        172: (.prctl, .same(signed: [])),
        192: (.mmap, .offsetInPages),
        194: (.ftruncate, .lengthInHalves),
        219: (.madvise, .same(signed: [])),
        274: (.mbind, .same(signed: [])),
        295: (.openat, .same(signed: [0])),
        324: (.fallocate, .rangeInHalves),
        356: (.memfd_create, .same(signed: [])),
        358: (.execveat, .same(signed: [0])),
        376: (.mlock2, .same(signed: [])),
        380: (.pkey_mprotect, .same(signed: [3])),
        395: (.shmget, .same(signed: [0])),
        397: (.shmat, .same(signed: [])),
        398: (.shmdt, .same(signed: [])),
        437: (.openat2, .same(signed: [0])),
        462: (.mseal, .same(signed: [])),
    ]

    /// The ipc(2) multiplexer's call numbers for the shared-memory calls (include/uapi/linux/ipc.h).
    static let ipcShmat: UInt64 = 21, ipcShmdt: UInt64 = 22, ipcShmget: UInt64 = 23

    /// A traced i386 call in x86_64 terms.
    struct Call: Equatable {
        var syscall: Syscall
        var args: SyscallArguments
        /// ipc(SHMAT) returns 0 and stores the attached address, 32 bits, here.
        var resultAddress: UInt64?
    }

    /// Translates an i386 call. `memory(address, count)` reads the tracee. nil: not a call
    /// maptrace traces (an ipc other than shmget/shmat/shmdt), or arguments it cannot read.
    static func translate(number: UInt64, args a: SyscallArguments, memory: (UInt64, Int) -> [UInt8]?) -> Call? {
        guard let (call, layout) = table[number] else { return nil }
        var out = SyscallArguments()
        switch layout {
        case .same(let signed):
            for i in 0..<6 { out[i] = signed.contains(i) ? signExtended(a[i]) : a[i] & 0xffff_ffff }
        case .argumentsInMemory:
            guard let bytes = memory(a[0], 24), bytes.count == 24 else { return nil }
            for i in 0..<6 {
                out[i] = (0..<4).reduce(UInt64(0)) { $0 | UInt64(bytes[i * 4 + $1]) << (8 * $1) }
            }
            out[4] = signExtended(out[4])
        case .offsetInPages:
            out = a
            out[4] = signExtended(a[4])
            out[5] = (a[5] & 0xffff_ffff) * 4096
        case .lengthInHalves:
            out[0] = a[0]
            out[1] = a[1] & 0xffff_ffff | (a[2] & 0xffff_ffff) << 32
        case .rangeInHalves:
            out[0] = a[0]
            out[1] = a[1]
            out[2] = a[2] & 0xffff_ffff | (a[3] & 0xffff_ffff) << 32
            out[3] = a[4] & 0xffff_ffff | (a[5] & 0xffff_ffff) << 32
        case .ipc:
            // ipc(call, first, second, third, ptr, fifth); the version sits in call's high half.
            switch a[0] & 0xffff {
            case ipcShmget:
                return Call(syscall: .shmget, args: SyscallArguments([signExtended(a[1]), a[2], a[3]]))
            case ipcShmat:
                return Call(syscall: .shmat, args: SyscallArguments([a[1], a[4], a[2]]), resultAddress: a[3])
            case ipcShmdt:
                return Call(syscall: .shmdt, args: SyscallArguments([a[4]]))
            default:
                return nil
            }
        }
        return Call(syscall: call, args: out)
    }

    static func signExtended(_ value: UInt64) -> UInt64 {
        UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: value)))
    }
}
