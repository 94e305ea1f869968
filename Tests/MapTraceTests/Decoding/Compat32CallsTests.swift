@testable import MapTrace
import Testing

@Suite("i386 calls in x86_64 terms")
struct Compat32CallsTests {
    let noMemory: (UInt64, Int) -> [UInt8]? = { _, _ in nil }

    @Test("mmap2's offset is in pages, and its fd -1 stays -1")
    func mmap2() throws {
        let args = SyscallArguments([0, 8192, 3, 0x22, 0xffff_ffff, 3])
        let call = try #require(Compat32Calls.translate(number: 192, args: args, memory: noMemory))
        #expect(call.syscall == .mmap)
        #expect(call.args == SyscallArguments([0, 8192, 3, 0x22, UInt64.max, 3 * 4096]))
    }

    @Test("old_mmap reads its six arguments from the caller's memory")
    func oldMmap() throws {
        let words: [UInt32] = [0x1000_0000, 12288, 1, 0x22, 0xffff_ffff, 0x2000]
        let bytes = words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
        let call = try #require(Compat32Calls.translate(number: 90, args: SyscallArguments([0x8000])) { address, count in
            address == 0x8000 && count == 24 ? bytes : nil
        })
        #expect(call.args == SyscallArguments([0x1000_0000, 12288, 1, 0x22, UInt64.max, 0x2000]))
        #expect(Compat32Calls.translate(number: 90, args: SyscallArguments([0x8000]), memory: noMemory) == nil,
                "unreadable arguments: not decoded")
    }

    @Test("openat's AT_FDCWD and fallocate's split 64-bit range")
    func signedAndSplit() throws {
        let open = try #require(Compat32Calls.translate(number: 295, args: SyscallArguments([0xffff_ff9c, 0x1234, 0]), memory: noMemory))
        #expect(open.syscall == .openat && Int64(bitPattern: open.args[0]) == -100)
        let falloc = try #require(Compat32Calls.translate(number: 324, args: SyscallArguments([3, 0, 0, 1, 0x20_0000, 0]), memory: noMemory))
        #expect(falloc.syscall == .fallocate && falloc.args[2] == 1 << 32 && falloc.args[3] == 0x20_0000)
        let trunc = try #require(Compat32Calls.translate(number: 194, args: SyscallArguments([3, 0x4000_0000, 2]), memory: noMemory))
        #expect(trunc.syscall == .ftruncate && trunc.args[1] == 0x2_4000_0000)
    }

    @Test("ipc(2): the shm calls are traced, shmat's address comes back through memory; semop is not ours")
    func ipc() throws {
        let get = try #require(Compat32Calls.translate(number: 117, args: SyscallArguments([23, 0, 4096, 0o1600]), memory: noMemory))
        #expect(get.syscall == .shmget && get.args == SyscallArguments([0, 4096, 0o1600]))
        let at = try #require(Compat32Calls.translate(number: 117, args: SyscallArguments([21, 5, 0o10000, 0x9000, 0x4000_0000]), memory: noMemory))
        #expect(at.syscall == .shmat && at.args == SyscallArguments([5, 0x4000_0000, 0o10000]) && at.resultAddress == 0x9000)
        let dt = try #require(Compat32Calls.translate(number: 117, args: SyscallArguments([22, 0, 0, 0, 0x4000_0000]), memory: noMemory))
        #expect(dt.syscall == .shmdt && dt.args[0] == 0x4000_0000)
        #expect(Compat32Calls.translate(number: 117, args: SyscallArguments([1, 0, 0, 0]), memory: noMemory) == nil)
        #expect(Compat32Calls.translate(number: 20, args: SyscallArguments(), memory: noMemory) == nil, "getpid")
    }
}
