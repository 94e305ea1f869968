import Testing
@testable import MapTrace

@Suite("process limit rules")
struct LimitRuleTests {
    func snapshot() -> Snapshot { Fixture.processWithArea(mapCount: 60) }

    @Test("RLIMIT_AS: VmSize plus the request above the soft limit, hugetlb included")
    func addressSpaceLimit() throws {
        var snapshot = snapshot()
        snapshot.process?.vmSize = 100 * Fixture.mib
        snapshot.process?.addressSpaceLimit = ResourceLimit(soft: 108 * Fixture.mib, hard: 108 * Fixture.mib)
        let big = Fixture.call("mmap", [0, 16 * Fixture.mib, 3, 0x1, 5, 0], path: "/dev/hugepages/f", hugetlb: Fixture.twoMiB)
        let finding = try #require(Fixture.evaluate(RlimitASRule(), big, snapshot).finding)
        #expect(finding.sentence == "RLIMIT_AS [108 MiB] is too low: VmSize 100 MiB + 16 MiB for this mmap = 116 MiB")
        #expect(finding.fix.first?.command == "prlimit --pid 5507 --as=unlimited:unlimited")
        let small = Fixture.call("mmap", [0, 4 * Fixture.mib, 3, 0x1, 5, 0], path: "/dev/hugepages/f", hugetlb: Fixture.twoMiB)
        #expect(Fixture.evaluate(RlimitASRule(), small, snapshot).finding == nil)
        #expect(Fixture.diagnoseClassic(big, snapshot: snapshot, context: TraceContext()).cause == .rlimitAS)
    }

    @Test("RLIMIT_DATA counts private writable mappings only")
    func dataLimit() throws {
        var snapshot = snapshot()
        snapshot.process?.vmData = 4 * Fixture.mib
        snapshot.process?.dataLimit = ResourceLimit(soft: 8 * Fixture.mib, hard: nil)
        let privateWritable = Fixture.call("mmap", [0, 8 * Fixture.mib, 3, 0x22, UInt64(bitPattern: -1), 0])
        #expect(Fixture.evaluate(RlimitDataRule(), privateWritable, snapshot).finding?.value("rlimit_data") == Int(8 * Fixture.mib))
        let shared = Fixture.call("mmap", [0, 8 * Fixture.mib, 3, 0x21, UInt64(bitPattern: -1), 0])
        guard case .notApplicable = Fixture.evaluate(RlimitDataRule(), shared, snapshot) else {
            Issue.record("a shared mapping is not data"); return
        }
    }

    @Test("strict overcommit refuses when Committed_AS plus the request reaches the limit after reserves")
    func strictOvercommit() throws {
        var snapshot = snapshot()
        snapshot.overcommit = OvercommitState(mode: 2, ratio: 50, commitLimit: 11 * Fixture.gib, committed: 1 * Fixture.gib,
                                              memTotal: 24 * Fixture.gib, adminReserve: 8 * Fixture.mib)
        snapshot.process?.capEff = 0
        let call = Fixture.call("mmap", [0, 16 * Fixture.gib, 3, 0x22, UInt64(bitPattern: -1), 0])
        let finding = try #require(Fixture.evaluate(OvercommitRule(), call, snapshot).finding)
        #expect(finding.value("allowed") == Int(11 * Fixture.gib - 8 * Fixture.mib))
        #expect(finding.fix.first?.command == "sysctl -w vm.overcommit_memory=0")
        let fits = Fixture.call("mmap", [0, 9 * Fixture.gib, 3, 0x22, UInt64(bitPattern: -1), 0])
        #expect(Fixture.evaluate(OvercommitRule(), fits, snapshot).finding == nil)
    }

    @Test("heuristic overcommit refuses only one request larger than RAM + swap")
    func heuristicOvercommit() {
        let snapshot = snapshot()
        let huge = Fixture.call("mmap", [0, 64 * Fixture.gib, 3, 0x22, UInt64(bitPattern: -1), 0])
        #expect(Fixture.evaluate(OvercommitRule(), huge, snapshot).finding != nil)
        let noReserve = Fixture.call("mmap", [0, 64 * Fixture.gib, 3, 0x22 | 0x4000, UInt64(bitPattern: -1), 0])
        #expect(Fixture.evaluate(OvercommitRule(), noReserve, snapshot).finding == nil)
    }

    @Test("EAGAIN from mmap(MAP_LOCKED) over RLIMIT_MEMLOCK is rlimit_memlock")
    func memlockEagain() throws {
        var snapshot = snapshot()
        snapshot.process?.capEff = 0
        snapshot.process?.memlockLimit = ResourceLimit(soft: 64 * 1024, hard: 64 * 1024)
        let call = Fixture.call("mmap", [0, Fixture.mib, 3, 0x22 | 0x2000, UInt64(bitPattern: -1), 0], errno: Fixture.eagain)
        let diagnosis = Fixture.diagnoseClassic(call, snapshot: snapshot, context: TraceContext())
        #expect(diagnosis.cause == .rlimitMemlock)
        #expect(diagnosis.certainty == .confirmed)
        #expect(diagnosis.evidence.sentence == "RLIMIT_MEMLOCK [64 kB] is too low: VmLck 0 bytes + 1 MiB to lock = 1 MiB")
        // Root usually holds CAP_IPC_LOCK: then the limit does not apply.
        snapshot.process?.capEff = 1 << 14
        #expect(Fixture.evaluate(RlimitMemlockRule(), call, snapshot).finding == nil)
    }

    @Test("EPERM with a memlock limit of 0 and no CAP_IPC_LOCK is rlimit_memlock")
    func memlockZero() throws {
        var snapshot = snapshot()
        snapshot.process?.capEff = 0
        snapshot.process?.memlockLimit = ResourceLimit(soft: 0, hard: 0)
        let call = Fixture.call("mlock", [0x7f00_0000_0000, 4096], errno: Fixture.eperm)
        let finding = try #require(Fixture.evaluate(RlimitMemlockRule(), call, snapshot).finding)
        #expect(finding.sentence.contains("RLIMIT_MEMLOCK [0]"))
    }

    @Test("an mmap larger than every free range is address_space")
    func noFreeRange() throws {
        var snapshot = snapshot()
        snapshot.process?.addressSpace.largestGap = 60 << 40
        let call = Fixture.call("mmap", [0, 64 << 40, 0, 0x22 | 0x4000, UInt64(bitPattern: -1), 0])
        let diagnosis = Fixture.diagnoseClassic(call, snapshot: snapshot, context: TraceContext())
        #expect(diagnosis.cause == .addressSpace)
        #expect(diagnosis.evidence.value("largest_gap") == 60 << 40)
    }

    @Test("mprotect over a hole is bad_range, not a limit")
    func unmappedRange() throws {
        let start: UInt64 = 0x7f00_0000_0000
        let call = Fixture.call("mprotect", [start, 16 * 4096, 1])
        let diagnosis = Fixture.diagnoseClassic(call, snapshot: Fixture.processWithArea(mapCount: 60, areaStart: start), context: TraceContext())
        #expect(diagnosis.cause == .badRange)
        #expect(diagnosis.evidence.value("unmapped_at") == Int(start + 8 * 4096))
    }
}
