import Testing
@testable import MapTrace

@Suite("Flag tables render as strace does")
struct FlagRenderingTests {
    @Test("protections join with | and zero is PROT_NONE")
    func protections() {
        #expect(protFlags.render(0x3, zero: "PROT_NONE") == "PROT_READ|PROT_WRITE")
        #expect(protFlags.render(0, zero: "PROT_NONE") == "PROT_NONE")
        #expect(protFlags.render(0x7, zero: "PROT_NONE") == "PROT_READ|PROT_WRITE|PROT_EXEC")
    }

    @Test("unknown bits are printed as hex after the known names")
    func unknownBits() {
        #expect(protFlags.render(0x1 | 0x100, zero: "PROT_NONE") == "PROT_READ|0x100")
        #expect(mremapFlags.render(0x1 | 0x80) == "MREMAP_MAYMOVE|0x80")
    }

    @Test("mmap flags: the type first, then flags in bit order")
    func mmapFlags() {
        #expect(renderMapFlags(0x1 | 0x8000) == "MAP_SHARED|MAP_POPULATE")
        #expect(renderMapFlags(0x2 | 0x20) == "MAP_PRIVATE|MAP_ANONYMOUS")
        #expect(renderMapFlags(0x2 | 0x10 | 0x800) == "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE")
    }

    @Test("MAP_HUGE_2MB and MAP_HUGE_1GB print as size bits after MAP_HUGETLB")
    func hugeSizeBits() {
        let huge2M: UInt64 = 21 << 26, huge1G: UInt64 = 30 << 26
        #expect(renderMapFlags(0x2 | 0x20 | 0x40000 | huge2M) == "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT")
        #expect(renderMapFlags(0x2 | 0x20 | 0x4000 | 0x40000 | huge1G)
                == "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_HUGETLB|30<<MAP_HUGE_SHIFT")
        #expect(hugePageSize(fromFlags: 0x40000 | huge2M) == 2 << 20)
        #expect(hugePageSize(fromFlags: 0x40000 | huge1G) == 1 << 30)
        #expect(hugePageSize(fromFlags: 0x40000) == nil)
    }

    @Test("open flags: the access mode first, O_CREAT before O_CLOEXEC")
    func openFlagsRender() {
        #expect(renderOpenFlags(0o2 | 0o100) == "O_RDWR|O_CREAT")
        #expect(renderOpenFlags(0o0 | 0o2000000) == "O_RDONLY|O_CLOEXEC")
        #expect(renderOpenFlags(0o1 | 0o100 | 0o1000) == "O_WRONLY|O_CREAT|O_TRUNC")
        #expect(renderOpenFlags(0) == "O_RDONLY")
    }

    @Test("memfd and shmget flags carry their huge page size bits and the mode")
    func memfdAndShm() {
        #expect(renderMemfdFlags(0x1 | 0x4 | 21 << 26) == "MFD_CLOEXEC|MFD_HUGETLB|21<<MFD_HUGE_SHIFT")
        #expect(renderShmgetFlags(0o1000 | 0o4000 | 0o600) == "IPC_CREAT|SHM_HUGETLB|0600")
    }

    @Test("madvise advice is an enumeration, not a bit set")
    func madviseAdviceNames() {
        #expect(madviseAdvice.name(of: 4) == "MADV_DONTNEED")
        #expect(madviseAdvice.name(of: 14) == "MADV_HUGEPAGE")
    }
}

@Suite("Argument notation")
struct ArgumentNotationTests {
    @Test("a zero address is NULL, others are hex")
    func pointers() {
        #expect(pointer(0) == "NULL")
        #expect(pointer(0x7f12_3400_0000) == "0x7f1234000000")
    }

    @Test("strings are quoted with strace's escapes")
    func strings() {
        #expect(quoted("/dev/hugepages/rtemap_0", address: 0) == "\"/dev/hugepages/rtemap_0\"")
        #expect(quoted("a\"b\\c\nd\te", address: 0) == "\"a\\\"b\\\\c\\nd\\te\"")
        #expect(quoted("\u{1}x", address: 0) == "\"\\1x\"")
        #expect(quoted("\u{1}7", address: 0) == "\"\\0017\"")
        #expect(quoted(nil, address: 0x1000) == "0x1000")
    }

    @Test("fds are decorated with their path; a deleted file's marker goes outside")
    func fdDecoration() {
        #expect(fdText(16, path: "/dev/hugepages/rtemap_491") == "16</dev/hugepages/rtemap_491>")
        #expect(fdText(3, path: "/memfd:x (deleted)") == "3</memfd:x>(deleted)")
        #expect(fdText(UInt64(bitPattern: -1), path: nil) == "-1")
        #expect(fdText(UInt64(bitPattern: -100), path: "/tmp") == "AT_FDCWD</tmp>")
    }

    @Test("errno names and messages")
    func errnos() {
        #expect(errnoName(12) == "ENOMEM")
        #expect(errnoMessage(12) == "Cannot allocate memory")
        #expect(errnoName(28) == "ENOSPC")
        #expect(signalName(7) == "SIGBUS")
    }
}

@Suite("Whole calls in strace notation")
struct CallTextTests {
    func record(_ call: Syscall, _ args: [UInt64]) -> CallRecord { CallRecord(syscall: call, args: SyscallArguments(args)) }

    @Test("a failed hugetlbfs mmap reads like strace -y")
    func failedMmap() {
        var r = record(.mmap, [0, 2_097_152, 3, 0x8001, 16, 0])
        r.fdPath = "/dev/hugepages/rtemap_491"
        r.errno = 12
        #expect(CallText.render(r) == "mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, 16</dev/hugepages/rtemap_491>, 0) = -1 ENOMEM (Cannot allocate memory)")
    }

    @Test("openat with O_CREAT prints the mode and the returned fd's path")
    func openat() {
        var r = record(.openat, [UInt64(bitPattern: -100), 0x1000, 0o102, 0o600])
        r.string = "/dev/hugepages/rtemap_491"
        r.dirfdPath = "/root"
        r.result = 16
        r.resultPath = "/dev/hugepages/rtemap_491"
        #expect(CallText.render(r) == "openat(AT_FDCWD</root>, \"/dev/hugepages/rtemap_491\", O_RDWR|O_CREAT, 0600) = 16</dev/hugepages/rtemap_491>")
    }

    @Test("short calls pad the result to column 40")
    func padding() {
        var r = record(.munmap, [0x7f58_fd6f_d000, 34751])
        r.result = 0
        #expect(CallText.render(r) == "munmap(0x7f58fd6fd000, 34751)           = 0")
    }

    @Test("mmap results, mremap and brk print addresses in hex; a call that never returned prints ?")
    func addresses() {
        var m = record(.mremap, [0x7f00_0000_0000, 4096, 8192, 1])
        m.result = 0x7f00_0000_0000
        #expect(CallText.render(m) == "mremap(0x7f0000000000, 4096, 8192, MREMAP_MAYMOVE) = 0x7f0000000000")
        var b = record(.brk, [0])
        b.result = 0x5555_5555_8000
        #expect(CallText.render(b) == "brk(NULL)                               = 0x555555558000")
        var gone = record(.mmap, [0, 4096, 3, 0x22, UInt64(bitPattern: -1), 0])
        gone.neverReturned = true
        #expect(CallText.render(gone).hasSuffix(" = ?"))
    }

    @Test("SysV and memfd calls")
    func sysvAndMemfd() {
        var s = record(.shmget, [0, 2_097_152, 0o1000 | 0o4000 | 0o600])
        s.errno = 12
        #expect(CallText.render(s) == "shmget(IPC_PRIVATE, 2097152, IPC_CREAT|SHM_HUGETLB|0600) = -1 ENOMEM (Cannot allocate memory)")
        var f = record(.memfd_create, [0x1000, 0x5 | 21 << 26])
        f.string = "x"
        f.result = 3
        f.resultPath = "/memfd:x (deleted)"
        #expect(CallText.render(f) == "memfd_create(\"x\", MFD_CLOEXEC|MFD_HUGETLB|21<<MFD_HUGE_SHIFT) = 3</memfd:x>(deleted)")
    }
}
