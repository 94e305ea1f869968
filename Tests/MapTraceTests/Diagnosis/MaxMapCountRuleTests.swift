import Testing
@testable import MapTrace

@Suite("max_map_count rule")
struct MaxMapCountRuleTests {
    let rule = MaxMapCountRule()

    @Test("an mmap at max + 1 areas is confirmed as max_map_count, with both numbers")
    func classicCaseConfirmed() throws {
        let finding = try #require(Fixture.evaluate(rule, Fixture.classicCall(), Fixture.classicSnapshot(),
                                                    Fixture.classicContext()).finding)
        #expect(finding.certainty == .confirmed)
        #expect(finding.value("map_count") == 3097)
        #expect(finding.value("max_map_count") == 3096)
        #expect(finding.sentence.hasPrefix("vm.max_map_count [3096] is too low: the process had 3097 memory map areas"))
        #expect(finding.setBy == "/etc/sysctl.d/80-vpp.conf:3")
    }

    @Test("an mmap at exactly max areas is allowed, so the rule reports the margin")
    func mmapAtMaxIsWithin() {
        let verdict = Fixture.evaluate(rule, Fixture.classicCall(), Fixture.classicSnapshot(mapCount: 3096))
        guard case .within(let reason) = verdict else { Issue.record("expected within, got \(verdict)"); return }
        #expect(reason.contains("3096 areas"))
        #expect(reason.contains("3097"))
    }

    @Test("munmap of a hole at map_count == max fails one area earlier than mmap")
    func munmapSplitAtMax() throws {
        let start: UInt64 = 0x7f00_0000_0000
        let snapshot = Fixture.processWithArea(mapCount: 65530, areaStart: start)
        let hole = Fixture.call("munmap", [start + 4096, 4096])
        let finding = try #require(Fixture.evaluate(rule, hole, snapshot).finding)
        #expect(finding.certainty == .confirmed)
        #expect(finding.sentence.contains("punches a hole"))
        // One area fewer and the same hole fits.
        let below = Fixture.processWithArea(mapCount: 65529, areaStart: start)
        #expect(Fixture.evaluate(rule, hole, below).finding == nil)
    }

    @Test("munmap of a whole area splits nothing, so the limit plays no part")
    func munmapWholeArea() {
        let start: UInt64 = 0x7f00_0000_0000
        let verdict = Fixture.evaluate(rule, Fixture.call("munmap", [start, 8 * 4096]),
                                       Fixture.processWithArea(mapCount: 65531, areaStart: start))
        guard case .notApplicable = verdict else { Issue.record("expected notApplicable, got \(verdict)"); return }
    }

    @Test("mprotect of a middle range needs two splits and fails from max − 1")
    func mprotectMiddle() throws {
        let start: UInt64 = 0x7f00_0000_0000
        let call = Fixture.call("mprotect", [start + 4096, 4096, 1])
        #expect(Fixture.evaluate(rule, call, Fixture.processWithArea(mapCount: 65529, areaStart: start)).finding != nil)
        #expect(Fixture.evaluate(rule, call, Fixture.processWithArea(mapCount: 65528, areaStart: start)).finding == nil)
    }

    @Test("madvise that splits at the limit returns EAGAIN and is still max_map_count")
    func madviseEagain() throws {
        let start: UInt64 = 0x7f00_0000_0000
        let call = Fixture.call("madvise", [start, 4096, 16], errno: Fixture.eagain)
        let finding = try #require(Fixture.evaluate(rule, call, Fixture.processWithArea(mapCount: 65530, areaStart: start)).finding)
        #expect(finding.cause == .maxMapCount)
    }

    @Test("MAP_FIXED into the middle of a reservation fails at map_count == max")
    func fixedIntoMiddle() throws {
        let start: UInt64 = 0x7f00_0000_0000
        let call = Fixture.call("mmap", [start + 4096, 4096, 3, 0x1 | 0x10, 16, 0])
        let finding = try #require(Fixture.evaluate(rule, call, Fixture.processWithArea(mapCount: 65530, areaStart: start)).finding)
        #expect(finding.sentence.contains("split"))
    }

    @Test("an mremap that must move fails from max − 3 and not at max − 4")
    func mremapMinusThree() {
        let start: UInt64 = 0x7f00_0000_0000
        var snapshot = Fixture.processWithArea(mapCount: 65527, areaStart: start)
        // A neighbour right after the area: it cannot grow in place.
        snapshot.process?.addressSpace.areas.append(Mapping(start: start + 8 * 4096, end: start + 9 * 4096, prot: 1, shared: false))
        let grow = Fixture.call("mremap", [start, 8 * 4096, 64 * 4096, 1, 0])
        #expect(Fixture.evaluate(rule, grow, snapshot).finding?.certainty == .confirmed)
        snapshot.process?.mapCount = 65526
        #expect(Fixture.evaluate(rule, grow, snapshot).finding == nil)
    }

    @Test("the fix recommends at least the kernel default and says what the whole pool needs")
    func fixValuesFromEvidence() throws {
        let finding = try #require(Fixture.evaluate(rule, Fixture.classicCall(), Fixture.classicSnapshot(),
                                                    Fixture.classicContext()).finding)
        #expect(finding.value("smallest_max_map_count") == 36 + 3200)
        #expect(finding.value("baseline_areas") == 36)
        #expect(finding.value("pool_pages") == 3200)
        #expect(finding.value("recommended_max_map_count") == 65530)
        let runtime = try #require(finding.fix.first { $0.kind == .runtime })
        #expect(runtime.command == "sysctl -w vm.max_map_count=65530")
        let persistent = try #require(finding.fix.first { $0.kind == .persistent })
        #expect(persistent.command.hasPrefix("echo 'vm.max_map_count = 65530' > /etc/sysctl.d/90-maptrace-max_map_count.conf"))
        #expect(persistent.command.hasSuffix("sysctl vm.max_map_count"))
        #expect(persistent.note?.contains("80-vpp.conf") == true)
        let alternatives = finding.fix.filter { $0.kind == .alternative }.map(\.command)
        #expect(alternatives.contains { $0.contains("hugepagesz=1G hugepages=7") })
        // hugetlb areas never merge: --single-file-segments still maps one page per mmap
        #expect(!alternatives.contains { $0.contains("--single-file-segments") })
        // -m 64 needs 32 pages of 2 MiB.
        #expect(alternatives.contains { $0.hasPrefix("echo 32 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") })
    }

    @Test("a pool larger than the default gets a value on the ladder above twice the pool")
    func largePoolLadder() throws {
        var snapshot = Fixture.classicSnapshot(mapCount: 65531)
        snapshot.maxMapCount = 65530
        snapshot.pools[0].total = 40000
        let finding = try #require(Fixture.evaluate(rule, Fixture.classicCall(), snapshot,
                                                    Fixture.classicContext(pages: 65495)).finding)
        #expect(finding.value("recommended_max_map_count") == 131_072)
        #expect(MapCountSizing.generous(1_500_000) == 2_097_152)
    }

    @Test("a persistent fix wins over a file that sorts late, and /etc/sysctl.conf is edited in place")
    func persistentFileOrder() {
        #expect(FixText.persistentFile(for: "vm.max_map_count", after: "/etc/sysctl.d/80-vpp.conf")
            == "/etc/sysctl.d/90-maptrace-max_map_count.conf")
        #expect(FixText.persistentFile(for: "vm.max_map_count", after: "/usr/lib/sysctl.d/99-sysctl.conf")
            == "/etc/sysctl.d/99-zz-maptrace-max_map_count.conf")
        let main = SysctlAssignment(key: "vm.max_map_count", value: "3096", file: "/etc/sysctl.conf", line: 7)
        let command = FixText.persistentSysctl("vm.max_map_count", "65530", setBy: main).command
        #expect(command.hasPrefix("sed -i 's/^[[:space:]]*vm\\.max_map_count[[:space:]]*=.*/vm.max_map_count = 65530/' /etc/sysctl.conf"))
    }

    @Test("a limit no file sets is reported as set at runtime")
    func setAtRuntime() throws {
        var snapshot = Fixture.classicSnapshot()
        snapshot.sysctlFiles = []
        let finding = try #require(Fixture.evaluate(rule, Fixture.classicCall(), snapshot, Fixture.classicContext()).finding)
        #expect(finding.setBy == nil)
        #expect(finding.details.contains { $0.contains("set at runtime") })
    }
}
