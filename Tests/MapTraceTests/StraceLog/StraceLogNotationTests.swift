import Testing
@testable import MapTrace

/// Argument splitting, numbers, flags, strings and the corners of the line grammar.
struct StraceLogNotationTests {
    /// The only call of a one-line log.
    func call(_ line: String) throws -> StraceCall {
        let log = StraceLog.parse(line + "\n")
        #expect(log.issues.isEmpty, "\(log.issues)")
        guard case .call(let call)? = log.events.first, log.events.count == 1 else {
            throw StraceLogTestFiles.Failure(description: "no single call in: \(line)")
        }
        return call
    }

    @Test("arguments split only on commas outside structs, arrays, calls, strings, comments and fd paths")
    func argumentSplitting() throws {
        let c = try call(#"f("a, b", {x=1, y=[2, 3], z={w="}"}}, [{a=inet_addr("1,2")}], "q\"uote,", 3</a, b\76>, "\\", /* x, y */ 0x1, 21<<MAP_HUGE_SHIFT) = 0"#)
        #expect(c.arguments == [
            #""a, b""#, #"{x=1, y=[2, 3], z={w="}"}}"#, #"[{a=inet_addr("1,2")}]"#, #""q\"uote,""#,
            #"3</a, b\76>"#, #""\\""#, "/* x, y */ 0x1", "21<<MAP_HUGE_SHIFT",
        ])
        #expect(c.string(0) == "a, b" && c.string(3) == "q\"uote," && c.string(5) == "\\")
        #expect(c.fdPath(4) == "/a, b>" && c.integer(4) == 3)
        #expect(try call("getpid()          = 4951").arguments.isEmpty)
        let socket = try call("close(5<TCP:[127.0.0.1:56407->127.0.0.1:51890]>, 4<UNIX:[1->2]>) = 0")
        #expect(socket.arguments.count == 2 && socket.fdPath(0) == "TCP:[127.0.0.1:56407->127.0.0.1:51890]")
    }

    @Test("numbers: decimal, hex, octal, negative, NULL and AT_FDCWD; words are not numbers")
    func numbers() throws {
        let c = try call("f(0600, 0x7f3a00000000, -1, NULL, AT_FDCWD, 18446744073709551615, PROT_READ, \"7\", 3</x>, -100 /* AT_FDCWD */, 8192*1024, 0, child_stack=NULL) = 0x7fffffffffffffff")
        #expect(c.integer(0) == 0o600 && c.integer(1) == 0x7f3a00000000)
        #expect(c.integer(2) == UInt64.max && c.integer(3) == 0 && c.integer(4) == UInt64(bitPattern: -100))
        #expect(c.integer(5) == UInt64.max && c.integer(6) == nil && c.integer(7) == nil)
        #expect(c.integer(8) == 3 && c.integer(9) == UInt64(bitPattern: -100) && c.integer(10) == nil)
        #expect(c.integer(11) == 0 && c.integer(12) == 0 && c.integer(13) == nil && c.integer(-1) == nil)
        #expect(c.resultValue == Int64.max)
        #expect(try call("exit_group(1) = ?").resultValue == nil)
        #expect(try call("lseek(3, 0, SEEK_CUR) = -1 ESPIPE (Illegal seek)").resultValue == -1)
    }

    @Test("flags: names split on |, 0 is empty, shifts and hex leftovers stay, field names go")
    func flags() throws {
        let c = try call("f(PROT_READ|PROT_WRITE, 0, PROT_NONE, MAP_SHARED|0x40000000, flags=CLONE_VM|SIGCHLD, 0x3 /* PROT_READ|PROT_WRITE */, MAP_HUGETLB|30<<MAP_HUGE_SHIFT) = 0")
        #expect(c.flags(0) == ["PROT_READ", "PROT_WRITE"] && c.flags(1) == [] && c.flags(2) == ["PROT_NONE"])
        #expect(c.flags(3) == ["MAP_SHARED", "0x40000000"] && c.flags(4) == ["CLONE_VM", "SIGCHLD"])
        #expect(c.flags(5) == ["PROT_READ", "PROT_WRITE"] && c.flags(6) == ["MAP_HUGETLB", "30<<MAP_HUGE_SHIFT"])
        #expect(c.flags(7) == [])
    }

    @Test("strings: every escape strace writes is undone; a cut string keeps what was printed")
    func strings() throws {
        let c = try call(#"f("\x41\101\n\t\r\v\f\"\\\0\1777", "abc"..., "", x) = 0"#)
        #expect(c.string(0) == "AA\n\t\r\u{0B}\u{0C}\"\\\0\u{7F}7")
        #expect(c.string(1) == "abc" && c.isTruncatedString(1) && !c.isTruncatedString(0))
        #expect(c.string(2) == "" && c.string(3) == nil && c.string(9) == nil)
    }

    @Test("results: errno, INJECTED, -T duration and maptrace's maps=N/M annotation")
    func resultDecorations() throws {
        let maptrace = try call("[pid 4242] 11:05:44.238413 mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, 16</dev/hugepages/rtemap_3>, 0) = -1 ENOMEM (Cannot allocate memory) maps=3096/3096")
        #expect(maptrace.pid == 4242 && maptrace.failed && maptrace.errnoName == "ENOMEM")
        #expect(maptrace.mapCount == 3096 && maptrace.mapCountLimit == 3096)
        #expect(maptrace.fdPath(4) == "/dev/hugepages/rtemap_3")
        let ok = try call("[pid 4242] mmap(NULL, 2097152, PROT_READ, MAP_SHARED, 17</dev/hugepages/rtemap_4>, 0) = 0x7f0000200000 maps=38/65530")
        #expect(ok.resultValue == 0x7f0000200000 && ok.mapCount == 38 && ok.mapCountLimit == 65530 && !ok.failed)
        let injected = try call("mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = -1 ENOMEM (Cannot allocate memory) (INJECTED) <0.000012>")
        #expect(injected.injected && injected.failed && injected.duration == 0.000012)
        let restart = try call("nanosleep({tv_sec=5, tv_nsec=0}, 0x7ffd) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)")
        #expect(restart.result == "?" && restart.errnoName == "ERESTART_RESTARTBLOCK" && !restart.failed)
        let died = try call("[pid 7] futex(0x7f, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>) = ?")
        #expect(died.arguments == ["0x7f", "FUTEX_WAIT_PRIVATE", "2", "NULL"] && died.result == "?")
        let noted = try call("fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)")
        #expect(noted.resultValue == 1 && noted.errnoName == nil)
    }

    @Test("a call left unfinished keeps a nil result; a resume without its start is reported")
    func unmatchedHalves() {
        let log = StraceLog.parse("""
            [pid 10] mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0 <unfinished ...>
            [pid 11] <... munmap resumed>) = 0
            [pid 11] +++ exited with 0 +++
            """)
        #expect(log.events.count == 3)
        if case .call(let open) = log.events[0] {
            #expect(open.result == nil && open.arguments.count == 6 && open.pid == 10 && open.line == 1)
        }
        if case .call(let orphan) = log.events[1] { #expect(orphan.name == "munmap" && orphan.result == "0") }
        #expect(log.issues.map(\.line) == [2] && log.issues[0].message.contains("without its unfinished start"))
    }

    @Test("-t clocks that cross midnight keep counting; -ttt stays epoch seconds")
    func midnight() {
        let log = StraceLog.parse("23:59:59 a() = 0\n00:00:01 b() = 0\n")
        #expect(log.events.map(\.time) == [86_399, 86_401] && log.timeFormat == "t")
        let epoch = StraceLog.parse("1795691232 a() = 0\n")
        #expect(epoch.timeFormat == "ttt" && epoch.events.first?.time == 1_795_691_232)
    }

    @Test("group stops, CRLF endings and strace's own messages")
    func oddLines() {
        let log = StraceLog.parse("strace: Process 5 attached\r\n[pid 5] --- stopped by SIGSTOP ---\r\n[pid 5] getpid() = 5\r\n\n")
        #expect(log.issues.isEmpty && log.events.count == 2)
        #expect(log.events.first == .signal(pid: 5, name: "SIGSTOP", fields: [:], time: nil, line: 2))
    }

    @Test("lines that are not strace are reported with their numbers, and reading goes on")
    func issuesCarryLineNumbers() {
        let log = StraceLog.parse("getpid() = 1\nhello world\nmmap(NULL, 4096, PROT_RE\n+++ exited with 0 +++\nmmap(NULL, 4")
        #expect(log.events.count == 2)
        #expect(log.issues.map(\.line) == [2, 3, 5])
        #expect(log.issues[1].message.contains("truncated"))
        #expect(log.issues[2].message.contains("without a newline"))
    }
}
