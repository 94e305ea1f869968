/// The post-mortem log's format version. A reader refuses a newer one.
public let logFormatVersion = 1

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

/// A completed call.
public struct SyscallLogRecord: Codable, Sendable {
    public var type = "syscall"
    public var time: Double
    public var pid: Int32
    public var tid: Int32
    public var name: String
    public var args: [UInt64]
    public var fields: [String: FieldValue]
    /// The call in strace's notation, with its result.
    public var text: String
    public var result: Int64?
    public var errno: String?
    public var fdPath: String?
    public var hugetlb: Bool
    public var pageSize: UInt64?
    public var mapCount: Int
    public var maxMapCount: Int
    public var hugetlbMapCount: Int
    public var refused: Bool
    /// A failing call after the first diagnosed one: counted, not explained again.
    public var later: Bool?
}

public struct SignalLogRecord: Codable, Sendable {
    public var type = "signal"
    public var time: Double
    public var pid: Int32
    public var tid: Int32
    public var signal: String
    public var code: Int32
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
    public var signal: String?
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

public struct DiagnosisLogRecord: Codable, Sendable {
    public var type = "diagnosis"
    public var diagnosis: Diagnosis
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
    case summary(SummaryLogRecord)
}
