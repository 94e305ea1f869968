import Foundation
import Testing
@testable import MapTrace

@Suite("The log writer")
struct LogWriterTests {
    @Test("a syscall record written by hand reads back through the log's decoder, strings escaped")
    func syscallRoundTrip() throws {
        let path = NSTemporaryDirectory() + "maptrace-writer-\(getpid()).jsonl"
        defer { unlink(path) }
        let writer = try LogWriter(path: path)
        writer.writeHeader(command: ["l2fwd", "-m", "64"], mode: "launch")
        var call = CallRecord(syscall: .openat, args: SyscallArguments([UInt64(bitPattern: -100), 0x1000, 0o102, 0o600]))
        call.string = "/dev/hugepages/odd \"name\"\\\n\u{1}é"
        call.result = 16
        call.resultPath = "/dev/hugepages/rtemap_0"
        let event = SyscallEvent(time: 1795690000.25, pid: 7, tid: 8, call: call, hugePageSize: 2 << 20, mapCount: 41,
                                 maxMapCount: 3096, hugetlbMapCount: 0, refused: false)
        writer.handle(.syscall(event))
        var failed = CallRecord(syscall: .mmap, args: SyscallArguments([0, 2 << 20, 3, 0x8001, 16, 0]))
        failed.errno = 12
        writer.handle(.laterFailure(SyscallEvent(time: 1795690001, pid: 7, tid: 7, call: failed, hugePageSize: 2 << 20,
                                                 mapCount: 3097, maxMapCount: 3096, hugetlbMapCount: 3061, refused: true)))
        let log = try LogReader.read(path: path)
        #expect(log.damage == nil)
        guard case .syscall(let open) = log.records.first, case .syscall(let mmap) = log.records.last else {
            Issue.record("two syscall records expected: \(log.records)")
            return
        }
        #expect(open.call.args == call.args.array, "64-bit arguments such as AT_FDCWD survive the round trip")
        #expect(open.call.name == "openat" && open.pid == 7 && open.tid == 8 && open.time == 1795690000.25)
        #expect(open.fields["path"] == .text(call.string!))
        #expect(open.fields["flags"] == .names(["O_RDWR", "O_CREAT"]))
        #expect(open.call.text == CallText.render(call))
        #expect(open.call.result == 16 && open.call.errno == nil && open.call.fdPath == "/dev/hugepages/rtemap_0")
        #expect(open.hugetlb && open.call.pageSize == 2 << 20 && open.mapCount == 41 && open.maxMapCount == 3096)
        #expect(open.later == nil && !open.refused && !open.call.injected)
        #expect(mmap.call.errno == .noMemory && mmap.call.result == nil && mmap.refused && mmap.later == true)
        #expect(mmap.call.args == [0, 2 << 20, 3, 0x8001, 16, 0] && mmap.hugetlbMapCount == 3061)
    }

    @Test("the fast path writes the same bytes as the general one for mmap, munmap, mprotect and brk, errno objects included")
    func fastPathMatchesGeneral() {
        var rng = SeededGenerator(seed: 0x5AFE)
        let fast = SyscallRecordBytes()
        let paths: [String?] = [nil, "/dev/hugepages/rtemap_0", "/dev/hugepages/rtemap_1 (deleted)",
                                "/tmp/odd \"name\"\\\n\u{1}\tx é", "/dev/zero (deleted)"]
        let calls: [Syscall] = [.mmap, .munmap, .mprotect, .brk]
        // where a number gains a digit: 10^k - 1 and 10^k, and the largest
        var edges: [UInt64] = [.max]
        var power: UInt64 = 1
        for k in 0..<20 {
            edges += [power - 1, power]
            if k < 19 { power *= 10 }
        }
        let outside = UnsafeMutablePointer<UInt8>.allocate(capacity: SyscallRecordBytes.capacity)
        defer { outside.deallocate() }
        for i in 0..<4000 {
            let syscall = calls[i % calls.count]
            func word() -> UInt64 {
                switch UInt64.random(in: 0..<5, using: &rng) {
                case 0: 0
                case 1: UInt64.random(in: 0..<64, using: &rng)
                case 2: UInt64.random(in: 0..<(1 << 48), using: &rng)
                case 3: edges.randomElement(using: &rng)!
                default: UInt64.random(in: 0...UInt64.max, using: &rng)
                }
            }
            var call = CallRecord(syscall: syscall, args: SyscallArguments([word(), word(), word(), word(),
                                                                         [UInt64.max, 3, 16, 0xFFFF_FF9C][i % 4], word()]))
            call.fdPath = paths[i % paths.count]
            // as the tracer makes them: every call timed, some with a stack (-k)
            call.entryTime = 1_795_690_000 + Double(i) * 0.000123
            call.duration = Double(i % 7) * 0.000011
            if i % 4 == 1 { call.stack = ["mmap64 (libc.so.6)", "main+0x1f (prog)"] }
            switch i % 5 {
            case 0: call.errno = [12, 22, 1, 11, 4095][(i / 5) % 5]
            case 1: call.neverReturned = true
            default: call.result = Int64(bitPattern: word())
            }
            let event = SyscallEvent(time: 1_795_690_000 + Double(i) * 0.000123, pid: Int32(i), tid: -Int32(i),
                                     call: call, hugePageSize: i % 3 == 0 ? 2 << 20 : nil, mapCount: i * 7,
                                     maxMapCount: 65530, hugetlbMapCount: i, refused: i % 2 == 0)
            let later: Bool? = [nil, true, false][i % 3]
            // every other record made in a buffer of the caller's, as in the log file's mapping
            let covered = i % 2 == 0 ? fast.format(event, later: later) : fast.format(event, later: later, into: outside)
            #expect(covered)
            #expect(i % 2 == 0 || fast.bytes.baseAddress == UnsafeRawPointer(outside), "made where it was asked to be")
            var injected = event
            injected.call.injected = true
            #expect(!fast.format(injected, later: later), "an injected result goes the general way, which marks it")
            let general = SyscallRecordBytes.general(event, later: later)
            let text = String(decoding: general, as: UTF8.self)
            if call.failed {
                #expect(text.contains(#","result":null,"errno":{"name":"\#(errnoName(call.errno))","number":\#(call.errno)}"#), "\(text)")
            } else {
                #expect(text.contains(#","errno":null"#) && !text.contains("injected"), "\(text)")
            }
            if Array(fast.bytes) != general {
                Issue.record("differs for \(call):\n\(String(decoding: fast.bytes, as: UTF8.self))\(String(decoding: general, as: UTF8.self))")
                return
            }
        }
    }

    @Test("a log larger than one chunk of its mapping is whole, and trimmed to its length at close")
    func chunks() throws {
        let path = NSTemporaryDirectory() + "maptrace-chunks-\(getpid()).jsonl"
        defer { unlink(path) }
        let writer = try LogWriter(path: path)
        writer.writeHeader(command: ["x"], mode: "launch")
        var call = CallRecord(syscall: .mmap, args: SyscallArguments([0, 4096, 3, 0x22, UInt64.max, 0]))
        call.result = 0x7f00_0000_0000
        let count = 30_000  // about 600 bytes each: more than 4 chunks of 4 MiB
        for i in 0..<count {
            call.fdPath = String(repeating: "p", count: 200 + i % 7)
            writer.handle(.syscall(SyscallEvent(time: Double(i), pid: 1, tid: 1, call: call, hugePageSize: nil, mapCount: i,
                                                maxMapCount: 65530, hugetlbMapCount: 0, refused: false)))
        }
        writer.close()
        var st = stat()
        #expect(stat(path, &st) == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Int(st.st_size) == data.count && data.last == 0x0A && !data.contains(0), "no zero bytes after close")
        let log = try LogReader.read(path: path)
        #expect(log.damage == nil && log.records.count == count)
        if case .syscall(let last) = log.records.last { #expect(last.mapCount == count - 1) }
    }

    @Test("a log that ends in zero bytes (its writer was killed) is read to its last record; a record cut there is partial")
    func zeroTail() throws {
        let path = NSTemporaryDirectory() + "maptrace-zerotail-\(getpid()).jsonl"
        defer { unlink(path) }
        let writer = try LogWriter(path: path)
        writer.writeHeader(command: ["x"], mode: "launch")
        var call = CallRecord(syscall: .munmap, args: SyscallArguments([0x7f00_0000_0000, 4096]))
        call.result = 0
        for i in 0..<10 {
            writer.handle(.syscall(SyscallEvent(time: Double(i), pid: 1, tid: 1, call: call, hugePageSize: nil, mapCount: i,
                                                maxMapCount: 65530, hugetlbMapCount: 0, refused: false)))
        }
        writer.close()
        var whole = try Data(contentsOf: URL(fileURLWithPath: path))
        // as a SIGKILL leaves it: the rest of the chunk, zero
        try (whole + Data(count: 100_000)).write(to: URL(fileURLWithPath: path))
        let killed = try LogReader.read(path: path)
        #expect(killed.damage == nil && killed.records.count == 10 && !killed.hasSummary)
        // killed in the middle of copying a record
        whole.removeLast(30)
        try (whole + Data(count: 5000)).write(to: URL(fileURLWithPath: path))
        let cut = try LogReader.read(path: path)
        #expect(cut.records.count == 9)
        #expect(cut.damage?.contains("partial record at line 11") == true, "\(cut.damage ?? "")")
        // zero bytes followed by more data are damage, not an end
        try (whole + Data(count: 100) + Data("{\"type\":\"summary\"}\n".utf8)).write(to: URL(fileURLWithPath: path))
        let damaged = try LogReader.read(path: path)
        #expect(damaged.damage != nil)
    }

    @Test("a record's time is written with at most 7 decimals and reads back as the same Double for any time of day since 1970")
    func timeRoundTrip() {
        func text(_ t: Double) -> String {
            var out = ""
            JSONLine.seconds(t) { out = String(decoding: $0, as: UTF8.self) }
            return out
        }
        #expect(text(1795690000.25) == "1795690000.25")
        #expect(text(1795690001) == "1795690001.0")
        #expect(text(0.0000001) == "0.0000001")
        #expect(text(12.99999999) == "13.0")
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<100_000 {
            let t = Double.random(in: 1_000_000_000..<4_200_000_000, using: &rng)
            let written = text(t)
            #expect(Double(written) == t, "\(t) written as \(written)")
            if Double(written) != t { return }
        }
        let now = Clock.realtime()
        #expect(Double(text(now)) == now)
    }
}
