/// The post-mortem log's format version (docs/log-format.md). A reader refuses a newer one and
/// still reads format 1 (`LogFormat1`).
public let logFormatVersion = 2

/// The first record: who wrote the log, where, and the state of the system at the start.
public struct LogHeader: Codable, Sendable {
    public var type = "header"
    public var format = logFormatVersion
    public var maptrace = maptraceVersion
    public var kernel: String
    public var arch: String
    public var host: String
    public var start: Double
    public var command: [String]
    /// "launch" (under the seccomp filter) or "attach" (-p, no filter).
    public var mode: String
    public var system: Snapshot?
}

/// A completed call: the call's fields (`LoggedCall`) at the top level of the record, with where
/// and when it was made and what it did to the process's mappings.
public struct SyscallLogRecord: Sendable {
    public var time: Double
    public var pid: Int32
    public var tid: Int32
    public var call: LoggedCall
    /// The arguments decoded by name (`addr`, `prot`: `["PROT_READ"]`, `path`).
    public var fields: [String: FieldValue]
    public var hugetlb: Bool
    public var mapCount: Int
    public var maxMapCount: Int
    public var hugetlbMapCount: Int
    public var refused: Bool
    /// A failing call after the first diagnosed one: counted, not explained again.
    public var later: Bool?

    public init(time: Double, pid: Int32, tid: Int32, call: LoggedCall, fields: [String: FieldValue], hugetlb: Bool,
                mapCount: Int, maxMapCount: Int, hugetlbMapCount: Int, refused: Bool, later: Bool? = nil) {
        self.time = time
        self.pid = pid
        self.tid = tid
        self.call = call
        self.fields = fields
        self.hugetlb = hugetlb
        self.mapCount = mapCount
        self.maxMapCount = maxMapCount
        self.hugetlbMapCount = hugetlbMapCount
        self.refused = refused
        self.later = later
    }
}

/// A signal delivered to a tracee.
public struct SignalLogRecord: Codable, Sendable {
    public var type = "signal"
    public var time: Double
    public var pid: Int32
    public var tid: Int32
    public var signal: Signal
    /// si_code.
    public var code: Int32
    /// si_addr, for the signals that have one (SIGBUS, SIGSEGV).
    public var addr: UInt64?
}

public struct ExecLogRecord: Codable, Sendable {
    public var type = "exec"
    public var time: Double
    public var pid: Int32
    public var tid: Int32
    public var path: String
    public var argv: [String]
}

public struct ExitLogRecord: Codable, Sendable {
    public var type = "exit"
    public var time: Double
    public var pid: Int32
    public var tid: Int32
    public var status: Int32?
    public var signal: Signal?
    public var coreDumped: Bool
    public var process: Bool
}

public struct DriftLogRecord: Codable, Sendable {
    public var type = "drift"
    public var time: Double
    public var pid: Int32
    public var model: Int
    public var kernel: Int
}

/// A diagnosis: its fields at the top level of the record, after `"type": "diagnosis"`.
public struct DiagnosisLogRecord: Codable, Sendable {
    public var diagnosis: Diagnosis

    public init(diagnosis: Diagnosis) { self.diagnosis = diagnosis }

    private enum TypeKey: String, CodingKey { case type }

    public func encode(to encoder: Encoder) throws {
        try diagnosis.encode(to: encoder)
        var c = encoder.container(keyedBy: TypeKey.self)
        try c.encode("diagnosis", forKey: .type)
    }

    public init(from decoder: Decoder) throws {
        diagnosis = try Diagnosis(from: decoder)
    }
}

/// The trace output (-o FILE) could not be written: said once, when the first write failed.
/// The log's own write errors cannot be logged; the summary on the terminal says them.
public struct OutputErrorLogRecord: Codable, Sendable {
    public var type = "output_error"
    public var time: Double
    public var path: String
    public var reason: String

    public init(time: Double, path: String, reason: String) {
        self.time = time
        self.path = path
        self.reason = reason
    }
}

public struct SummaryLogRecord: Codable, Sendable {
    public var type = "summary"
    public var time: Double
    public var processes: [ProcessStatistics]
    public var diagnoses: Int
    public var laterFailures: Int
    public var drifts: Int
    public var exitStatus: Int32

    public init(time: Double, processes: [ProcessStatistics], diagnoses: Int, laterFailures: Int, drifts: Int, exitStatus: Int32) {
        self.time = time
        self.processes = processes
        self.diagnoses = diagnoses
        self.laterFailures = laterFailures
        self.drifts = drifts
        self.exitStatus = exitStatus
    }
}

/// One line of the log.
public enum LogRecord: Sendable {
    case header(LogHeader)
    case syscall(SyscallLogRecord)
    case signal(SignalLogRecord)
    case exec(ExecLogRecord)
    case exit(ExitLogRecord)
    case drift(DriftLogRecord)
    case diagnosis(DiagnosisLogRecord)
    case outputError(OutputErrorLogRecord)
    case summary(SummaryLogRecord)
}
