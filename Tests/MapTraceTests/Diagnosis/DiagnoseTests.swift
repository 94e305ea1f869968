import Foundation
import Testing
@testable import MapTrace

@Suite("diagnose")
struct DiagnoseTests {
    @Test("when max_map_count and the pool are both exceeded, the limit the kernel checks first is named")
    func severalLimitsAtOnce() throws {
        let snapshot = Fixture.classicSnapshot(free: 0)
        let diagnosis = Fixture.diagnoseClassic(Fixture.classicCall(), snapshot: snapshot, context: Fixture.classicContext())
        #expect(diagnosis.cause == .maxMapCount)
        #expect(diagnosis.certainty == .confirmed)
        #expect(diagnosis.alsoExceeded.map(\.cause) == [.hugepagePool])
        #expect(diagnosis.setBy == "/etc/sysctl.d/80-vpp.conf:3")
        #expect(diagnosis.evidence.value("map_count") == 3097)
    }

    @Test("every limit that did not fire is ruled out with its numbers")
    func ruledOutCarriesNumbers() throws {
        let diagnosis = Fixture.diagnoseClassic(Fixture.classicCall(), snapshot: Fixture.classicSnapshot(), context: Fixture.classicContext())
        #expect(diagnosis.alsoExceeded.isEmpty)
        let pool = try #require(diagnosis.ruledOut.first { $0.cause == .hugepagePool })
        #expect(pool.applicable)
        #expect(pool.reason == "139 free − 0 reserved ≥ 1 needed (2 MiB)")
        #expect(diagnosis.ruledOut.first { $0.cause == .hugetlbfsSize }?.reason == "no size= on /dev/hugepages")
        #expect(diagnosis.ruledOut.first { $0.cause == .rlimitAS }?.reason == "unlimited")
        // hugetlb memory is never charged to overcommit.
        #expect(diagnosis.ruledOut.first { $0.cause == .overcommit }?.applicable == false)
        let ruled = Set(diagnosis.ruledOut.map(\.cause))
        #expect(ruled.count + 1 == Diagnosis.rules.count)
    }

    @Test("the pattern line comes from what the tracer counted and the -m option")
    func patternLine() {
        let diagnosis = Fixture.diagnoseClassic(Fixture.classicCall(), snapshot: Fixture.classicSnapshot(), context: Fixture.classicContext())
        #expect(diagnosis.pattern == "openat+mmap on hugetlbfs: 3062 files, one mapping per 2 MiB page, 6122 MiB mapped; "
            + "-m asked for 64 MiB")
    }

    @Test("a failure no rule explains is unknown, and says what was checked")
    func unexplainedFailure() {
        var snapshot = Fixture.classicSnapshot(mapCount: 100)
        snapshot.pools[0].free = 3000
        let diagnosis = Fixture.diagnoseClassic(Fixture.classicCall(), snapshot: snapshot, context: TraceContext())
        #expect(diagnosis.cause == .unknown)
        #expect(diagnosis.certainty == .possible)
        #expect(diagnosis.evidence.sentence.contains("max_map_count"))
        #expect(diagnosis.evidence.sentence.contains("hugepage_pool"))
    }

    @Test("an injected failure is never explained as a limit: its cause is injected, confirmed")
    func injectedFailure() {
        guard case .call(var call) = Fixture.classicCall() else { Issue.record("not a call"); return }
        call.injected = true
        call.text += " (INJECTED)"
        let diagnosis = Fixture.diagnoseClassic(.call(call), snapshot: Fixture.classicSnapshot(), context: Fixture.classicContext())
        #expect(diagnosis.cause == .injected && diagnosis.certainty == .confirmed)
        #expect(diagnosis.fix.isEmpty && diagnosis.alsoExceeded.isEmpty)
        #expect(diagnosis.evidence.sentence.contains("injected"))
    }

    @Test("a diagnosis survives a JSON round trip with stable cause ids")
    func jsonRoundTrip() throws {
        let diagnosis = Fixture.diagnoseClassic(Fixture.classicCall(), snapshot: Fixture.classicSnapshot(free: 0), context: Fixture.classicContext())
        let data = try JSONEncoder().encode(diagnosis)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"cause\":\"max_map_count\""))
        #expect(text.contains("\"certainty\":\"confirmed\""))
        #expect(try JSONDecoder().decode(Diagnosis.self, from: data) == diagnosis)
    }

    @Test("the terminal text names the call, the cause, the numbers, what was ruled out and the fix")
    func terminalText() {
        let diagnosis = Fixture.diagnoseClassic(Fixture.classicCall(), snapshot: Fixture.classicSnapshot(), context: Fixture.classicContext())
        let text = DiagnosisText.render(diagnosis)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "maptrace: mmap failed with ENOMEM in pid 5507 (l2fwd)")
        #expect(lines.contains { $0.hasPrefix("  call:") && $0.contains("rtemap_3061") })
        #expect(lines.contains("  cause:      max_map_count (confirmed)"))
        #expect(lines.contains { $0.hasPrefix("  evidence:   vm.max_map_count [3096] is too low") })
        #expect(lines.contains("              set by /etc/sysctl.d/80-vpp.conf:3"))
        #expect(lines.contains { $0.hasPrefix("  ruled out:") })
        #expect(text.contains("hugepage_pool (139 free − 0 reserved ≥ 1 needed (2 MiB))"))
        #expect(lines.contains { $0.hasPrefix("  fix:        sysctl -w vm.max_map_count=65530") })
        #expect(!lines.contains { $0.contains("--single-file-segments") })
        #expect(lines.allSatisfy { $0.count <= 160 })
    }
}
