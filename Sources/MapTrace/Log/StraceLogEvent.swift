/// One event of an strace log.
public enum StraceEvent: Sendable, Equatable {
    /// A system call, whole or joined from its `<unfinished ...>` and `<... resumed>` halves.
    case call(StraceCall)
    /// `--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x7f…} ---`; `fields` holds the
    /// siginfo as text (`si_addr` -> `0x7f…`), empty for `--- stopped by SIGSTOP ---`.
    case signal(pid: Int32?, name: String, fields: [String: String], time: Double?, line: Int)
    /// `+++ exited with N +++` (status) or `+++ killed by SIGABRT (core dumped) +++` (signal).
    case exit(pid: Int32?, status: Int32?, signal: String?, line: Int)

    /// The pid the event belongs to, nil when the log names none.
    public var pid: Int32? {
        switch self {
        case .call(let call): return call.pid
        case .signal(let pid, _, _, _, _), .exit(let pid, _, _, _): return pid
        }
    }

    /// The 1-based line of the event in its file (of the first half of a split call).
    public var line: Int {
        switch self {
        case .call(let call): return call.line
        case .signal(_, _, _, _, let line), .exit(_, _, _, let line): return line
        }
    }

    /// The event's time stamp in seconds; exits carry none.
    public var time: Double? {
        switch self {
        case .call(let call): return call.time
        case .signal(_, _, _, let time, _): return time
        case .exit: return nil
        }
    }
}

/// One system call as strace printed it, with typed access to its arguments.
public struct StraceCall: Sendable, Equatable {
    /// The thread that made the call; nil when the log has no pids (one process).
    public var pid: Int32?
    /// Seconds: since midnight for `-t`/`-tt` (past 86400 when the log crosses midnight), since the
    /// epoch for `-ttt`, the running sum of the deltas for `-r`; nil without time stamps.
    public var time: Double?
    /// The call's name, e.g. "mmap".
    public var name: String
    /// The top-level arguments as text, split on commas outside (), {}, [], strings, comments and
    /// fd decorations.
    public var arguments: [String]
    /// The result as text ("0x7f3a00000000", "3</dev/hugepages/rtemap_0>", "-1", "?"); nil when the
    /// call was left unfinished and never resumed.
    public var result: String?
    /// The path of a result fd decorated by `-y`: `3</dev/hugepages/rtemap_0>` -> "/dev/hugepages/rtemap_0".
    public var resultFdPath: String?
    /// The errno name after a failing result, e.g. "ENOMEM".
    public var errnoName: String?
    /// True when strace marked the result `(INJECTED)` (`-e inject=…`): not a real failure.
    public var injected: Bool
    /// 1-based line of the call in its file (of its first half when split).
    public var line: Int
    /// Index of the file in `StraceLog.files` the call was read from.
    public var file: Int
    /// Time spent in the call, from `-T` (`<0.000123>`).
    public var duration: Double?
    /// maptrace's ` maps=N/M` annotation: the process's mapping count after the call…
    public var mapCount: Int?
    /// …and the `vm.max_map_count` it was counted against.
    public var mapCountLimit: Int?

    public init(pid: Int32? = nil, time: Double? = nil, name: String, arguments: [String] = [],
                result: String? = nil, resultFdPath: String? = nil, errnoName: String? = nil,
                injected: Bool = false, line: Int = 0, file: Int = 0, duration: Double? = nil,
                mapCount: Int? = nil, mapCountLimit: Int? = nil) {
        self.pid = pid
        self.time = time
        self.name = name
        self.arguments = arguments
        self.result = result
        self.resultFdPath = resultFdPath
        self.errnoName = errnoName
        self.injected = injected
        self.line = line
        self.file = file
        self.duration = duration
        self.mapCount = mapCount
        self.mapCountLimit = mapCountLimit
    }

    /// Argument `i` as a number: decimal, hex, octal (`0600`), negative (as its two's-complement
    /// bit pattern), `NULL` = 0, `AT_FDCWD` = -100; an fd's `-y` path and a `-X verbose` comment
    /// are ignored. Nil when absent or not a number (`PROT_READ`, `"path"`).
    public func integer(_ i: Int) -> UInt64? {
        guard arguments.indices.contains(i) else { return nil }
        return StraceLogValues.integer(arguments[i])
    }

    /// Argument `i` as flag names: "PROT_READ|PROT_WRITE" -> ["PROT_READ", "PROT_WRITE"], "0" -> [];
    /// "21<<MAP_HUGE_SHIFT" and hex leftovers stay as items; under `-X verbose` the names in the
    /// comment. Empty when absent.
    public func flags(_ i: Int) -> [String] {
        guard arguments.indices.contains(i) else { return [] }
        return StraceLogValues.flags(arguments[i])
    }

    /// Argument `i` as a quoted string with strace's escapes undone (\n, \t, \", \\, \ooo, \xHH);
    /// nil when absent or not a string. A string strace cut short holds only what was printed.
    public func string(_ i: Int) -> String? {
        guard arguments.indices.contains(i) else { return nil }
        return StraceLogValues.string(arguments[i])
    }

    /// Whether argument `i` is a string strace cut short (`"…"...`, the `-s` limit).
    public func isTruncatedString(_ i: Int) -> Bool {
        guard arguments.indices.contains(i) else { return false }
        return StraceLogValues.isTruncatedString(arguments[i])
    }

    /// The path `-y` printed with fd argument `i`: `16</dev/hugepages/rtemap_3>` -> "/dev/hugepages/rtemap_3";
    /// "path (deleted)" for a file strace marked deleted. Nil without a decoration.
    public func fdPath(_ i: Int) -> String? {
        guard arguments.indices.contains(i) else { return nil }
        return StraceLogValues.fdPath(arguments[i])
    }

    /// The result as a number (hex or decimal, an fd without its path); nil for "?" or no result.
    public var resultValue: Int64? {
        guard let result, let value = StraceLogValues.integer(result) else { return nil }
        return Int64(bitPattern: value)
    }

    /// True when the call returned -1 with an errno. (A brk that returned less than asked fails
    /// silently; that is the caller's to see.)
    public var failed: Bool {
        guard errnoName != nil, let result else { return false }
        return result.hasPrefix("-")
    }
}
