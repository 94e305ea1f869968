// The kernel's ABI numbers for the memory calls, x86_64 (include/uapi/asm-generic/mman*.h,
// include/uapi/linux/mman.h, shm.h, mempolicy.h, prctl.h), defined once: the flag tables that
// print them, the model that applies them and the rules that test them all read these.
// KernelABITests checks each against Glibc's value.

/// Bits and values of memory-call arguments.
enum CallBits {
    static let protRead: UInt64 = 0x1
    static let protWrite: UInt64 = 0x2
    static let protExec: UInt64 = 0x4
    static let protSem: UInt64 = 0x8
    static let protGrowsDown: UInt64 = 0x0100_0000
    static let protGrowsUp: UInt64 = 0x0200_0000

    static let mapShared: UInt64 = 0x1
    static let mapPrivate: UInt64 = 0x2
    static let mapSharedValidate: UInt64 = 0x3
    /// MAP_DROPPABLE (Linux 6.11): private memory the kernel may drop under pressure.
    static let mapDroppable: UInt64 = 0x8
    static let mapTypeMask: UInt64 = 0xf
    static let mapFixed: UInt64 = 0x10
    static let mapAnonymous: UInt64 = 0x20
    static let map32Bit: UInt64 = 0x40
    static let mapGrowsDown: UInt64 = 0x100
    static let mapDenyWrite: UInt64 = 0x800
    static let mapExecutable: UInt64 = 0x1000
    static let mapLocked: UInt64 = 0x2000
    static let mapNoReserve: UInt64 = 0x4000
    static let mapPopulate: UInt64 = 0x8000
    static let mapNonBlock: UInt64 = 0x10000
    static let mapStack: UInt64 = 0x20000
    static let mapHugetlb: UInt64 = 0x40000
    static let mapSync: UInt64 = 0x80000
    static let mapFixedNoReplace: UInt64 = 0x10_0000
    static let mapUninitialized: UInt64 = 0x400_0000

    static let mremapMayMove: UInt64 = 0x1
    static let mremapFixed: UInt64 = 0x2
    static let mremapDontUnmap: UInt64 = 0x4

    static let mlockOnFault: UInt64 = 0x1
    static let mclCurrent: UInt64 = 0x1
    static let mclFuture: UInt64 = 0x2
    static let mclOnFault: UInt64 = 0x4

    static let shmRdonly: UInt64 = 0o10000
    static let shmExec: UInt64 = 0o100000
    static let shmHugetlb: UInt64 = 0o4000
    static let shmNoReserve: UInt64 = 0o10000
    static let mfdHugetlb: UInt64 = 0x4

    /// mbind's MPOL_DEFAULT: the range goes back to the process's policy (no policy of its own).
    static let mpolDefault: UInt64 = 0
    /// prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, start, len, name): names anonymous memory.
    static let prSetVMA: UInt64 = 0x5356_4d41
    static let prSetVMAAnonName: UInt64 = 0
}

/// madvise advice values (an enumeration, not bits).
enum Advice {
    static let normal: UInt64 = 0, random: UInt64 = 1, sequential: UInt64 = 2, willNeed: UInt64 = 3
    static let dontNeed: UInt64 = 4, free: UInt64 = 8, remove: UInt64 = 9
    static let dontFork: UInt64 = 10, doFork: UInt64 = 11
    static let mergeable: UInt64 = 12, unmergeable: UInt64 = 13
    static let hugePage: UInt64 = 14, noHugePage: UInt64 = 15
    static let dontDump: UInt64 = 16, doDump: UInt64 = 17
    static let wipeOnFork: UInt64 = 18, keepOnFork: UInt64 = 19
    static let cold: UInt64 = 20, pageOut: UInt64 = 21, populateRead: UInt64 = 22, populateWrite: UInt64 = 23
    static let dontNeedLocked: UInt64 = 24, collapse: UInt64 = 25
    static let hwPoison: UInt64 = 100, softOffline: UInt64 = 101, guardInstall: UInt64 = 102, guardRemove: UInt64 = 103
}
