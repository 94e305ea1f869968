/// What a diagnosis explains: a memory call that failed, a fault on hugetlb memory, or (no call
/// having failed) a process that gave up and exited.
public enum Failure: Sendable, Equatable {
    case call(CallFailure)
    case fault(FaultFailure)
    case exit(ExitFailure)

    public var call: CallFailure? {
        if case .call(let call) = self { return call }
        return nil
    }

    public var fault: FaultFailure? {
        if case .fault(let fault) = self { return fault }
        return nil
    }

    public var isFault: Bool { fault != nil }

    /// The failed call's syscall; nil for a fault or an exit.
    public var syscall: Syscall? { call?.syscall }

    /// The failed call's error; none (0) for a fault or an exit, so that no rule's errno matches.
    public var errno: Errno { call?.errno ?? Errno(rawValue: 0) }

    /// The six argument registers of the failed call; zeros for a fault or an exit.
    public var args: SyscallArguments { call?.args ?? SyscallArguments() }

    /// The line strace shows for it: the call with its result, the signal, or the exit.
    public var text: String {
        switch self {
        case .call(let call): call.text
        case .fault(let fault): fault.text
        case .exit(let exit): exit.text
        }
    }

    /// The file involved: the call's path argument or its fd's path, or the faulting mapping's file.
    public var path: String? {
        switch self {
        case .call(let call): call.fdPath ?? call.path
        case .fault(let fault): fault.file
        case .exit: nil
        }
    }

    /// The huge page size of the memory the call or fault touched.
    public var pageSize: UInt64? {
        switch self {
        case .call(let call): call.pageSize
        case .fault(let fault): fault.pageSize
        case .exit: nil
        }
    }

    /// Whether it is a failed call of one of CALLS.
    public func isCall(in calls: Set<Syscall>) -> Bool {
        syscall.map(calls.contains) ?? false
    }

    /// What failed, in a word: the call's name, the signal's, or "exit".
    public var name: String {
        switch self {
        case .call(let call): call.syscall.name
        case .fault(let fault): fault.signal.name
        case .exit: "exit"
        }
    }
}

/// A memory call the kernel refused (or -e inject made fail), as the tracer saw it at the stop.
public struct CallFailure: Sendable, Equatable {
    public var syscall: Syscall
    public var args: SyscallArguments
    /// What the call returned: nil for an error; the old break for a refused brk.
    public var result: Int64?
    /// The error the program sees. brk reports a refusal by returning the old break, and glibc
    /// turns that into ENOMEM, which is what it is here.
    public var errno: Errno
    /// The result was injected by -e inject: the call never ran and no limit was involved.
    public var injected: Bool
    /// The call in strace notation, with its result.
    public var text: String
    /// The path of the fd argument (-y).
    public var fdPath: String?
    /// The huge page size when the call targets hugetlb memory (a hugetlbfs file, MAP_HUGETLB,
    /// SHM_HUGETLB, MFD_HUGETLB, an address in a hugetlb mapping).
    public var pageSize: UInt64?
    /// The code that made the call, innermost frame first ("mmap64 (libc.so.6)"), as strace -k
    /// shows it; nil when it could not be unwound (a log replayed, a stripped binary without
    /// unwind tables).
    public var stack: [String]?
    /// The path argument (openat's file, memfd_create's name), read at the stop for the rules;
    /// the log does not keep it apart: the text shows it.
    public var path: String?

    public init(syscall: Syscall, args: SyscallArguments, result: Int64? = nil, errno: Errno, injected: Bool = false,
                text: String, fdPath: String? = nil, pageSize: UInt64? = nil, stack: [String]? = nil,
                path: String? = nil) {
        self.syscall = syscall
        self.args = args
        self.result = result
        self.errno = errno
        self.injected = injected
        self.text = text
        self.fdPath = fdPath
        self.pageSize = pageSize
        self.stack = stack
        self.path = path
    }

    /// The call as the log shows every call: the errno only when the call returned one.
    public var logged: LoggedCall {
        LoggedCall(name: syscall.name, args: args.array, result: result, errno: result == nil ? errno : nil,
                   injected: injected, text: text, fdPath: fdPath, pageSize: pageSize)
    }

    /// From the log; nil for a call this maptrace does not know, or one that did not fail.
    public init?(logged call: LoggedCall, stack: [String]?) {
        guard let syscall = Syscall(name: call.name) else { return nil }
        let errno: Errno
        if let e = call.errno {
            errno = e
        } else if syscall == .brk && call.result != nil {
            errno = .noMemory
        } else {
            return nil
        }
        self.init(syscall: syscall, args: SyscallArguments(call.args), result: call.result, errno: errno,
                  injected: call.injected, text: call.text, fdPath: call.fdPath, pageSize: call.pageSize,
                  stack: stack)
    }
}

/// A signal on hugetlb memory: the page could not be had at fault time (MAP_NORESERVE, a
/// cgroup fault limit, a page past the end of the file).
public struct FaultFailure: Sendable, Equatable {
    public var signal: Signal
    /// The faulting address.
    public var address: UInt64
    /// The huge page size of the mapping it hit.
    public var pageSize: UInt64?
    /// The signal as strace shows it: `--- SIGBUS {si_signo=SIGBUS, …} ---`.
    public var text: String
    /// The mapping's file, read for the snapshot; not in the log.
    public var file: String?

    public init(signal: Signal = .bus, address: UInt64, pageSize: UInt64?, text: String, file: String? = nil) {
        self.signal = signal
        self.address = address
        self.pageSize = pageSize
        self.text = text
        self.file = file
    }
}

/// No memory call failed: the process checked the system itself and exited (GiveUp.swift).
public struct ExitFailure: Sendable, Equatable {
    /// How it ended: "exited with 1", "was killed by SIGSEGV".
    public var status: String
    /// `+++ exited with 1 +++ (no memory call failed)`.
    public var text: String

    public init(status: String) {
        self.status = status
        text = "+++ \(status) +++ (no memory call failed)"
    }

    init(status: String, text: String) {
        self.status = status
        self.text = text
    }
}

/// The log's `failure` object: `kind` says which of the three it is.
extension Failure: Codable {
    private enum CodingKeys: String, CodingKey { case kind, call, stack, signal, addr, pageSize, text, status }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .call(let call):
            try c.encode("call", forKey: .kind)
            try c.encode(call.logged, forKey: .call)
            try c.encodeIfPresent(call.stack, forKey: .stack)
        case .fault(let fault):
            try c.encode("fault", forKey: .kind)
            try c.encode(fault.signal, forKey: .signal)
            try c.encode(fault.address, forKey: .addr)
            try c.encodeIfPresent(fault.pageSize, forKey: .pageSize)
            try c.encode(fault.text, forKey: .text)
        case .exit(let exit):
            try c.encode("exit", forKey: .kind)
            try c.encode(exit.status, forKey: .status)
            try c.encode(exit.text, forKey: .text)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "call":
            let logged = try c.decode(LoggedCall.self, forKey: .call)
            guard let call = CallFailure(logged: logged, stack: try c.decodeIfPresent([String].self, forKey: .stack)) else {
                throw DecodingError.dataCorruptedError(forKey: .call, in: c, debugDescription: "not a failed memory call")
            }
            self = .call(call)
        case "fault":
            self = .fault(FaultFailure(signal: try c.decode(Signal.self, forKey: .signal),
                                       address: try c.decode(UInt64.self, forKey: .addr),
                                       pageSize: try c.decodeIfPresent(UInt64.self, forKey: .pageSize),
                                       text: try c.decode(String.self, forKey: .text)))
        case "exit":
            self = .exit(ExitFailure(status: try c.decode(String.self, forKey: .status),
                                     text: try c.decode(String.self, forKey: .text)))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown kind")
        }
    }
}
