import Glibc
import Testing
@testable import MapTrace

/// -c's table: strace's columns, the areas each call added and removed, hugetlb bytes, causes.
@Suite("The -c call summary")
struct CallSummaryTests {
    func event(_ call: Syscall, args: [UInt64] = [0, 2 << 20, 3, 1, 5, 0], errno: Int32 = 0, seconds: Double,
               mapCount: Int, huge: UInt64? = nil) -> TraceEvent {
        var record = CallRecord(syscall: call, args: SyscallArguments(args))
        record.errno = errno
        record.duration = seconds
        return .syscall(SyscallEvent(time: 0, pid: 7, tid: 7, call: record, hugePageSize: huge, mapCount: mapCount,
                                     maxMapCount: 65530, hugetlbMapCount: 0, refused: errno != 0))
    }

    @Test("calls, errors, time and area changes per call, sorted by time, then hugetlb bytes and causes")
    func table() throws {
        let summary = CallSummary()
        summary.handle(event(.brk, seconds: 0.000010, mapCount: 20))
        summary.handle(event(.mmap, seconds: 0.000300, mapCount: 21, huge: 2 << 20))
        summary.handle(event(.mmap, seconds: 0.000300, mapCount: 22, huge: 2 << 20))
        summary.handle(event(.munmap, seconds: 0.000100, mapCount: 21, huge: 2 << 20))
        summary.handle(event(.mmap, errno: ENOMEM, seconds: 0.000290, mapCount: 21))
        let lines = summary.render().split(separator: "\n").map(String.init)
        #expect(lines[0] == "% time     seconds  usecs/call     calls    errors   +areas   -areas syscall")
        #expect(lines[2] == " 89.00    0.000890         297         3         1        2          mmap")
        #expect(lines[3] == " 10.00    0.000100         100         1                           1 munmap")
        #expect(lines[4] == "  1.00    0.000010          10         1                             brk")
        #expect(lines[6] == "100.00    0.001000                     5         1        2        1 total")
        #expect(lines[7] == "hugetlb: 4 MiB mapped, 2 MiB unmapped (2 MiB pages)")
        #expect(lines.count == 8, "no failures line without a diagnosis")
    }

    @Test("-e trace= narrows the table as it narrows the trace")
    func selected() throws {
        let summary = CallSummary(selection: try TraceExpression.parse(["trace=munmap"]))
        summary.handle(event(.mmap, seconds: 0.0003, mapCount: 21))
        summary.handle(event(.munmap, seconds: 0.0001, mapCount: 20))
        #expect(summary.rows.keys.sorted() == ["munmap"])
        #expect(summary.rows["munmap"]?.areasRemoved == 1)
    }
}
