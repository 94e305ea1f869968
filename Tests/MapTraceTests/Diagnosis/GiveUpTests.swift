import Testing
@testable import MapTrace

@Suite("a run that gives up without a failing call")
struct GiveUpTests {
    let twoMiB: UInt64 = 2 << 20

    func snapshot(free: Int, reserved: Int = 0, cgroupMax: UInt64? = nil) -> Snapshot {
        var snapshot = Snapshot(defaultHugePageSize: twoMiB,
                                pools: [HugePagePool(pageSize: twoMiB, total: free + reserved, free: free + reserved, reserved: reserved)])
        if let cgroupMax {
            snapshot.cgroups = [CgroupHugetlb(path: "/kubepods/burstable/pod0123abcd-0000/ctr", directory: "/sys/fs/cgroup/kubepods/burstable/pod0123abcd-0000/ctr",
                                              limits: [CgroupHugetlbLimit(pageSize: twoMiB, sizeName: "2MB", reservedMax: cgroupMax, reservedCurrent: 0)])]
        }
        return snapshot
    }

    @Test("-m 2048 with 512 free pages: hugepage_pool (likely), 512 pages short, the pool grown by them")
    func poolShort() throws {
        let context = TraceContext(command: ["dpdk-testpmd", "-m", "2048"],
                                   lookedAt: ["/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"])
        guard case .shortfall(let diagnosis) = diagnoseGiveUp(pid: 7, comm: "dpdk-testpmd", status: "exited with 1",
                                                                snapshot: snapshot(free: 512), context: context) else {
            Issue.record("no shortfall named"); return
        }
        #expect(diagnosis.cause == .hugepagePool && diagnosis.certainty == .likely)
        #expect(diagnosis.evidence.value("shortfall_pages") == 512)
        #expect(diagnosis.evidence.sentence.contains("-m 2048 → 1024 pages of 2 MiB"))
        #expect(diagnosis.fix.first?.command.hasPrefix("echo 1024 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") == true)
        let text = DiagnosisText.render(diagnosis)
        #expect(text.hasPrefix("maptrace: pid 7 (dpdk-testpmd) gave up without a failing memory call"))
    }

    @Test("a cgroup reservation limit below the demand is named before the pool, with the pod that owns it")
    func cgroupFirst() throws {
        let context = TraceContext(command: ["dpdk-testpmd", "--socket-mem", "256"])
        guard case .shortfall(let diagnosis) = diagnoseGiveUp(pid: 7, comm: nil, status: "exited with 1",
                                                                snapshot: snapshot(free: 64, cgroupMax: 64 << 20), context: context) else {
            Issue.record("no shortfall named"); return
        }
        #expect(diagnosis.cause == .hugetlbCgroup)
        #expect(diagnosis.alsoExceeded.map(\.cause) == [.hugepagePool])
        #expect(diagnosis.fix.first?.command == "echo \(256 << 20) > /sys/fs/cgroup/kubepods/burstable/pod0123abcd-0000/ctr/hugetlb.2MB.rsvd.max")
        #expect(diagnosis.fix.contains { $0.command.contains("resources.limits.hugepages-2Mi: 256Mi") })
    }

    @Test("enough pages, or no demand known: one line, and no diagnosis")
    func nothingShort() {
        let enough = diagnoseGiveUp(pid: 7, comm: nil, status: "exited with 1", snapshot: snapshot(free: 512),
                                    context: TraceContext(command: ["dpdk-testpmd", "-m", "64"]))
        #expect(enough == .nothingShort("pid 7 exited with 1 after it went for huge pages, with no memory call failing; "
                                        + "nothing maptrace reads falls short of -m 64 → 32 pages of 2 MiB: look elsewhere"))
        let unknown = diagnoseGiveUp(pid: 7, comm: nil, status: "was killed by SIGSEGV", snapshot: snapshot(free: 0),
                                     context: TraceContext(command: ["ovs-vswitchd"]))
        guard case .nothingShort(let line) = unknown else { Issue.record("a shortfall without a demand"); return }
        #expect(line.contains("did not say how much memory it wanted"))
    }

    @Test("statfs and fstatfs print as strace prints them")
    func statfsText() {
        var call = CallRecord(syscall: .statfs, args: SyscallArguments([0x1000, 0x7ffd_0000_1000, 0, 0, 0, 0]))
        call.string = "/dev/hugepages"
        #expect(CallText.render(call).hasPrefix("statfs(\"/dev/hugepages\", 0x7ffd00001000) = 0"))
        var fcall = CallRecord(syscall: .fstatfs, args: SyscallArguments([3, 0x7ffd_0000_1000, 0, 0, 0, 0]))
        fcall.fdPath = "/dev/hugepages"
        #expect(CallText.render(fcall).hasPrefix("fstatfs(3</dev/hugepages>, 0x7ffd00001000) = 0"))
        fcall.statfsResult = StatfsResult(type: 0x9584_58f6, blockSize: 2 << 20, blocks: 4, blocksFree: 1, blocksAvailable: 1,
                                          files: 0, filesFree: 0)
        #expect(CallText.render(fcall).hasPrefix("fstatfs(3</dev/hugepages>, {f_type=HUGETLBFS_MAGIC, f_bsize=2097152, "
                                                  + "f_blocks=4, f_bfree=1, f_bavail=1, f_files=0, f_ffree=0, ...}) = 0"))
    }
}
