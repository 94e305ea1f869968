import Foundation
import Testing
@testable import MapTrace

/// Format 2's shapes, and format 1 logs read into them.
@Suite("Log format")
struct LogFormatTests {
    static let fixtures: String = {
        let file = "\(#filePath)"
        return file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/Fixtures"
    }()

    /// One record as the log writes it, parsed back into an object.
    static func object<T: Encodable>(_ value: T) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: LogCoding.encoder().encode(value)) as? [String: Any])
    }

    @Test("a format 1 log (cut from the l2fwd demo) reads into format 2's records: errno and signals typed, the diagnosis flat")
    func format1Log() throws {
        let log = try LogReader.read(path: Self.fixtures + "/format1-l2fwd.jsonl")
        #expect(log.damage == nil && log.header.format == 1 && log.records.count == 11)
        let calls = log.records.compactMap { if case .syscall(let r) = $0 { r } else { nil } }
        #expect(calls.count == 6)
        let failed = try #require(calls.last)
        #expect(failed.call.errno == .noMemory && failed.call.result == nil && failed.refused && !failed.call.injected)
        #expect(failed.call.fdPath == "/dev/hugepages/rtemap_2972" && failed.call.pageSize == 2 << 20)
        #expect(calls.dropLast().allSatisfy { $0.call.errno == nil && $0.call.result != nil })
        let signal = try #require(log.records.lazy.compactMap { if case .signal(let r) = $0 { r } else { nil } }.first)
        #expect(signal.signal.name == "SIGABRT" && signal.signal.rawValue == SIGABRT)
        let exit = try #require(log.records.lazy.compactMap { if case .exit(let r) = $0 { r } else { nil } }.first)
        #expect(exit.signal == Signal(rawValue: SIGABRT) && exit.status == nil)

        let diagnosis = try #require(log.records.lazy.compactMap { if case .diagnosis(let r) = $0 { r.diagnosis } else { nil } }.first)
        #expect(diagnosis.pid == 25418 && diagnosis.tid == 25418 && diagnosis.time == 1795960488.790492 && diagnosis.comm == "l2fwd")
        guard case .call(let call) = diagnosis.failure else { Issue.record("a call failure: \(diagnosis.failure)"); return }
        #expect(call.syscall == .mmap && call.errno == .noMemory && !call.injected && call.result == nil)
        #expect(call.fdPath == "/dev/hugepages/rtemap_2972" && call.pageSize == 2 << 20 && call.stack?.count == 9)
        #expect(call.args == SyscallArguments([0, 2097152, 3, 32769, 4, 0]))
        #expect(diagnosis.cause == .maxMapCount && diagnosis.evidence.value("map_count") == 3097)
        #expect(diagnosis.evidence.value("smallest_max_map_count") == 3325 && diagnosis.fix.count == 4)
        #expect(DiagnosisText.render(diagnosis).hasPrefix("maptrace: mmap failed with ENOMEM in pid 25418 (l2fwd)\n  call:       mmap(NULL"))

        let summary = try #require(log.records.lazy.compactMap { if case .summary(let r) = $0 { r } else { nil } }.first)
        #expect(summary.processes.first?.bytesMappedByPageSize == [2 << 20: 6232735744])
    }

    @Test("a log of a format this maptrace does not know is refused in one line: newer, or below 1")
    func unknownFormats() throws {
        for format in [3, 0] {
            let path = NSTemporaryDirectory() + "maptrace-format-\(getpid())-\(format).jsonl"
            defer { unlink(path) }
            try Data(#"{"type":"header","format":\#(format),"maptrace":"9","kernel":"k","arch":"a","host":"h","start":1,"command":[],"mode":"launch"}"#.utf8 + [0x0A])
                .write(to: URL(fileURLWithPath: path))
            #expect(throws: MapTraceError.self) { try LogReader.read(path: path) }
        }
    }

    @Test("the diagnosis record has its fields at the top level; its failure says its kind")
    func diagnosisRecord() throws {
        let diagnosis = Fixture.diagnoseClassic(Fixture.classicCall(), snapshot: Fixture.classicSnapshot(free: 0),
                                                context: Fixture.classicContext())
        let o = try Self.object(DiagnosisLogRecord(diagnosis: diagnosis))
        #expect(o["type"] as? String == "diagnosis" && o["pid"] as? Int == 5507 && o["cause"] as? String == "max_map_count")
        #expect(o["diagnosis"] == nil && o["call"] == nil)
        let failure = try #require(o["failure"] as? [String: Any])
        #expect(failure["kind"] as? String == "call")
        let call = try #require(failure["call"] as? [String: Any])
        #expect(Set(call.keys) == ["name", "args", "result", "errno", "text", "fd_path", "page_size"])
        #expect(call["result"] is NSNull && (call["errno"] as? [String: Any])?["name"] as? String == "ENOMEM")
        #expect((call["errno"] as? [String: Any])?["number"] as? Int == 12)
        let values = try #require((o["evidence"] as? [String: Any])?["values"] as? [String: Int])
        #expect(values["map_count"] == 3097 && values["max_map_count"] == 3096)
        let also = try #require((o["also_exceeded"] as? [[String: Any]])?.first)
        #expect(also["values"] is [String: Int])
        let back = try LogCoding.decoder().decode(DiagnosisLogRecord.self, from: LogCoding.encoder().encode(DiagnosisLogRecord(diagnosis: diagnosis)))
        #expect(back.diagnosis == diagnosis)
    }

    @Test("a fault and a give-up round-trip with their own fields; a refused brk keeps its result and ENOMEM")
    func failureKinds() throws {
        let fault = Failure.fault(FaultFailure(address: 0x7f00_0020_0000, pageSize: 2 << 20,
                                               text: "--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x7f0000200000} ---"))
        let exit = Failure.exit(ExitFailure(status: "exited with 1"))
        let brk = Failure.call(CallFailure(syscall: .brk, args: SyscallArguments([0x5600_0100_0000]), result: 0x5600_0000_0000,
                                           errno: .noMemory, text: "brk(0x560001000000) = 0x560000000000"))
        for failure in [fault, exit, brk] {
            let data = try LogCoding.encoder().encode(failure)
            #expect(try LogCoding.decoder().decode(Failure.self, from: data) == failure)
        }
        let f = try Self.object(fault)
        #expect(Set(f.keys) == ["kind", "signal", "addr", "page_size", "text"])
        #expect((f["signal"] as? [String: Any])?["name"] as? String == "SIGBUS" && (f["signal"] as? [String: Any])?["number"] as? Int == 7)
        #expect(try Self.object(exit) as NSDictionary == ["kind": "exit", "status": "exited with 1",
                                                          "text": "+++ exited with 1 +++ (no memory call failed)"])
        let b = try #require(try Self.object(brk)["call"] as? [String: Any])
        #expect(b["errno"] is NSNull && b["result"] as? Int == 0x5600_0000_0000, "as the syscall record shows the same call")
    }

    @Test("maps are objects: bytes by page size keyed by the size in decimal, read back")
    func pageSizeKeys() throws {
        var statistics = ProcessStatistics(pid: 7, command: "l2fwd")
        statistics.bytesMappedByPageSize = [2 << 20: 6232735744, 1 << 30: 1 << 30]
        let o = try Self.object(statistics)
        #expect(o["bytes_mapped_by_page_size"] as? [String: Int] == ["2097152": 6232735744, "1073741824": 1 << 30])
        let back = try LogCoding.decoder().decode(ProcessStatistics.self, from: LogCoding.encoder().encode(statistics))
        #expect(back == statistics)
    }
}
