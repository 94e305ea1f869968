import Testing
@testable import MapTrace

@Suite("hugetlb rules")
struct HugetlbRuleTests {
    /// A 40-page mmap of a fresh file with 80 free pages of which 60 are reserved.
    func poolShortCall() -> Failure {
        Fixture.call("mmap", [0, 40 * Fixture.twoMiB, 3, 0x1, 16, 0], path: "/dev/hugepages/rtemap_0", hugetlb: Fixture.twoMiB)
    }

    func poolShortSnapshot() -> Snapshot {
        var snapshot = Fixture.classicSnapshot(mapCount: 60, free: 80, reserved: 60)
        snapshot.pools[0].total = 512
        snapshot.staleFiles = (0..<3).map { StaleFile(path: "/dev/hugepages/rtemap_\($0)", allocatedBytes: 144 * Fixture.twoMiB,
                                                      pageSize: Fixture.twoMiB) }
        snapshot.mounts[0].fileCount = 3
        return snapshot
    }

    @Test("free minus reserved below the request is hugepage_pool, and stale files are named")
    func poolWithStaleFiles() throws {
        let finding = try #require(Fixture.evaluate(HugepagePoolRule(), poolShortCall(), poolShortSnapshot()).finding)
        #expect(finding.certainty == .confirmed)
        #expect(finding.sentence == "2 MiB huge pages [512] are too few: 80 free − 60 reserved = 20 available, this mmap needed 40")
        #expect(finding.details.contains { $0.contains("3 stale files") && $0.contains("pin 432 of 512 pages")
            && $0.contains("/dev/hugepages/rtemap_0") })
        // Deleting the stale files frees more than the 20 missing pages: that is the whole fix.
        #expect(finding.fix.first?.command == "rm -f /dev/hugepages/rtemap_0 /dev/hugepages/rtemap_1 /dev/hugepages/rtemap_2")
        #expect(!finding.fix.contains { $0.command.contains("nr_hugepages") })
    }

    @Test("without stale files the fix grows the pool by the missing pages and persists it")
    func poolFixGrowsPool() throws {
        var snapshot = poolShortSnapshot()
        snapshot.staleFiles = []
        let finding = try #require(Fixture.evaluate(HugepagePoolRule(), poolShortCall(), snapshot).finding)
        #expect(finding.fix.map(\.command).contains(
            "echo 532 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages && cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"))
        #expect(finding.fix.contains { $0.kind == .persistent && $0.command.contains("vm.nr_hugepages = 532") })
    }

    @Test("mapping again a file that already holds its page needs no new page from the pool")
    func remapOfHeldPage() throws {
        var snapshot = Fixture.classicSnapshot(free: 0)
        let call = Fixture.classicCall(page: 12)
        snapshot.callFile = FileUsage(path: "/dev/hugepages/rtemap_12", size: Fixture.twoMiB, allocatedBytes: Fixture.twoMiB)
        let verdict = Fixture.evaluate(HugepagePoolRule(), call, snapshot)
        #expect(verdict == .within("0 free − 0 reserved ≥ 0 needed, as the file holds 1 page already (2 MiB)"))
        // A fresh file needs the full page: then the empty pool is confirmed.
        snapshot.callFile?.allocatedBytes = 0
        #expect(Fixture.evaluate(HugepagePoolRule(), call, snapshot).finding?.certainty == .confirmed)
    }

    @Test("a glob is offered only when every file of the mount is stale")
    func staleGlobOnlyWhenSafe() {
        let files = (0..<5).map { StaleFile(path: "/dev/hugepages/rtemap_\($0)", allocatedBytes: 0, pageSize: Fixture.twoMiB) }
        var mount = HugetlbfsMountState(mount: HugetlbfsMount(mountPoint: "/dev/hugepages", pageSize: Fixture.twoMiB), fileCount: 5)
        #expect(StaleFileList.shellPattern(files, mounts: [mount]) == "/dev/hugepages/rtemap_*")
        mount.fileCount = 9
        #expect(StaleFileList.shellPattern(files, mounts: [mount]).hasPrefix("/dev/hugepages/rtemap_0 /dev/hugepages/rtemap_1"))
    }

    @Test("surplus pages that could have covered the request make the pool only possible")
    func poolWithOvercommit() throws {
        var snapshot = poolShortSnapshot()
        snapshot.pools[0].overcommit = 64
        let finding = try #require(Fixture.evaluate(HugepagePoolRule(), poolShortCall(), snapshot).finding)
        #expect(finding.certainty == .possible)
    }

    @Test("MAP_NORESERVE makes no reservation: the pool is not checked at mmap")
    func noReserveSkipsPool() {
        let call = Fixture.call("mmap", [0, 40 * Fixture.twoMiB, 3, 0x1 | 0x4000, 16, 0], path: "/dev/hugepages/x", hugetlb: Fixture.twoMiB)
        guard case .notApplicable(let reason) = Fixture.evaluate(HugepagePoolRule(), call, poolShortSnapshot()) else {
            Issue.record("expected notApplicable"); return
        }
        #expect(reason.contains("SIGBUS"))
    }

    @Test("enough pages in the system but not on the allowed node is hugepage_node")
    func nodeRestriction() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 60, free: 100)
        snapshot.pools[0].nodes = [NodePool(node: 0, total: 1600, free: 2), NodePool(node: 1, total: 1600, free: 98)]
        snapshot.process?.memsAllowed = [0]
        let call = Fixture.call("mmap", [0, 4 * Fixture.twoMiB, 3, 0x20 | 0x2 | 0x40000, UInt64(bitPattern: -1), 0], hugetlb: Fixture.twoMiB)
        let finding = try #require(Fixture.evaluate(HugepageNodeRule(), call, snapshot).finding)
        #expect(finding.value("free_on_allowed_nodes") == 2)
        #expect(finding.fix.first?.command.hasPrefix("echo 1602 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages") == true)
        #expect(Fixture.evaluate(HugepagePoolRule(), call, snapshot).finding == nil)
    }

    @Test("statfs bfree below the request is hugetlbfs_size, with a mount command that sets a larger size=")
    func mountSizeLimit() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 60, free: 71)
        snapshot.mounts = [HugetlbfsMountState(
            mount: HugetlbfsMount(mountPoint: "/mnt/huge", pageSize: Fixture.twoMiB, sizeLimit: 8 * Fixture.mib, options: "rw,pagesize=2M,size=8388608"),
            statfs: StatfsCounts(blockSize: Int64(Fixture.twoMiB), blocks: 4, blocksFree: 4))]
        let call = Fixture.call("mmap", [0, 5 * Fixture.twoMiB, 3, 0x1, 5, 0], path: "/mnt/huge/f", hugetlb: Fixture.twoMiB)
        let finding = try #require(Fixture.evaluate(HugetlbfsSizeRule(), call, snapshot).finding)
        #expect(finding.sentence == "hugetlbfs size= on /mnt/huge [8 MiB, 4 pages] is too small: 4 free, this mmap needed 5")
        // The program did not say how much it needs: lifting size= comes first, the per-call
        // minimum only as that.
        #expect(finding.fix.first?.command == "umount /mnt/huge && mount -t hugetlbfs -o pagesize=2M nodev /mnt/huge")
        let perCall = try #require(finding.fix.first { $0.command.contains("size=10M") })
        #expect(perCall.kind == .alternative)
        #expect(perCall.note?.contains("the run may need more") == true)
        #expect(finding.details.contains { $0.contains("pool itself had 71") })
    }

    @Test("ENOSPC from openat in a hugetlbfs directory with nr_inodes= used up is hugetlbfs_inodes")
    func inodeLimit() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 60)
        snapshot.mounts = [HugetlbfsMountState(
            mount: HugetlbfsMount(mountPoint: "/mnt/huge", pageSize: Fixture.twoMiB, inodeLimit: 3, options: "rw,nr_inodes=3"),
            statfs: StatfsCounts(blockSize: Int64(Fixture.twoMiB), blocks: 0, blocksFree: 0), fileCount: 2)]
        let call = Fixture.call("openat", [UInt64(bitPattern: -100), 0, 0o102, 0o600], errno: Fixture.enospc, path: "/mnt/huge/rtemap_2")
        let finding = try #require(Fixture.evaluate(HugetlbfsInodesRule(), call, snapshot).finding)
        #expect(finding.certainty == .confirmed)
        #expect(finding.value("inodes_used") == 3)
        #expect(finding.value("nr_inodes") == 3)
        #expect(finding.fix.first?.command.contains("nr_inodes=6") == true)
        let diagnosis = Fixture.diagnoseClassic(call, snapshot: snapshot, context: TraceContext())
        #expect(diagnosis.cause == .hugetlbfsInodes)
    }

    func cgroupSnapshot() -> Snapshot {
        var snapshot = Fixture.classicSnapshot(mapCount: 60, free: 500)
        snapshot.cgroups = [
            CgroupHugetlb(path: "/pod/app", directory: "/sys/fs/cgroup/unified/pod/app",
                          limits: [CgroupHugetlbLimit(pageSize: Fixture.twoMiB, sizeName: "2MB")]),
            CgroupHugetlb(path: "/pod", directory: "/sys/fs/cgroup/unified/pod",
                          limits: [CgroupHugetlbLimit(pageSize: Fixture.twoMiB, sizeName: "2MB", max: 8 * Fixture.mib, current: 8 * Fixture.mib,
                                                      reservedMax: 8 * Fixture.mib, reservedCurrent: 4 * Fixture.mib, maxEvents: 1)]),
            CgroupHugetlb(path: "/", directory: "/sys/fs/cgroup/unified"),
        ]
        return snapshot
    }

    @Test("a parent cgroup's rsvd.max stops the reservation, before the pool is consulted")
    func cgroupReservationAtAncestor() throws {
        let call = Fixture.call("mmap", [0, 4 * Fixture.twoMiB, 3, 0x1, 5, 0], path: "/dev/hugepages/f", hugetlb: Fixture.twoMiB)
        let finding = try #require(Fixture.evaluate(HugetlbCgroupRule(), call, cgroupSnapshot()).finding)
        #expect(finding.sentence.hasPrefix("cgroup /pod hugetlb.2MB.rsvd.max [8 MiB] is too low: 4 MiB charged + 8 MiB"))
        #expect(finding.fix.first?.command == "echo max > /sys/fs/cgroup/unified/pod/hugetlb.2MB.rsvd.max")
        #expect(Fixture.diagnoseClassic(call, snapshot: cgroupSnapshot(), context: TraceContext()).cause == .hugetlbCgroup)
    }

    @Test("SIGBUS in a reserved hugetlb area with the cgroup fault limit used up is hugetlb_cgroup")
    func cgroupFaultLimit() throws {
        var snapshot = cgroupSnapshot()
        let start: UInt64 = 0x7f00_0000_0000
        snapshot.process?.addressSpace = AddressSpaceView(
            areas: [Mapping(start: start, end: start + 8 * Fixture.twoMiB, prot: 3, shared: true, path: "/dev/hugepages/f",
                            hugePageSize: Fixture.twoMiB)],
            focusFlags: ["rd", "wr", "sh", "mr", "mw", "me", "ms", "de", "ht"])
        let sigbus = Fixture.call("SIGBUS", [], errno: 0, address: start + 5 * Fixture.twoMiB + 12)
        let diagnosis = Fixture.diagnoseClassic(sigbus, snapshot: snapshot, context: TraceContext())
        #expect(diagnosis.cause == .hugetlbCgroup)
        #expect(diagnosis.evidence.sentence.contains("hugetlb.2MB.max [8 MiB]"))
        #expect(diagnosis.ruledOut.contains { $0.cause == .hugetlbFault && $0.reason.contains("reservation") })
    }

    @Test("SIGBUS in a MAP_NORESERVE area with the pool used up is hugetlb_fault naming the pool")
    func noReserveFault() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 60, free: 0)
        let start: UInt64 = 0x7f00_0000_0000
        snapshot.process?.addressSpace = AddressSpaceView(
            areas: [Mapping(start: start, end: start + 72 * Fixture.twoMiB, prot: 3, shared: true, path: "/dev/hugepages/f",
                            hugePageSize: Fixture.twoMiB)],
            focusFlags: ["rd", "wr", "sh", "nr", "ht"])
        let sigbus = Fixture.call("SIGBUS", [], errno: 0, address: start + 71 * Fixture.twoMiB)
        let diagnosis = Fixture.diagnoseClassic(sigbus, snapshot: snapshot, context: TraceContext())
        #expect(diagnosis.cause == .hugetlbFault)
        #expect(diagnosis.certainty == .confirmed)
        #expect(diagnosis.evidence.sentence.contains("the 2 MiB pool had 0 free − 0 reserved"))
        #expect(diagnosis.fix.first?.command.contains("drop MAP_NORESERVE") == true)
        #expect(DiagnosisText.render(diagnosis).hasPrefix("maptrace: SIGBUS at 0x7f0008e00000 in pid 5507 (l2fwd)"))
    }

    @Test("a fault past the end of the file is explained by the file size")
    func faultPastEndOfFile() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 60, free: 100)
        let start: UInt64 = 0x7f00_0000_0000
        snapshot.process?.addressSpace = AddressSpaceView(
            areas: [Mapping(start: start, end: start + 4 * Fixture.twoMiB, prot: 3, shared: true, path: "/dev/hugepages/f",
                            hugePageSize: Fixture.twoMiB)],
            focusFlags: ["rd", "wr", "sh", "ht"], focusFileSize: 2 * Fixture.twoMiB)
        let sigbus = Fixture.call("SIGBUS", [], errno: 0, address: start + 3 * Fixture.twoMiB)
        let finding = try #require(Fixture.evaluate(HugetlbFaultRule(), sigbus, snapshot).finding)
        #expect(finding.sentence.contains("past its end [4 MiB]"))
    }

    @Test("EPERM from shmget(SHM_HUGETLB) outside vm.hugetlb_shm_group and without CAP_IPC_LOCK is shm_hugetlb")
    func shmPermission() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 60)
        snapshot.process?.capEff = 0
        snapshot.process?.gids = [65534]
        let call = Fixture.call("shmget", [0, Fixture.twoMiB, 0o4000 | 0o1000 | 0o600], errno: Fixture.eperm, hugetlb: Fixture.twoMiB)
        let diagnosis = Fixture.diagnoseClassic(call, snapshot: snapshot, context: TraceContext())
        #expect(diagnosis.cause == .shmHugetlb)
        #expect(diagnosis.fix.first?.command == "sysctl -w vm.hugetlb_shm_group=65534")
        snapshot.process?.capEff = 1 << 14
        #expect(Fixture.evaluate(ShmHugetlbRule(), call, snapshot).finding == nil)
    }

    @Test("EINVAL from a hugetlbfs mmap at an unaligned offset is hugepage_alignment")
    func unalignedOffset() throws {
        let call = Fixture.call("mmap", [0, Fixture.twoMiB, 3, 0x1, 5, 4096], errno: Fixture.einval,
                                path: "/dev/hugepages/f", hugetlb: Fixture.twoMiB)
        let diagnosis = Fixture.diagnoseClassic(call, snapshot: Fixture.classicSnapshot(mapCount: 60), context: TraceContext())
        #expect(diagnosis.cause == .hugepageAlignment)
        #expect(diagnosis.evidence.sentence == "the file offset 4096 is not a multiple of the 2 MiB page")
    }

    @Test("MAP_HUGE_16MB names a size the kernel lacks")
    func missingHugePageSize() throws {
        let flags: UInt64 = 0x22 | 0x40000 | (24 << 26)
        let call = Fixture.call("mmap", [0, 16 * Fixture.mib, 3, flags, UInt64(bitPattern: -1), 0], errno: Fixture.einval,
                                hugetlb: 16 * Fixture.mib)
        let finding = try #require(Fixture.evaluate(HugepageAlignmentRule(), call, Fixture.classicSnapshot()).finding)
        #expect(finding.sentence == "the flags ask for 16 MiB huge pages; this kernel has 2 MiB, 1 GiB")
    }
}
