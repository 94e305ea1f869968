import Testing
@testable import MapTrace

@Suite("the run's demand")
struct RunDemandTests {
    let twoMiB: UInt64 = 2 << 20

    @Test("-m, --socket-mem and --socket-limit: -m 256 is 128 pages of 2 MiB; socket-mem sums; socket-limit is a cap")
    func memoryOptions() {
        let m = RunDemand(command: ["dpdk-testpmd", "-l", "0-3", "-m", "256", "--", "-i"])
        #expect(m.program == "DPDK EAL")
        #expect(m.requestedPages(pageSize: twoMiB) == 128)
        #expect(m.requestText(pageSize: twoMiB) == "-m 256 → 128 pages of 2 MiB")
        #expect(m.lcores == [0, 1, 2, 3])
        let socket = RunDemand(command: ["ovs-dpdk", "--socket-mem=512,256", "--socket-limit", "1024,1024", "--huge-dir", "/mnt/huge"])
        #expect(socket.memoryMiB == 768)
        #expect(socket.socketMemMiB == [512, 256])
        #expect(socket.socketLimitMiB == [1024, 1024])
        #expect(socket.source == "--socket-mem 512,256")
        #expect(socket.hugeDir == "/mnt/huge")
        let none = RunDemand(command: ["hugeprobe", "until-fail", "/mnt", "40"])
        #expect(none.program == nil && none.layout == .unknown)
        #expect(none.pagesTaken(pageSize: twoMiB, freeAtStart: 100) == nil)
    }

    @Test("the EAL generation decides what the run takes: every free page, or only -m's pages")
    func generations() {
        let legacy = RunDemand(command: ["dpdk-l2fwd", "--legacy-mem", "-m", "64"])
        #expect(legacy.layout == .everyFreePageTolerant)
        #expect(legacy.pagesTaken(pageSize: twoMiB, freeAtStart: 512)?.pages == 32, "a failure only ends the first pass")
        #expect(legacy.areas(pageSize: twoMiB, freeAtStart: 512)?.areas == 512)
        let classic = RunDemand(command: ["testpmd", "-m", "64", "--file-prefix", "a"], sawHugetlbMaps: true)
        #expect(classic.layout == .everyFreePageTwice)
        #expect(classic.pagesTaken(pageSize: twoMiB, freeAtStart: 512)?.pages == 512, "a failure on the way is fatal")
        #expect(classic.areas(pageSize: twoMiB, freeAtStart: 512)?.areas == 1024)
        let dynamic = RunDemand(command: ["dpdk-l2fwd", "-m", "64", "--single-file-segments"], sawFixedHugetlbMaps: true)
        #expect(dynamic.layout == .requestedPages)
        // still one mmap per page: hugetlb areas never merge
        #expect(dynamic.areas(pageSize: twoMiB, freeAtStart: 512)?.areas == 32 + 2)
        let shipped = RunDemand(command: ["/x/l2fwd", "-m", "8"])
        #expect(shipped.program == "l2fwd" && shipped.layout == .everyFreePageFatal)
        #expect(RunDemand(command: ["l2fwd", "-m", "8", "--mem-mode", "checked"]).layout == .requestedPages)
        #expect(RunDemand(command: ["l2fwd", "-m8", "--mem-mode=single-file"]).layout == .requestedSegment)
        // DPDK's own example built with its Makefile is also called l2fwd: its MAP_FIXED pattern tells
        let real = RunDemand(command: ["./build/l2fwd", "-m", "64", "--", "-p", "1"], sawFixedHugetlbMaps: true)
        #expect(real.program == "DPDK EAL" && real.layout == .requestedPages)
    }

    @Test("the owner of a cgroup: systemd unit, Kubernetes pod, Docker container")
    func cgroupOwners() {
        #expect(CgroupOwner(path: "/system.slice/ovs-vswitchd.service") == .systemdUnit("ovs-vswitchd.service"))
        #expect(CgroupOwner(path: "/kubepods/burstable/pod1f2e3d4c-aaaa-bbbb-cccc-000000000001/abcdef0123")
                == .kubernetesPod(uid: "1f2e3d4c-aaaa-bbbb-cccc-000000000001"))
        #expect(CgroupOwner(path: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_aaaa_bbbb_cccc_000000000001.slice/cri-containerd-ab.scope")
                == .kubernetesPod(uid: "1f2e3d4c-aaaa-bbbb-cccc-000000000001"))
        #expect(CgroupOwner(path: "/system.slice/docker-0123456789abcdef0123.scope") == .container(engine: "Docker", id: "0123456789abcdef0123"))
        #expect(CgroupOwner(path: "/docker/0123456789abcdef") == .container(engine: "Docker", id: "0123456789abcdef"))
        #expect(CgroupOwner(path: "/maptrace-test") == nil)
        let pod = CgroupOwner.kubernetesPod(uid: "u").persistentFix(sizeName: "2MB", bytes: 256 << 20)
        #expect(pod.contains("resources.limits.hugepages-2Mi: 256Mi"))
        #expect(CgroupOwner.systemdUnit("x.service").persistentFix(sizeName: "2MB", bytes: nil).contains("no unit setting for hugetlb"))
    }

    @Test("a cgroup limit under -m is fixed with the run's size, not the call's: -m 256 → 128 pages, 64 MiB already charged")
    func cgroupFixSizedForTheRun() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 60, free: 200)
        snapshot.cgroups = [CgroupHugetlb(path: "/system.slice/ovs-vswitchd.service", directory: "/sys/fs/cgroup/system.slice/ovs-vswitchd.service",
                                          limits: [CgroupHugetlbLimit(pageSize: twoMiB, sizeName: "2MB", reservedMax: 64 << 20,
                                                                      reservedCurrent: 64 << 20)])]
        let call = Fixture.call("mmap", [0, twoMiB, 3, 0x1 | 0x8000, 5, 0], path: "/dev/hugepages/rtemap_32", hugetlb: twoMiB)
        let context = TraceContext(command: ["dpdk-l2fwd", "-m", "256"], hugetlbfsFilesOpened: 33, hugetlbMappings: 32,
                                   hugetlbBytesMapped: 32 * twoMiB, hugetlbPageSize: twoMiB, fixedHugetlbMappings: 32)
        let finding = try #require(Fixture.evaluate(HugetlbCgroupRule(), call, snapshot, context).finding)
        let runtime = try #require(finding.fix.first)
        #expect(runtime.kind == .runtime)
        #expect(runtime.command == "echo \(256 << 20) > /sys/fs/cgroup/system.slice/ovs-vswitchd.service/hugetlb.2MB.rsvd.max")
        #expect(runtime.note?.contains("-m 256 → 128 pages of 2 MiB") == true)
        #expect(runtime.note?.contains("64 MiB already charged (64 MiB of it by this process)") == true)
        #expect(!finding.fix.contains { $0.command.contains("\(66 << 20)") }, "the per-call minimum is not offered")
        #expect(finding.fix.contains { $0.kind == .persistent && $0.command.contains("ovs-vswitchd.service") })
    }

    @Test("with no demand known, lifting the limit comes first and the per-call minimum says the run may need more")
    func cgroupFixUnknownDemand() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 60, free: 200)
        snapshot.cgroups = [CgroupHugetlb(path: "/x", directory: "/sys/fs/cgroup/x",
                                          limits: [CgroupHugetlbLimit(pageSize: twoMiB, sizeName: "2MB", reservedMax: 256 << 20,
                                                                      reservedCurrent: 256 << 20)])]
        let call = Fixture.call("mmap", [0, twoMiB, 3, 0x1, 5, 0], path: "/dev/hugepages/f", hugetlb: twoMiB)
        let finding = try #require(Fixture.evaluate(HugetlbCgroupRule(), call, snapshot, TraceContext(command: ["ovs-vswitchd"])).finding)
        #expect(finding.fix.first?.command == "echo max > /sys/fs/cgroup/x/hugetlb.2MB.rsvd.max")
        let minimum = try #require(finding.fix.first { $0.command.hasPrefix("echo \(258 << 20)") })
        #expect(minimum.kind == .alternative)
        #expect(minimum.note == "at least 258 MiB for this call; the run may need more (the program did not say how much)")
    }
}
