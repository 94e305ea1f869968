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

@Suite("What the summary says after an injected failure")
struct InjectionSummaryTests {
    @Test("the program's reaction: retried, went on, how it ended; one of a thing is singular")
    func reaction() throws {
        var call = CallRecord(syscall: .mmap, args: SyscallArguments([0, 4096, 3, 0x22, UInt64.max, 0]))
        call.errno = 12
        let rule = try #require(try TraceExpression.parse(["inject=mmap:error=ENOMEM:when=3"]).injections.first)
        var reaction = InjectionReaction(pid: 9, tid: 9, call: call, rule: rule, occurrence: 3)
        var retry = call
        retry.errno = 0
        reaction.observe(tid: 9, call: retry, hugePageSize: nil)
        var other = CallRecord(syscall: .mmap, args: SyscallArguments([0, 2 << 20, 3, 1, 5, 0]))
        other.result = 0x7f0000000000
        reaction.observe(tid: 9, call: other, hugePageSize: 2 << 20)
        var process = ProcessStatistics(pid: 9, command: "l2fwd")
        process.killedBy = "SIGABRT"
        let text = SummaryText.injection(reaction, process: process)
        #expect(text == "  injected: mmap ENOMEM into pid 9 at its 3rd mmap (-e inject=mmap:error=ENOMEM:when=3); the program "
                + "retried the same call 1 time (it then succeeded), went on and made 1 more mapping (1 on hugetlb) and was killed by SIGABRT")
        #expect(plural(1, "file") == "1 file" && plural(2, "file") == "2 files" && plural(0, "call") == "0 calls")
        #expect(SummaryText.ordinal(11) == "11th" && SummaryText.ordinal(3061) == "3061st" && SummaryText.ordinal(22) == "22nd")
    }
}
