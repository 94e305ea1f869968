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
        #expect(open.args == call.args.array, "64-bit arguments such as AT_FDCWD survive the round trip")
        #expect(open.name == "openat" && open.pid == 7 && open.tid == 8 && open.time == 1795690000.25)
        #expect(open.fields["path"] == .text(call.string!))
        #expect(open.fields["flags"] == .names(["O_RDWR", "O_CREAT"]))
        #expect(open.text == CallText.render(call))
        #expect(open.result == 16 && open.errno == nil && open.fdPath == "/dev/hugepages/rtemap_0")
        #expect(open.hugetlb && open.pageSize == 2 << 20 && open.mapCount == 41 && open.maxMapCount == 3096)
        #expect(open.later == nil && !open.refused)
        #expect(mmap.errno == "ENOMEM" && mmap.result == nil && mmap.refused && mmap.later == true)
        #expect(mmap.args == [0, 2 << 20, 3, 0x8001, 16, 0] && mmap.hugetlbMapCount == 3061)
    }
}
