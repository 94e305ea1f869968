import Foundation

/// Format 1 logs, read into format 2's types. What differed: errno was a name in syscall records
/// and a number in the diagnosis; signals were names; the diagnosis was nested under
/// `"diagnosis"` with its failed call (`syscall`, `errno`, `path`, `hugetlb_page_size`,
/// `signal_address`, `pid`, `tid`, `time`) inside, "SIGBUS" or "exit" standing in for a call's
/// name; evidence values were a list of `{name, value}`; and `bytes_mapped_by_page_size` was a flat
/// array of pairs (`PageSizeKeyed` reads that one).
enum LogFormat1 {
    /// The record of TYPE from a format 1 line, or nil when the type's shape did not change.
    static func decode(type: String, line: Data, object: [String: Any], with decoder: JSONDecoder) throws -> LogRecord? {
        switch type {
        case "syscall":
            var record = try SyscallLogRecord(json: object, errno: errnoName)
            record.call.injected = record.call.text.hasSuffix("(INJECTED)")
            return .syscall(record)
        case "signal":
            let r = try decoder.decode(SignalRecord.self, from: line)
            return .signal(SignalLogRecord(time: r.time, pid: r.pid, tid: r.tid, signal: try signal(r.signal),
                                           code: r.code, addr: r.addr))
        case "exit":
            let r = try decoder.decode(ExitRecord.self, from: line)
            return .exit(ExitLogRecord(time: r.time, pid: r.pid, tid: r.tid, status: r.status,
                                       signal: try r.signal.map(signal), coreDumped: r.coreDumped, process: r.process))
        case "diagnosis":
            return .diagnosis(DiagnosisLogRecord(diagnosis: try decoder.decode(DiagnosisRecord.self, from: line).diagnosis.converted()))
        default:
            return nil
        }
    }

    /// `"ENOMEM"`, or absent.
    static func errnoName(_ value: Any?) throws -> Errno? {
        guard let value, !(value is NSNull) else { return nil }
        guard let name = value as? String, let errno = Errno(name: name) else { throw LogCoding.LogReadError.badField("errno") }
        return errno
    }

    static func signal(_ name: String) throws -> Signal {
        guard let signal = Signal(name: name) else { throw LogCoding.LogReadError.badField("signal") }
        return signal
    }

    struct SignalRecord: Decodable {
        var time: Double
        var pid: Int32
        var tid: Int32
        var signal: String
        var code: Int32
        var addr: UInt64?
    }

    struct ExitRecord: Decodable {
        var time: Double
        var pid: Int32
        var tid: Int32
        var status: Int32?
        var signal: String?
        var coreDumped: Bool
        var process: Bool
    }

    struct DiagnosisRecord: Decodable {
        var diagnosis: Diagnosis
    }

    struct Diagnosis: Decodable {
        var call: FailedCall
        var comm: String?
        var cause: Cause
        var certainty: Certainty
        var evidence: Evidence
        var ruledOut: [RuledOut]
        var notChecked: [RuledOut]?
        var alsoExceeded: [Finding]
        var fix: [FixCommand]
        var pattern: String?
        var setBy: String?

        func converted() throws -> MapTrace.Diagnosis {
            var d = MapTrace.Diagnosis(
                time: call.time, pid: call.pid, tid: call.tid, comm: comm, failure: try call.failure(), cause: cause,
                certainty: certainty,
                evidence: MapTrace.Evidence(values: evidence.values.map(\.converted), sentence: evidence.sentence,
                                            details: evidence.details),
                ruledOut: ruledOut, alsoExceeded: alsoExceeded.map(\.converted), fix: fix, pattern: pattern, setBy: setBy)
            d.notChecked = notChecked
            return d
        }
    }

    /// Format 1's failed call: a call, or a fault or a give-up under a call's field names.
    struct FailedCall: Decodable {
        var pid: Int32
        var tid: Int32
        var syscall: String
        var args: [UInt64]
        var errno: Int32
        var text: String
        var path: String?
        var hugetlbPageSize: UInt64?
        var signalAddress: UInt64?
        var time: Double
        var stack: [String]?

        func failure() throws -> Failure {
            switch syscall {
            case "SIGBUS":
                return .fault(FaultFailure(address: signalAddress ?? args.first ?? 0, pageSize: hugetlbPageSize, text: text,
                                           file: path))
            case "exit":
                // "+++ exited with 1 +++ (no memory call failed)"
                let status = text.hasPrefix("+++ ") ? text.dropFirst(4).prefix { $0 != "+" }.trimmingCharacters(in: .whitespaces) : text
                return .exit(ExitFailure(status: status, text: text))
            default:
                guard let call = Syscall(name: syscall) else {
                    throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown call \(syscall)"))
                }
                // The path was the fd's path for a call with an fd argument, else its path argument.
                let hasFd = call.fdArgument != nil
                return .call(CallFailure(syscall: call, args: SyscallArguments(args), errno: Errno(rawValue: errno),
                                         injected: text.contains("(INJECTED)"), text: text,
                                         fdPath: hasFd ? path : nil, pageSize: hugetlbPageSize, stack: stack,
                                         path: hasFd ? nil : path))
            }
        }
    }

    struct Evidence: Decodable {
        var values: [Value]
        var sentence: String
        var details: [String]
    }

    struct Value: Decodable {
        var name: String
        var value: Int
        var converted: EvidenceValue { EvidenceValue(name, value) }
    }

    struct Finding: Decodable {
        var cause: Cause
        var certainty: Certainty
        var values: [Value]
        var sentence: String
        var details: [String]
        var fix: [FixCommand]
        var setBy: String?

        var converted: MapTrace.Finding {
            MapTrace.Finding(cause: cause, certainty: certainty, values: values.map(\.converted), sentence: sentence,
                             details: details, fix: fix, setBy: setBy)
        }
    }
}
