import Foundation
import Testing
@testable import MapTrace

@Suite("preflight")
struct PreflightTests {
    /// VPP's host before the dataplane starts: 3200 free 2 MiB pages, vm.max_map_count 3096.
    func vppHost() -> Snapshot {
        var snapshot = Fixture.classicSnapshot(free: 3200)
        snapshot.process = nil
        snapshot.mounts[0].fileCount = 0
        snapshot.mounts[0].allocatedBytes = 0
        return snapshot
    }

    @Test("a pool larger than vm.max_map_count allows fails the preflight with value, threshold and fix")
    func mapCountPredicted() throws {
        let preflight = Preflight.check(vppHost())
        #expect(!preflight.passed)
        let problem = try #require(preflight.problems.first { $0.cause == .maxMapCount })
        #expect(problem.value == 3096)
        #expect(problem.threshold == Preflight.baselineAreas + 3200)
        #expect(problem.summary.contains("set by /etc/sysctl.d/80-vpp.conf:3"))
        #expect(problem.fix.first?.command == "sysctl -w vm.max_map_count=65530")
        let text = preflight.text
        #expect(text.hasPrefix("maptrace check: \(preflight.problems.count) problem"))
        #expect(text.contains("[1] of [\(preflight.problems.count)] vm.max_map_count [3096] is too low"))
        #expect(text.contains("    fix: sysctl -w vm.max_map_count=65530"))
        #expect(text.contains("prediction: 3200 2 MiB pages one mapping each: 40 + 3200 = 3240 areas > vm.max_map_count 3096: fails"))
    }

    @Test("a host whose pool fits under the limit passes")
    func smallPoolPasses() {
        var snapshot = vppHost()
        snapshot.pools[0] = HugePagePool(pageSize: Fixture.twoMiB, total: 1024, free: 1024, nodes: [NodePool(node: 0, total: 1024, free: 1024)])
        let preflight = Preflight.check(snapshot)
        #expect(preflight.passed, "\(preflight.problems.map(\.summary))")
        #expect(preflight.predictions.first?.needed == 1064)
        #expect(preflight.text.hasPrefix("maptrace check: passed"))
        // 40 + 2 × 1024 = 2088 still fits; the note about the limit being below the default stays.
        #expect(preflight.notes.contains { $0.contains("below the kernel default") })
    }

    @Test("stale files, a missing mount and a cgroup limit are each a numbered problem")
    func otherProblems() throws {
        var snapshot = vppHost()
        snapshot.maxMapCount = 65530
        snapshot.sysctlFiles = []
        snapshot.staleFiles = [StaleFile(path: "/dev/hugepages/rtemap_0", allocatedBytes: 4 * Fixture.twoMiB, pageSize: Fixture.twoMiB)]
        snapshot.cgroups = [CgroupHugetlb(path: "/pod", directory: "/sys/fs/cgroup/unified/pod",
                                          limits: [CgroupHugetlbLimit(pageSize: Fixture.twoMiB, sizeName: "2MB", reservedMax: Fixture.gib)])]
        var preflight = Preflight.check(snapshot)
        #expect(preflight.problems.map(\.cause) == [.hugepagePool, .hugetlbCgroup])
        #expect(preflight.problems[0].fix.first?.command == "rm -f /dev/hugepages/rtemap_0")
        #expect(preflight.problems[1].fix.first?.command == "echo max > /sys/fs/cgroup/unified/pod/hugetlb.2MB.rsvd.max")
        snapshot.mounts = []
        preflight = Preflight.check(snapshot)
        #expect(preflight.problems.contains { $0.cause == .hugetlbfsSize && $0.summary.hasPrefix("no hugetlbfs mount") })
    }

    @Test("a pool whose every page is taken is a problem")
    func noFreePages() throws {
        var snapshot = vppHost()
        snapshot.pools[0].free = 10
        snapshot.pools[0].reserved = 10
        let problem = try #require(Preflight.check(snapshot).problems.first)
        #expect(problem.summary == "no free huge pages: of 3200 2 MiB pages 10 are free and 10 of those reserved")
        #expect(problem.fix.first?.command.hasPrefix("echo 6400 > ") == true)
    }

    @Test("an empty pool is a problem with a command that fills it")
    func emptyPool() {
        var snapshot = vppHost()
        snapshot.pools = snapshot.pools.map { HugePagePool(pageSize: $0.pageSize, total: 0, free: 0) }
        let preflight = Preflight.check(snapshot)
        #expect(preflight.problems.first?.summary.hasPrefix("no huge pages") == true)
        #expect(preflight.problems.first?.fix.first?.command.hasPrefix("echo 1024 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") == true)
    }

    @Test("the preflight of this machine reads it without changing it and agrees with /proc")
    func liveMachine() throws {
        let preflight = Preflight.run(pid: getpid())
        let max = try String(contentsOfFile: "/proc/sys/vm/max_map_count", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(preflight.passed == preflight.problems.isEmpty)
        #expect(preflight.text.contains("vm.max_map_count: \(max)"))
        #expect(preflight.text.contains("limits of pid \(getpid())"))
        for prediction in preflight.predictions {
            #expect(prediction.passes == (prediction.needed <= prediction.maxMapCount))
        }
        let data = try JSONEncoder().encode(preflight)
        #expect(try JSONDecoder().decode(Preflight.self, from: data) == preflight)
        #expect(String(decoding: data, as: UTF8.self).contains("\"passed\":\(preflight.passed)"))
    }
}
