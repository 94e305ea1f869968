import Glibc
import Testing
@testable import MapTrace

/// Recorded /proc texts the Mappings tests parse.
enum MappingsSamples {}

extension MappingsSamples {
    /// mountinfo of a DPDK host: the distribution's /dev/hugepages, a 1 GiB mount whose path has a
    /// space, a size-limited mount, a min_size mount, a tmpfs mounted inside a hugetlbfs mount,
    /// and a hugetlbfs mounted twice on the same point (the later one is on top).
    static let mountinfo = """
        22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw
        24 27 0:6 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=12358300k,nr_inodes=3089575,mode=755
        27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
        40 24 0:47 / /dev/hugepages rw,relatime shared:27 - hugetlbfs hugetlbfs rw,pagesize=2M
        41 27 0:48 / /mnt/huge\\0401G rw,relatime shared:28 - hugetlbfs nodev rw,pagesize=1024M,size=4294967296,nr_inodes=8
        42 27 0:49 / /mnt/dpdk rw,relatime - hugetlbfs nodev rw,nr_inodes=4,pagesize=2M,size=8388608
        43 27 0:50 / /mnt/min rw,relatime - hugetlbfs nodev rw,uid=1000,gid=1000,mode=1770,pagesize=2M,min_size=8388608
        44 42 0:51 / /mnt/dpdk/tmp rw,relatime - tmpfs tmpfs rw,size=1024k
        45 27 0:52 / /mnt/twice rw,relatime - hugetlbfs nodev rw,pagesize=2M,size=2097152
        46 45 0:53 / /mnt/twice rw,relatime - hugetlbfs nodev rw,pagesize=2M,size=4194304

        """
}

@Suite("hugetlbfs mounts from mountinfo")
struct MountTableTests {
    let table = MountTable.parse(mountinfo: MappingsSamples.mountinfo, defaultHugePageSize: 2 << 20)

    @Test("every hugetlbfs mount is found with its limits, and no other file system")
    func parsesLimits() {
        #expect(table.hugetlbfs.map(\.mountPoint)
            == ["/dev/hugepages", "/mnt/huge 1G", "/mnt/dpdk", "/mnt/min", "/mnt/twice", "/mnt/twice"])
        #expect(table.hugetlbfs[0] == HugetlbfsMount(mountPoint: "/dev/hugepages", pageSize: 2 << 20, options: "rw,pagesize=2M"))
        #expect(table.hugetlbfs[1] == HugetlbfsMount(mountPoint: "/mnt/huge 1G", pageSize: 1 << 30, sizeLimit: 4 << 30,
                                                     inodeLimit: 8, options: "rw,pagesize=1024M,size=4294967296,nr_inodes=8"))
        #expect(table.hugetlbfs[2].sizeLimit == 8 << 20)
        #expect(table.hugetlbfs[2].inodeLimit == 4)
        #expect(table.hugetlbfs[3].minSize == 8 << 20)
        #expect(table.hugetlbfs[3].sizeLimit == nil)
    }

    @Test("a path is on the mount with the longest mount-point prefix at a path boundary")
    func longestPrefix() {
        #expect(table.hugetlbfsMount(containing: "/dev/hugepages/rtemap_0")?.mountPoint == "/dev/hugepages")
        #expect(table.hugetlbfsMount(containing: "/dev/hugepages")?.mountPoint == "/dev/hugepages")
        #expect(table.hugetlbfsMount(containing: "/dev/hugepagesX/rtemap_0") == nil)
        #expect(table.hugetlbfsMount(containing: "/mnt/huge 1G/dpdk map_0")?.pageSize == 1 << 30)
        #expect(table.hugetlbfsMount(containing: "/mnt/dpdk/rtemap_3 (deleted)")?.mountPoint == "/mnt/dpdk")
        #expect(table.hugetlbfsMount(containing: "/usr/lib/libc.so.6") == nil)
    }

    @Test("a file system mounted inside a hugetlbfs mount takes the paths below it")
    func innerMountHides() {
        #expect(table.hugetlbfsMount(containing: "/mnt/dpdk/tmp/config") == nil)
        #expect(table.hugetlbfsMount(containing: "/mnt/dpdk/tmpfile")?.mountPoint == "/mnt/dpdk")
    }

    @Test("of two mounts on the same point the later one, on top, is the one paths lie on")
    func stackedMounts() {
        #expect(table.hugetlbfsMount(containing: "/mnt/twice/f")?.sizeLimit == 4 << 20)
    }

    @Test("sizes are read with K, M and G suffixes; a percentage is left unknown")
    func sizeSuffixes() {
        let mount = MountTable.mount(at: "/m", options: "rw,pagesize=1G,size=512M,min_size=64k,nr_inodes=2K",
                                     defaultHugePageSize: 2 << 20)
        #expect(mount.pageSize == 1 << 30)
        #expect(mount.sizeLimit == 512 << 20)
        #expect(mount.minSize == 64 << 10)
        #expect(mount.inodeLimit == 2048)
        let percent = MountTable.mount(at: "/m", options: "rw,size=50%", defaultHugePageSize: 1 << 30)
        #expect(percent.sizeLimit == nil)
        #expect(percent.pageSize == 1 << 30)
    }

    @Test("octal escapes in mount points are decoded")
    func escapes() {
        #expect(MountTable.unescape(#"/a\040b\011c\134d\012e"#) == "/a b\tc\\d\ne")
        #expect(MountTable.unescape(#"/trailing\04"#) == #"/trailing\04"#)
    }

    @Test("the default huge page size is one the kernel offers in sysfs")
    func defaultSize() {
        let size = MountTable.defaultHugePageSize()
        let sizes = DirectoryListing.names(in: "/sys/kernel/mm/hugepages")
        #expect(sizes.isEmpty || sizes.contains("hugepages-\(size / 1024)kB"))
    }

    @Test("a hugetlbfs mounted in a directory with a space is read back from /proc/self/mountinfo",
          .enabled(if: getuid() == 0, "mounting needs root"))
    func liveMount() throws {
        var template = Array("/tmp/maptrace-mounts.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { Issue.record("mkdtemp: errno \(errno)"); return }
        let directory = String(cString: made)
        let mountPoint = directory + "/huge pages"
        defer { rmdir(directory) }
        guard mkdir(mountPoint, 0o755) == 0 else { Issue.record("mkdir: errno \(errno)"); return }
        defer { rmdir(mountPoint) }
        guard mount("nodev", mountPoint, "hugetlbfs", 0, "pagesize=2M,size=8M,nr_inodes=4") == 0 else {
            // No hugetlbfs in this kernel: nothing to read back.
            #expect(errno == ENODEV)
            return
        }
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        let table = try MountTable.read(pid: 0)
        let found = table.hugetlbfsMount(containing: mountPoint + "/rtemap_0")
        #expect(found?.mountPoint == mountPoint)
        #expect(found?.pageSize == 2 << 20)
        #expect(found?.sizeLimit == 8 << 20)
        #expect(found?.inodeLimit == 4)
    }

    @Test("reading the mount table of a process that does not exist throws with the path and errno")
    func missingProcess() {
        #expect(throws: ProcReadError(path: "/proc/2147483646/mountinfo", errno: ENOENT)) {
            try MountTable.read(pid: 2_147_483_646)
        }
        let error = ProcReadError(path: "/proc/2147483646/mountinfo", errno: ENOENT)
        #expect(error.description == "/proc/2147483646/mountinfo: No such file or directory")
    }
}

/// Directory listing through Glibc, so the tests need no Foundation.
private enum DirectoryListing {
    static func names(in path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
