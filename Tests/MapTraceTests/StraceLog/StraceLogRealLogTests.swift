import Testing
@testable import MapTrace

/// Each notation, read from real strace 6.1 output recorded on this machine.
struct StraceLogRealLogTests {
    typealias F = StraceLogFixtures

    @Test("every fixture reads without a single issue")
    func fixturesReadCleanly() throws {
        for name in F.singleFiles {
            let log = try F.read(name)
            #expect(log.issues.isEmpty, "\(name): \(log.issues)")
            #expect(!log.events.isEmpty, "\(name)")
        }
    }

    @Test("-f -y -tt: pids, times since midnight, fd paths with commas and quotes, a deleted file")
    func followForksWithPathsAndMicroseconds() throws {
        let log = try F.read("threads-y-tt.log")
        #expect(log.hasPids && log.timeFormat == "tt")
        let calls = F.callsByLine(log)

        let open = try #require(calls[93])
        #expect(open.pid == 13484 && open.name == "openat")
        #expect(F.isClose(open.time, 11 * 3600 + 13 * 60 + 12.602870))
        #expect(open.fdPath(0) == "/tmp/maptrace-fixtures")
        #expect(open.string(1) == "/tmp/maptrace-fixtures/rtemap_0, \"q\"")
        #expect(open.flags(2) == ["O_RDWR", "O_CREAT"])
        #expect(open.integer(3) == 0o600)
        #expect(open.resultFdPath == "/tmp/maptrace-fixtures/rtemap_0, \"q\"" && open.resultValue == 3)

        let write = try #require(calls[94])
        #expect(write.arguments.count == 3)
        #expect(write.string(1) == "a,b\n\t\u{1}\"x\\\0")

        let map = try #require(calls[95])
        #expect(map.integer(0) == 0x17ea00000 && map.integer(1) == 4096)
        #expect(map.flags(3) == ["MAP_SHARED", "MAP_POPULATE"])
        #expect(map.fdPath(4) == "/tmp/maptrace-fixtures/rtemap_0, \"q\"" && map.integer(4) == 3)
        #expect(map.resultValue == 0x17ea00000 && !map.failed)

        // unlinked while open: strace writes `<path>(deleted)`
        #expect(calls[97]?.fdPath(0) == "/tmp/maptrace-fixtures/rtemap_0, \"q\" (deleted)")
    }

    @Test("split calls of interleaved threads are joined at their first half, each with its own pid")
    func interleavedUnfinishedCallsJoinPerPid() throws {
        let log = try F.read("threads-y-tt.log")
        let calls = F.callsByLine(log)
        // 44: 13485 mmap …MAP_HUGETLB… <unfinished>, 45: 13484 mprotect <unfinished>, 46: 13486 resumes,
        // 47: 13485 resumes with ENOMEM, 48: 13484 resumes
        let huge = try #require(calls[44])
        #expect(huge.pid == 13485 && huge.name == "mmap")
        #expect(huge.flags(3) == ["MAP_PRIVATE", "MAP_ANONYMOUS", "MAP_HUGETLB", "21<<MAP_HUGE_SHIFT"])
        #expect(huge.arguments.count == 6 && huge.integer(4) == UInt64(bitPattern: -1))
        #expect(huge.result == "-1" && huge.errnoName == "ENOMEM" && huge.failed && !huge.injected)
        #expect(F.isClose(huge.time, 11 * 3600 + 13 * 60 + 12.602460))
        let protect = try #require(calls[45])
        #expect(protect.pid == 13484 && protect.name == "mprotect" && protect.result == "0")
        #expect(protect.arguments == ["0x7f19b208f000", "8388608", "PROT_READ|PROT_WRITE"])
        // an argument list cut between two arguments
        #expect(calls[30]?.arguments == ["SIG_BLOCK", "~[]", "[]", "8"])
        #expect(calls[43]?.arguments == ["SIG_SETMASK", "[]", "NULL", "8"] && calls[43]?.pid == 13486)
        // cut inside the first argument: `{…} <unfinished ...>` then `<... clone3 resumed> => {…}, 88)`
        let clone = try #require(calls[34])
        #expect(clone.arguments.count == 2 && clone.arguments[0].hasSuffix("} => {parent_tid=[13486]}"))
        #expect(clone.resultValue == 13486)
        // no resumed line is an event of its own, and nothing stays unfinished
        let lines = log.events.map(\.line)
        #expect(lines == lines.sorted() && Set(lines).count == lines.count)
        #expect(!lines.contains(47) && !lines.contains(36))
        for case .call(let call) in log.events { #expect(call.result != nil, "line \(call.line)") }
    }

    @Test("signals carry their siginfo; exits their status or signal, core dump or not")
    func signalsAndExits() throws {
        let log = try F.read("threads-y-tt.log")
        let byLine = Dictionary(uniqueKeysWithValues: log.events.map { ($0.line, $0) })
        guard case .signal(let pid, let name, let fields, let time, _)? = byLine[100] else {
            Issue.record("line 100 is not the SIGBUS")
            return
        }
        #expect(pid == 13488 && name == "SIGBUS" && F.isClose(time, 11 * 3600 + 13 * 60 + 12.603197))
        #expect(fields == ["si_signo": "SIGBUS", "si_code": "BUS_ADRERR", "si_addr": "0x17ea00000"])
        #expect(byLine[101] == .exit(pid: 13488, status: nil, signal: "SIGBUS", line: 101))
        #expect(byLine[108] == .exit(pid: 13489, status: nil, signal: "SIGABRT", line: 108))
        #expect(byLine[114] == .exit(pid: 13490, status: 0, signal: nil, line: 114))
        #expect(byLine[118] == .exit(pid: 13484, status: 1, signal: nil, line: 118))
        if case .signal(_, let name, let fields, _, _)? = byLine[110] {
            #expect(name == "SIGCHLD" && fields["si_code"] == "CLD_DUMPED" && fields["si_status"] == "SIGABRT")
        } else {
            Issue.record("line 110 is not the SIGCHLD")
        }
    }

    @Test("stderr log: [pid N] comes and goes, notices cut lines, and every event still gets its pid")
    func stderrLogWithPidsOnlyWhileSeveralProcesses() throws {
        let log = try F.read("stderr-pids-tt.log")
        #expect(log.issues.isEmpty && log.hasPids)
        let calls = F.callsByLine(log)
        // before any `[pid N]`: the first process, named later by the first pid that is nobody's child
        #expect(calls[1]?.pid == 13495 && calls[1]?.name == "brk")
        // `…tls=0x7f325a6136c0}strace: Process 13497 attached` + ` => {parent_tid=[13497]}, 88) = 13497`
        let clone = try #require(calls[27])
        #expect(clone.pid == 13495 && clone.resultValue == 13497 && clone.arguments.count == 2)
        #expect(clone.arguments[0].hasSuffix("} => {parent_tid=[13497]}"))
        let cutMap = try #require(calls[37])
        #expect(cutMap.pid == 13497 && cutMap.arguments.count == 6 && cutMap.resultValue == 0x7f325b001000)
        // threads gone, pids omitted again: the one process left
        #expect(calls[84]?.pid == 13495 && calls[84]?.string(1) == "/tmp/maptrace-fixtures/rtemap_0, \"q\"")
        // `wait4(-1, strace: Process 13499 attached` / ` <unfinished ...>` … `<... wait4 resumed>NULL, 0, NULL) = 13499`
        let wait = try #require(calls[90])
        #expect(wait.pid == 13495 && wait.arguments == ["-1", "NULL", "0", "NULL"] && wait.resultValue == 13499)
        #expect(log.events.contains(.exit(pid: 13499, status: nil, signal: "SIGBUS", line: 93)))
        #expect(log.events.last == .exit(pid: 13495, status: 1, signal: nil, line: 112))
        for event in log.events { #expect(event.pid != nil, "line \(event.line)") }
    }

    @Test("-r deltas add up to a running time")
    func relativeTimestampsAccumulate() throws {
        let log = try F.read("relative-r.log")
        #expect(log.timeFormat == "r")
        let text = String(decoding: try F.bytes("relative-r.log"), as: UTF8.self)
        let deltas = text.split(separator: "\n").map { Double($0.split(separator: " ")[1])! }
        let times = log.events.compactMap(\.time)
        #expect(times.first == 0 && times == times.sorted())
        let lastCallLine = log.events.last { $0.time != nil }!.line
        let expected = deltas.prefix(lastCallLine).reduce(0, +)
        #expect(F.isClose(times.last, expected, within: 1e-9))
    }

    @Test("-ttt and -e inject: the injected ENOMEM is marked, real ones are not")
    func injectedFailureIsMarked() throws {
        let log = try F.read("inject-ttt.log")
        #expect(log.timeFormat == "ttt")
        let failed = log.events.compactMap { event -> StraceCall? in
            if case .call(let call) = event, call.failed { return call } else { return nil }
        }
        let injected = failed.filter(\.injected)
        #expect(injected.count == 1)
        let call = try #require(injected.first)
        #expect(call.line == 61 && call.name == "mmap" && call.errnoName == "ENOMEM" && call.integer(0) == 0x17ea00000)
        #expect(F.isClose(call.time, 1795691592.826901))
        #expect(failed.filter { !$0.injected }.allSatisfy { $0.flags(3).contains("MAP_HUGETLB") })
        #expect(failed.count == 4)
    }

    @Test("-X verbose names come from the comments; -X raw keeps numbers")
    func verboseAndRawNotation() throws {
        let verbose = F.callsByLine(try F.read("xverbose.log"))
        #expect(verbose[1]?.flags(2) == ["PROT_READ", "PROT_WRITE"] && verbose[1]?.integer(2) == 3)
        #expect(verbose[2]?.integer(0) == UInt64(bitPattern: -100) && verbose[2]?.flags(2) == ["O_RDONLY", "O_CLOEXEC"])
        #expect(verbose[21]?.integer(3) == 0x54040022)
        #expect(verbose[21]?.flags(3) == ["MAP_PRIVATE", "MAP_ANONYMOUS", "MAP_HUGETLB", "21<<MAP_HUGE_SHIFT"])
        #expect(verbose[28]?.string(1) == "/tmp/maptrace-fixtures/rtemap_0, \"q\"" && verbose[28]?.integer(3) == 0o600)
        let raw = F.callsByLine(try F.read("xraw.log"))
        #expect(raw[1]?.flags(2) == ["0x3"] && raw[1]?.integer(2) == 3 && raw[1]?.integer(3) == 0x22)
        #expect(raw[2]?.integer(0) == UInt64(bitPattern: -100))
    }

    @Test("-n and -i columns and -k stack frames are not taken for calls")
    func syscallNumbersPointersAndStacks() throws {
        let log = try F.read("stack-k-n-i.log")
        #expect(!log.hasPids && log.timeFormat == nil)
        let first = try #require(F.callsByLine(log)[1])
        #expect(first.name == "munmap" && first.arguments == ["0x7f60f21b0000", "34751"] && first.pid == nil)
        #expect(log.events.count == 5)
        #expect(log.events.last == .exit(pid: nil, status: 1, signal: nil, line: 26))
    }

    @Test("-t -yy -T: socket and device details, durations, strings cut by -s")
    func secondsDeviceDetailsAndDurations() throws {
        let log = try F.read("pipe-t-yy-T.log")
        #expect(log.timeFormat == "t")
        let calls = F.callsByLine(log)
        let pipe = try #require(calls[1])
        #expect(pipe.arguments == ["[3<pipe:[32212]>, 4<pipe:[32212]>]", "0"] && pipe.duration == 0.000006)
        #expect(F.isClose(pipe.time, 11 * 3600 + 13 * 60 + 17))
        let dup = try #require(calls[10])
        #expect(dup.fdPath(0) == "pipe:[32212]" && dup.fdPath(1) == "/dev/null" && dup.integer(1) == 0)
        #expect(dup.resultFdPath == "pipe:[32212]" && dup.resultValue == 0 && dup.duration == 0.000025)
        let write = try #require(calls[8])
        #expect(write.string(1) == "hello, \"" && write.isTruncatedString(1) && write.integer(2) == 15)
        #expect(calls[25]?.string(1) == "" && calls[25]?.isTruncatedString(1) == false)
        let badClose = try #require(calls[16])
        #expect(badClose.failed && badClose.errnoName == "EBADF" && badClose.duration == 0.000013)
    }

    @Test("an execve from a thread resumes under the leader's pid after 'superseded'")
    func execFromThread() throws {
        let log = try F.read("exec-thread.log")
        let calls = F.callsByLine(log)
        let exec = try #require(calls[2])
        #expect(exec.pid == 13880 && exec.result == "0" && exec.string(0) == "/bin/true")
        #expect(exec.arguments.count == 3 && exec.arguments[2].hasSuffix("/* 35 vars */"))
        #expect(log.events.count == 4 && log.issues.isEmpty)
        #expect(log.events.last == .exit(pid: 13878, status: 0, signal: nil, line: 6))
        // without the "superseded" line (strace --quiet=thread-execve) the first half's mark suffices
        let text = String(decoding: try F.bytes("exec-thread.log"), as: UTF8.self)
        let quiet = StraceLog.parse(text.split(separator: "\n").filter { !$0.contains("superseded") }.joined(separator: "\n"))
        #expect(quiet.issues.isEmpty && F.callsByLine(quiet)[2]?.result == "0")
    }
}
