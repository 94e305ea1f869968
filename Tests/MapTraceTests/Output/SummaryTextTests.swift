import Testing
@testable import MapTrace

@Suite("The summary at the end of a run")
struct SummaryTextTests {
    func process(mappings: Int, atFailure: Int?) -> ProcessStatistics {
        var p = ProcessStatistics(pid: 42, command: "l2fwd -m 64")
        p.hugetlbfsFilesOpened = mappings + 1
        p.hugetlbMappings = mappings
        p.bytesMappedByPageSize = [2 << 20: UInt64(mappings) * (2 << 20)]
        p.failuresByErrno = ["ENOMEM": 1]
        p.peakMapCount = 530
        p.exitStatus = 0
        if let atFailure {
            p.firstFailure = "mmap ENOMEM"
            p.hugetlbMappingsAtFailure = atFailure
        }
        return p
    }

    @Test("a process that survives its first failure is said to have gone on, with how many more mappings")
    func survivedFailure() {
        let text = SummaryText.render([process(mappings: 500, atFailure: 490)], diagnoses: 1, laterFailures: 0, drifts: 0)
        #expect(text.contains("pid 42 (l2fwd -m 64): exited with 0"))
        #expect(text.contains("hugetlbfs: 501 files opened, 500 mappings made"))
        #expect(text.contains("2 MiB pages: 1000 MiB mapped"))
        #expect(text.contains("first failure: mmap ENOMEM after 490 hugetlb mappings; the process went on and made 10 more"))
        #expect(text.contains("failed calls: ENOMEM 1"))
    }

    @Test("processes that did nothing with hugetlb memory are left out; later failures and re-syncs are counted")
    func quietProcessesLeftOut() {
        var shell = ProcessStatistics(pid: 41, command: "sh -c ...")
        shell.exitStatus = 0
        let text = SummaryText.render([shell, process(mappings: 3, atFailure: 3)], diagnoses: 1, laterFailures: 2, drifts: 1)
        #expect(!text.contains("pid 41"))
        #expect(text.contains("it made no more after it"))
        #expect(text.contains("1 failure diagnosed; 2 later failing calls not diagnosed again; the model was re-synchronised from /proc 1 time"))
    }
}
