import Testing
@testable import MapTrace

/// What the tracer prints, replay reads back to the same numbers: one notation, written and
/// read in one place, for every memory call maptrace models.
@Suite("strace notation: render → parse")
struct NotationRoundTripTests {
    /// Random arguments for `call`, shaped as the kernel takes them (flag sets from the tables).
    static func arguments(_ call: Syscall, _ rng: inout SeededGenerator) -> SyscallArguments {
        func pick(_ table: FlagTable) -> UInt64 {
            table.entries.filter { _ in Bool.random(using: &rng) }.reduce(0) { $0 | $1.value }
        }
        let address = UInt64.random(in: 1...0x7fff_ffff, using: &rng) << 12
        let length = UInt64.random(in: 1...1 << 30, using: &rng)
        switch call {
        case .mmap:
            var flags = [CallBits.mapShared, CallBits.mapPrivate].randomElement(using: &rng)! | pick(mapFlags)
            if flags & CallBits.mapHugetlb != 0 { flags |= 21 << 26 }
            return SyscallArguments([address, length, pick(protFlags), flags, UInt64.random(in: 0...100, using: &rng),
                                     UInt64.random(in: 0...1000, using: &rng) << 12])
        case .munmap, .mlock, .munlock: return SyscallArguments([address, length])
        case .mprotect: return SyscallArguments([address, length, pick(protFlags)])
        case .pkey_mprotect: return SyscallArguments([address, length, pick(protFlags), UInt64.random(in: 0...15, using: &rng)])
        case .mremap:
            let flags = pick(mremapFlags)
            return SyscallArguments([address, length, length * 2, flags, flags & CallBits.mremapFixed != 0 ? address << 1 : 0])
        case .madvise: return SyscallArguments([address, length, madviseAdvice.entries.randomElement(using: &rng)!.value])
        case .mlock2: return SyscallArguments([address, length, pick(mlock2Flags)])
        case .mlockall: return SyscallArguments([pick(mlockallFlags) | 1])
        case .mseal: return SyscallArguments([address, length, 0])
        case .brk: return SyscallArguments([address])
        case .shmat: return SyscallArguments([UInt64.random(in: 0...1000, using: &rng), address, pick(shmatFlags)])
        case .shmdt: return SyscallArguments([address])
        default: return SyscallArguments()
        }
    }

    @Test("every modelled call's arguments survive printing and reading", arguments: [
        Syscall.mmap, .munmap, .mprotect, .pkey_mprotect, .mremap, .madvise, .mlock, .mlock2, .munlock, .mlockall,
        .munlockall, .mseal, .brk, .shmat, .shmdt,
    ])
    func roundTrip(call: Syscall) throws {
        var rng = SeededGenerator(seed: UInt64(call.rawValue))
        for _ in 0..<200 {
            var record = CallRecord(syscall: call, args: Self.arguments(call, &rng))
            record.result = Int64.random(in: 0...0x7fff_ffff, using: &rng) << 12
            let text = "[pid 42] " + CallText.render(record)
            let log = StraceLog.parse(text + "\n")
            guard case .call(let parsed)? = log.events.first else {
                Issue.record("not read back: \(text)")
                return
            }
            let back = try #require(try parsed.memoryCall(fdPaths: [:], hugePageSize: 2 << 20, isHugetlbfs: { _ in false },
                                                          area: { _ in nil }), "\(text)")
            #expect(back.syscall == call, "\(text)")
            #expect(back.args == record.args, "\(text)")
            #expect(back.result == UInt64(bitPattern: record.result), "\(text)")
        }
    }

    @Test("a failed call comes back with its errno by name and number")
    func failure() throws {
        var record = CallRecord(syscall: .mmap, args: SyscallArguments([0, 2 << 20, 3, 0x8001, 5, 0]))
        record.errno = 12
        let log = StraceLog.parse(CallText.render(record) + "\n")
        guard case .call(let parsed)? = log.events.first else { Issue.record("not read back"); return }
        let back = try #require(try parsed.memoryCall(fdPaths: [5: "/dev/hugepages/rtemap_0"], hugePageSize: 2 << 20,
                                                      isHugetlbfs: { $0.hasPrefix("/dev/hugepages") }, area: { _ in nil }))
        #expect(back.error == Errno.noMemory && back.error?.name == "ENOMEM")
        // the file came from an earlier line's open, so the call is known to be on hugetlbfs
        #expect(back.filePath == "/dev/hugepages/rtemap_0" && back.hugePageSize == 2 << 20)
    }
}
