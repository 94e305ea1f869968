/// maptrace's own failures. The command line turns each into one line on stderr and an exit code.
public enum MapTraceError: Error, CustomStringConvertible, Sendable {
    case commandNotFound(String)
    case notExecutable(String, String)
    case noSuchProcess(Int32)
    case alreadyTraced(pid: Int32, by: Int32, comm: String?)
    case cannotTrace(pid: Int32, reason: String)
    case noSyscallInfo
    case seccomp(String)
    case spawnFailed(String)
    case io(path: String, reason: String)
    case badInput(String)
    /// report, replay, check: the input could not be read (missing, not a log, damaged).
    case unreadableInput(String)
    /// report --svg: the output could not be written.
    case unwritableOutput(path: String, reason: String)
    /// A bad option value found after parsing (exit 2, as a usage error).
    case badOption(String)

    public var description: String {
        switch self {
        case .commandNotFound(let cmd):
            return cmd.contains("/") ? "\(cmd): No such file or directory" : "\(cmd): command not found"
        case .notExecutable(let cmd, let reason):
            return "\(cmd): \(reason)"
        case .noSuchProcess(let pid):
            return "-p \(pid): no such process"
        case .alreadyTraced(let pid, let by, let comm):
            return "-p \(pid): already being traced by pid \(by)" + (comm.map { " (\($0))" } ?? "")
                + "; detach that tracer first"
        case .cannotTrace(let pid, let reason):
            return "-p \(pid): cannot trace: \(reason)"
        case .noSyscallInfo:
            return "this kernel lacks PTRACE_GET_SYSCALL_INFO (Linux 5.3 or later is needed)"
        case .seccomp(let reason):
            return "cannot build the seccomp filter: \(reason)"
        case .spawnFailed(let reason):
            return "cannot start the command: \(reason)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .badInput(let message), .unreadableInput(let message), .badOption(let message):
            return message
        case .unwritableOutput(let path, let reason):
            return "\(path): \(reason)"
        }
    }

    /// strace's and the shell's codes: 127 not found, 126 not executable; report, replay and
    /// check: 3 when their input cannot be read, 4 when an output cannot be written; 1 otherwise.
    public var exitCode: Int32 {
        switch self {
        case .commandNotFound: 127
        case .notExecutable: 126
        case .unreadableInput: 3
        case .unwritableOutput: 4
        case .badOption: 2
        default: 1
        }
    }

    /// The same failure, as one of reading the input of report, replay or check (exit 3).
    public var asUnreadableInput: MapTraceError {
        switch self {
        case .io, .badInput, .noSuchProcess: .unreadableInput(description)
        default: self
        }
    }
}
