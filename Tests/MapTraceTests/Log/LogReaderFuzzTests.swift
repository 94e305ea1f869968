import Foundation
import Testing
@testable import MapTrace

/// The post-mortem log reader on random and mutated input: it must return or throw its one-line
/// error, never crash or hang.
@Suite("Log reader under fuzzing")
struct LogReaderFuzzTests {
    /// A small but complete log: header, calls, a signal, a diagnosis, an exit, the summary.
    static func sampleLog() throws -> Data {
        let encoder = LogCoding.encoder()
        var lines: [Data] = []
        lines.append(try encoder.encode(LogHeader(kernel: "6.18", arch: "x86_64", host: "h", start: 1, command: ["l2fwd", "-m", "64"],
                                                  mode: "launch", system: Snapshot(maxMapCount: 3096))))
        for i in 0..<20 {
            var call = CallRecord(syscall: .mmap, args: SyscallArguments([0, 2 << 20, 3, 0x8001, 3, 0]))
            call.fdPath = "/dev/hugepages/rtemap_\(i)"
            call.result = 0x7f00_0000_0000
            let event = SyscallEvent(time: Double(i), pid: 7, tid: 7, call: call, hugePageSize: 2 << 20, mapCount: 36 + i,
                                     maxMapCount: 3096, hugetlbMapCount: i, refused: false)
            lines.append(Data(SyscallRecordBytes.general(event, later: nil).dropLast()))
        }
        lines.append(try encoder.encode(SignalLogRecord(time: 21, pid: 7, tid: 7, signal: .bus, code: 2, addr: 0x7f00_0000_0000)))
        let call = Failure.call(CallFailure(syscall: .mmap, args: SyscallArguments([0, 2 << 20, 3, 0x8001, 3, 0]),
                                            errno: .noMemory, text: "mmap(...)"))
        let diagnosis = Fixture.diagnoseClassic(call, snapshot: Snapshot(process: ProcessState(pid: 7, comm: "l2fwd", mapCount: 3097), maxMapCount: 3096),
                                 context: TraceContext())
        lines.append(try encoder.encode(DiagnosisLogRecord(diagnosis: diagnosis)))
        lines.append(try encoder.encode(ExitLogRecord(time: 22, pid: 7, tid: 7, status: nil, signal: Signal(name: "SIGABRT"), coreDumped: false, process: true)))
        lines.append(try encoder.encode(SummaryLogRecord(time: 23, processes: [], diagnoses: 1, laterFailures: 0, drifts: 0, exitStatus: 134)))
        return Data(lines.joined(separator: [0x0A])) + Data([0x0A])
    }

    @Test("the sample log reads whole: every record, no damage")
    func sampleReads() throws {
        let path = NSTemporaryDirectory() + "maptrace-fuzz-\(getpid())-whole.jsonl"
        defer { unlink(path) }
        try Self.sampleLog().write(to: URL(fileURLWithPath: path))
        let log = try LogReader.read(path: path)
        #expect(log.records.count == 24)  // the header is apart
        #expect(log.damage == nil)
        #expect(log.header.command == ["l2fwd", "-m", "64"])
    }

    @Test("random bytes and mutations of a real log never crash the reader and stay within the time bound")
    func fuzz() throws {
        let sample = try Self.sampleLog()
        let path = NSTemporaryDirectory() + "maptrace-fuzz-\(getpid()).jsonl"
        defer { unlink(path) }
        var rng = SeededGenerator(seed: 0x6d61_7074)
        let start = Date()
        var inputs = 0, damaged = 0, refused = 0
        while inputs < 1500 && Date().timeIntervalSince(start) < 3 {
            var data = sample
            switch rng.next() % 6 {
            case 0:  // random bytes
                data = Data((0..<Int(rng.next() % 4096)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            case 1:  // byte flips
                for _ in 0..<(1 + rng.next() % 16) { data[Int(rng.next() % UInt64(data.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            case 2:  // truncation
                data = data.prefix(Int(rng.next() % UInt64(data.count)))
            case 3:  // a duplicated slice
                let a = Int(rng.next() % UInt64(data.count)), b = min(data.count, a + Int(rng.next() % 512))
                data.insert(contentsOf: data[a..<b], at: Int(rng.next() % UInt64(data.count)))
            case 4:  // lines shuffled
                var lines = data.split(separator: 0x0A)
                for i in lines.indices.reversed() { lines.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                data = Data(lines.joined(separator: [0x0A]))
            default:  // a slice deleted
                let a = Int(rng.next() % UInt64(data.count)), b = min(data.count, a + Int(rng.next() % 256))
                data.removeSubrange(a..<b)
            }
            try data.write(to: URL(fileURLWithPath: path))
            do {
                let log = try LogReader.read(path: path, maximumLineLength: 1 << 20)
                if log.damage != nil { damaged += 1 }
            } catch let error as MapTraceError {
                #expect(!error.description.contains("\n"), "one line: \(error)")
                refused += 1
            }
            inputs += 1
        }
        #expect(inputs >= 100)
        #expect(damaged > 0 && refused > 0, "the mutations reach both outcomes: \(damaged) damaged, \(refused) refused")
    }
}

