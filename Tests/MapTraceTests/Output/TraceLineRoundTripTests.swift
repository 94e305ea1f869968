import Foundation
import Glibc
import Testing
@testable import MapTrace

/// What maptrace prints with -t/-tt/-ttt/-r/-T/-k, (INJECTED) and -s, read back by the reader
/// `maptrace replay` uses: render → parse gives the same call.
@Suite("Trace line forms round-trip through the strace log reader")
struct TraceLineRoundTripTests {
    static let time = 1_795_691_592.826901

    func event(injected: Bool = false, errno: Int32 = 0, stack: [String]? = nil) -> SyscallEvent {
        var call = CallRecord(syscall: .mmap, args: SyscallArguments([0, 2 << 20, 3, 0x8001, 16, 0]))
        call.fdPath = "/dev/hugepages/rtemap_3"
        call.result = 0x7f00_0020_0000
        call.errno = errno
        call.injected = injected
        call.entryTime = Self.time
        call.duration = 0.000123
        call.stack = stack
        return SyscallEvent(time: Self.time + 0.0002, pid: 4242, tid: 4243, call: call, hugePageSize: 2 << 20,
                            mapCount: 3096, maxMapCount: 3096, hugetlbMapCount: 3, refused: errno != 0)
    }

    /// The lines a TextSink with these options writes for `events`.
    func render(_ events: [SyscallEvent], _ configure: (inout TextSink.Options) -> Void) throws -> String {
        let path = NSTemporaryDirectory() + "maptrace-roundtrip-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        var options = TextSink.Options()
        options.liveStatus = false
        configure(&options)
        let sink = TextSink(out: try TextOutput(path: path), console: nil, options: options)
        for e in events { sink.handle(.syscall(e)) }
        sink.finish()
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    func parsedCall(_ text: String) throws -> StraceCall {
        let log = StraceLog.parse(text)
        #expect(log.issues.isEmpty, "\(log.issues) in:\n\(text)")
        let calls = log.events.compactMap { if case .call(let c) = $0 { c } else { nil } }
        return try #require(calls.first, "no call in:\n\(text)")
    }

    @Test("-tt -T: the time of day with microseconds and the duration come back", arguments: [
        TraceLineFormat.Timestamps.time, .microseconds, .epoch,
    ])
    func timestamps(style: TraceLineFormat.Timestamps) throws {
        let text = try render([event()]) { $0.format.timestamps = style; $0.format.durations = true }
        let call = try parsedCall(text)
        #expect(call.pid == 4243 && call.name == "mmap" && call.fdPath(4) == "/dev/hugepages/rtemap_3")
        #expect(call.duration == 0.000123 && call.mapCount == 3096 && call.mapCountLimit == 3096)
        #expect(call.resultValue == 0x7f00_0020_0000)
        let time = try #require(call.time)
        switch style {
        case .epoch: #expect(abs(time - Self.time) < 0.000001)
        case .microseconds: #expect(abs(time.truncatingRemainder(dividingBy: 60) - Self.time.truncatingRemainder(dividingBy: 60)) < 0.000001)
        default: #expect(time.truncatingRemainder(dividingBy: 60) == Self.time.truncatingRemainder(dividingBy: 60).rounded(.down))
        }
        let log = StraceLog.parse(text)
        #expect(log.timeFormat == (style == .epoch ? "ttt" : style == .microseconds ? "tt" : "t"))
    }

    @Test("-r: the time since the previous line")
    func relative() throws {
        var second = event()
        second.call.entryTime = Self.time + 0.5
        let text = try render([event(), second]) { $0.format.timestamps = .relative }
        #expect(text.contains("[pid 4243]      0.000000 mmap(") && text.contains("[pid 4243]      0.500000 mmap("), "\(text)")
        let log = StraceLog.parse(text)
        #expect(log.issues.isEmpty && log.events.count == 2 && log.timeFormat == "r")
    }

    @Test("an injected failure keeps its (INJECTED) mark, its errno and its duration")
    func injected() throws {
        let text = try render([event(injected: true, errno: ENOMEM)]) { $0.format.durations = true }
        #expect(text.contains("= -1 ENOMEM (Cannot allocate memory) (INJECTED) <0.000123> maps=3096/3096"), "\(text)")
        let call = try parsedCall(text)
        #expect(call.injected && call.failed && call.errnoName == "ENOMEM" && call.duration == 0.000123)
    }

    @Test("-k: the stack lines under a call are read as strace's -k frames, not as calls")
    func stack() throws {
        let text = try render([event(stack: ["__mmap+0x2a (libc.so.6)", "l2fwd+0x1f00"]), event()]) { _ in }
        #expect(text.contains("\n > __mmap+0x2a (libc.so.6)\n > l2fwd+0x1f00\n"), "\(text)")
        let log = StraceLog.parse(text)
        #expect(log.issues.isEmpty, "\(log.issues)")
        #expect(log.events.count == 2)
    }

    @Test("-ff: no [pid N] prefix in a task's own file, and the reader takes it")
    func perTask() throws {
        let dir = NSTemporaryDirectory() + "maptrace-ff-\(getpid())"
        mkdir(dir, 0o755)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = TextSink.Options()
        options.liveStatus = false
        options.perTaskBase = dir + "/trace"
        let sink = TextSink(out: TextOutput(fd: 2), console: nil, options: options)
        sink.handle(.syscall(event()))
        sink.finish()
        let text = try String(contentsOfFile: dir + "/trace.4243", encoding: .utf8)
        #expect(text.hasPrefix("mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, 16</dev/hugepages/rtemap_3>, 0) = 0x7f0000200000"), "\(text)")
        #expect(try parsedCall(text).resultValue == 0x7f00_0020_0000)
    }

    @Test("-s N cuts execve's argument strings and marks them as strace does; the reader sees them cut")
    func stringLimit() throws {
        var call = CallRecord(syscall: .execve, args: SyscallArguments([1, 2, 3, 0, 0, 0]))
        call.string = "/usr/bin/l2fwd-with-a-long-name"
        call.argv = ["l2fwd", "--file-prefix", "abcdefghijkl"]
        call.stringLimit = 6
        let text = CallText.render(call)
        #expect(text.hasPrefix(#"execve("/usr/bin/l2fwd-with-a-long-name", ["l2fwd", "--file"..., "abcdef"...], 0x3)"#), "\(text)")
        let parsed = try parsedCall(text + "\n")
        #expect(parsed.string(0) == "/usr/bin/l2fwd-with-a-long-name")
    }

    @Test("-yy: a device's type and numbers inside its fd path, read back with the fd intact")
    func deviceNumbers() throws {
        var e = event()
        e.call.fdPath = "/dev/zero"
        e.hugePageSize = nil
        let text = try render([e]) { $0.format.deviceNumbers = true; $0.all = true }
        #expect(text.contains(", 16</dev/zero<char 1:5>>, 0) = 0x7f0000200000"), "\(text)")
        let call = try parsedCall(text)
        #expect(call.integer(4) == 16 && call.fdPath(4)?.hasPrefix("/dev/zero") == true, "\(call.arguments)")
    }

    @Test("colour marks the errno and a count at its limit, and only then")
    func colour() {
        let line = TextSink.colourLine("[pid 1] mmap(NULL) = -1 ENOMEM (Cannot allocate memory) maps=3096/3096", event: event(errno: ENOMEM))
        #expect(line.contains("\u{1B}[31m\u{1B}[1mENOMEM\u{1B}[0m") && line.contains("\u{1B}[31mmaps=3096/3096\u{1B}[0m"))
        #expect(TerminalColour.forCount(2900, limit: 3096) == TerminalColour.yellow)
        #expect(TerminalColour.forCount(100, limit: 3096) == nil)
    }
}
