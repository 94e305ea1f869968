import Glibc
import Testing
@testable import MapTrace

extension MappingsSamples {
    /// /proc/PID/maps of an l2fwd-like process (kernel 6.18 layout): its binary, the heap, two
    /// rtemap files (one deleted), a 1 GiB page on a mount whose path has a space, a MAP_HUGETLB
    /// area, a SysV segment, an anonymous area (no name, trailing space), a file with spaces in
    /// its name, the stack, vvar, vdso and the vsyscall gate.
    static let maps = """
        55d0c6a00000-55d0c6a02000 r--p 00000000 fe:00 1311031                    /usr/bin/l2fwd
        55d0c6a02000-55d0c6a08000 r-xp 00002000 fe:00 1311031                    /usr/bin/l2fwd
        55d0c7c3e000-55d0c7c5f000 rw-p 00000000 00:00 0                          [heap]
        7f2a40000000-7f2a40200000 rw-s 00000000 00:2f 12                         /dev/hugepages/rtemap_0
        7f2a40200000-7f2a40400000 rw-s 00200000 00:2f 13                         /dev/hugepages/rtemap_1 (deleted)
        7f2a80000000-7f2ac0000000 rw-s 00000000 00:30 3                          /mnt/huge 1G/dpdk map_0
        7f2ac0000000-7f2ac0200000 rw-p 00000000 00:10 40123                      /anon_hugepage (deleted)
        7f2ad0000000-7f2ad0001000 rw-s 00000000 00:01 5                          /SYSV00000000 (deleted)
        7f2ada000000-7f2ada021000 rw-p 00000000 00:00 0 
        7f2adb5f0000-7f2adb5f1000 r--p 00000000 fe:00 400                        /home/user/My Documents/data file.bin
        7ffd8c5e0000-7ffd8c601000 rw-p 00000000 00:00 0                          [stack]
        7ffd8c6f5000-7ffd8c6f9000 r--p 00000000 00:00 0                          [vvar]
        7ffd8c6f9000-7ffd8c6fb000 r-xp 00000000 00:00 0                          [vdso]
        ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]

        """

    /// smaps of three areas: a normal file page, a 2 MiB MAP_HUGETLB area and a 1 GiB SysV
    /// SHM_HUGETLB segment, which maps alone cannot tell from an ordinary SysV segment.
    static let smaps = """
        55d0c6a00000-55d0c6a02000 r--p 00000000 fe:00 1311031                    /usr/bin/l2fwd
        Size:                  8 kB
        KernelPageSize:        4 kB
        MMUPageSize:           4 kB
        AnonHugePages:         0 kB
        VmFlags: rd mr mw me sd
        7f2ac0000000-7f2ac0200000 rw-p 00000000 00:10 40123                      /anon_hugepage (deleted)
        Size:               2048 kB
        KernelPageSize:     2048 kB
        MMUPageSize:        2048 kB
        Private_Hugetlb:       0 kB
        VmFlags: rd wr mr mw me de ht sd
        7f2b00000000-7f2b40000000 rw-s 00000000 00:01 98310                      /SYSV00000000 (deleted)
        Size:            1048576 kB
        KernelPageSize:  1048576 kB
        MMUPageSize:     1048576 kB
        VmFlags: rd wr sh mr mw me ms de ht sd

        """
}

@Suite("/proc/PID/maps and smaps")
struct MapsFileTests {
    @Test("every maps line becomes a mapping with its addresses, permissions, offset and path")
    func parsesLines() {
        let mappings = MapsFile.parse(MappingsSamples.maps)
        #expect(mappings.count == 14)
        #expect(mappings[1] == Mapping(start: 0x55d0_c6a0_2000, end: 0x55d0_c6a0_8000, prot: 5, shared: false,
                                       offset: 0x2000, path: "/usr/bin/l2fwd"))
        #expect(mappings[4] == Mapping(start: 0x7f2a_4020_0000, end: 0x7f2a_4040_0000, prot: 3, shared: true,
                                       offset: 0x20_0000, path: "/dev/hugepages/rtemap_1 (deleted)"))
        #expect(mappings[8].path == nil)
        #expect(mappings[9].path == "/home/user/My Documents/data file.bin")
        #expect(mappings[13] == Mapping(start: 0xffff_ffff_ff60_0000, end: 0xffff_ffff_ff60_1000, prot: 4, shared: false,
                                        path: "[vsyscall]"))
        #expect(mappings.allSatisfy { $0.hugePageSize == nil })
    }

    @Test("with a mount table, files on hugetlbfs and MAP_HUGETLB areas get their huge page size")
    func hugePageSizes() {
        let mounts = MountTable.parse(mountinfo: MappingsSamples.mountinfo, defaultHugePageSize: 2 << 20)
        let mappings = MapsFile.parse(MappingsSamples.maps, mounts: mounts)
        let sizes = Dictionary(uniqueKeysWithValues: mappings.compactMap { m in m.hugePageSize.map { (m.path!, $0) } })
        #expect(sizes == [
            "/dev/hugepages/rtemap_0": 2 << 20,
            "/dev/hugepages/rtemap_1 (deleted)": 2 << 20,
            "/mnt/huge 1G/dpdk map_0": 1 << 30,
            "/anon_hugepage (deleted)": 2 << 20,
        ])
        // the model counts as the kernel does: without the [vsyscall] gate area maps shows
        let space = AddressSpace(mappings)
        #expect(space.count == MapsFile.kernelCount(MappingsSamples.maps))
        #expect(space.count == 13)
        #expect(space.hugetlbCount == 4)
        #expect(space.hugetlbBytes == (1 << 30) + 3 * (2 << 20))
    }

    @Test("the kernel's count leaves out the [vsyscall] line")
    func kernelCountOfText() {
        #expect(MapsFile.kernelCount(MappingsSamples.maps) == 13)
        let withoutGate = MappingsSamples.maps.split(separator: "\n").filter { !$0.contains("[vsyscall]") }.joined(separator: "\n")
        #expect(MapsFile.kernelCount(withoutGate) == 13)
    }

    @Test("malformed lines are skipped")
    func malformed() {
        let text = "not a maps line\n7f00-7f01 rw-p 0 00:00 0\nzz-1000 rw-p 00000000 00:00 0\n1000-2000 rw\n"
        #expect(MapsFile.parse(text) == [Mapping(start: 0x7f00, end: 0x7f01, prot: 3, shared: false)])
    }

    @Test("smaps marks every hugetlb area with its kernel page size, SysV segments included")
    func smaps() {
        let mappings = MapsFile.parseSmaps(MappingsSamples.smaps)
        #expect(mappings.map(\.hugePageSize) == [nil, 2 << 20, 1 << 30])
        #expect(mappings[2].path == "/SYSV00000000 (deleted)")
    }

    @Test("this process's own maps parses to as many areas as the kernel counts")
    func ownMaps() throws {
        // A 1 MiB malloc is served by its own anonymous mmap, read-write.
        let buffer = malloc(1 << 20)!
        defer { free(buffer) }
        let text = try ProcFile.read("/proc/self/maps")
        let parsed = MapsFile.parse(text)
        let gate = parsed.contains { $0.path == "[vsyscall]" } ? 1 : 0
        #expect(MapsFile.kernelCount(text) == parsed.count - gate)
        #expect(parsed.count == text.split(separator: "\n").count)
        #expect(AddressSpace(parsed).mapping(containing: UInt64(UInt(bitPattern: buffer)))?.prot == 3)
        #expect(parsed.contains { $0.path == "[stack]" })

        // Read separately, the two agree unless another thread maps or unmaps in between.
        var agreed = false
        for _ in 0..<10 where !agreed {
            let count = try MapsFile.kernelCount(pid: getpid())
            let mappings = try MapsFile.read(pid: 0)
            agreed = count == mappings.count - (mappings.contains { $0.path == "[vsyscall]" } ? 1 : 0)
        }
        #expect(agreed)
        let smapsCount = try MapsFile.readSmaps(pid: 0).count
        #expect(abs(smapsCount - parsed.count) < 8)
    }

    @Test("reading the maps of a process that does not exist throws with the path and errno")
    func missingProcess() {
        #expect(throws: ProcReadError(path: "/proc/2147483646/maps", errno: ENOENT)) {
            try MapsFile.kernelCount(pid: 2_147_483_646)
        }
    }
}
