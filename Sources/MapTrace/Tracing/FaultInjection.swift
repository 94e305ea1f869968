import CMapTrace
import Glibc

/// One `-e inject=SET:error=E|retval=N[:signal=SIG][:when=EXPR]` (or `fault=`) rule: which
/// traced calls, from which occurrence on, get which result instead of running.
public struct InjectionRule: Sendable, Equatable {
    public var calls: Set<Syscall>
    /// The errno the call fails with, or the value it returns; one of the two (or neither, with
    /// a signal alone: then the call runs and the signal follows).
    public var error: Int32?
    public var retval: Int64?
    /// Delivered to the thread when the call returns.
    public var signal: Int32?
    /// `when=N` (only the Nth), `N+` (the Nth and every later one), `N+S` (every Sth from the
    /// Nth), `N..M` and `N..M+S` (up to the Mth); counted per thread and per call, as strace counts.
    public var first = 1
    public var step = 1
    public var onlyFirst = false
    public var last: Int?
    /// The expression as given, for messages and the diagnosis.
    public var text: String

    /// Whether the `occurrence`th call (1-based) of one kind in one thread is injected.
    public func fires(onOccurrence occurrence: Int) -> Bool {
        guard occurrence >= first, occurrence <= last ?? Int.max else { return false }
        if onlyFirst { return occurrence == first }
        return (occurrence - first) % step == 0
    }

    /// Whether the call is skipped (its number set to -1 at entry) rather than run.
    public var skipsCall: Bool { error != nil || retval != nil }

    static func parse(_ value: String, fault: Bool, expression: String) throws(TraceExpressionError) -> InjectionRule {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let setText = parts.first, !setText.isEmpty else {
            throw TraceExpressionError("-e \(expression): no system call to inject into")
        }
        let (calls, untraced) = try TraceExpression.callSet(setText, in: expression)
        if let name = untraced.first {
            throw TraceExpressionError("-e \(expression): maptrace can inject only into the calls its filter stops; \(name) is not one")
        }
        var rule = InjectionRule(calls: calls, text: expression)
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "=") else {
                throw TraceExpressionError("-e \(expression): '\(part)' is not key=value")
            }
            let key = String(part[..<eq]), val = String(part[part.index(after: eq)...])
            switch key {
            case "error":
                guard let code = ErrnoNames.number(val) else { throw TraceExpressionError("-e \(expression): invalid error '\(val)'") }
                rule.error = code
            case "retval":
                guard let n = Int64(val), n >= 0 else { throw TraceExpressionError("-e \(expression): invalid retval '\(val)'") }
                rule.retval = n
            case "signal":
                guard let sig = SignalNames.number(val) else { throw TraceExpressionError("-e \(expression): invalid signal '\(val)'") }
                rule.signal = sig
            case "when":
                try rule.parseWhen(val, expression: expression)
            case "syscall", "delay_enter", "delay_exit", "poke_enter", "poke_exit":
                throw TraceExpressionError("-e \(expression): \(key)= is not supported: maptrace injects an error, "
                                           + "a return value or a signal")
            default:
                throw TraceExpressionError("-e \(expression): invalid inject option '\(key)'")
            }
        }
        if rule.error != nil && rule.retval != nil {
            throw TraceExpressionError("-e \(expression): error= and retval= cannot both be given")
        }
        if fault && rule.retval == nil && rule.error == nil { rule.error = ENOSYS }
        if rule.error == nil && rule.retval == nil && rule.signal == nil {
            throw TraceExpressionError("-e \(expression): say what to inject: error=, retval= or signal=")
        }
        return rule
    }

    private mutating func parseWhen(_ text: String, expression: String) throws(TraceExpressionError) {
        let bad = TraceExpressionError("-e \(expression): invalid when= '\(text)': use N, N+, N+STEP, N..M or N..M+STEP (N from 1)")
        var range = Substring(text), stepText: Substring?
        if let plus = text.firstIndex(of: "+") {
            range = text[..<plus]
            stepText = text[text.index(after: plus)...]
        }
        let bounds = range.components(separatedBy: "..")
        guard bounds.count <= 2, let n = Int(bounds[0]), n >= 1 else { throw bad }
        first = n
        if bounds.count == 2 {
            guard let m = Int(bounds[1]), m >= n else { throw bad }
            last = m
        }
        onlyFirst = stepText == nil && last == nil
        step = 1
        if let stepText, !stepText.isEmpty {
            guard let s = Int(stepText), s >= 1 else { throw bad }
            step = s
        }
    }
}

/// errno names both ways, from the C library's own table.
enum ErrnoNames {
    static func number(_ text: String) -> Int32? {
        if let n = Int32(text) { return n > 0 && n < 4096 ? n : nil }
        return Errno(name: text)?.rawValue
    }
}

/// Signal names (SIGSEGV or SEGV) or numbers.
enum SignalNames {
    static func number(_ text: String) -> Int32? {
        if let n = Int32(text) { return n > 0 && n < 65 ? n : nil }
        let bare = text.hasPrefix("SIG") ? String(text.dropFirst(3)) : text
        for sig in Int32(1)..<Int32(65) where mt_signame(sig).map({ String(cString: $0) }) == bare { return sig }
        return nil
    }
}

/// Applies the `inject=` rules: counts each thread's calls of each kind, skips the chosen ones
/// at their entry stop and sets their result at the exit stop, and follows what the program
/// does after an injected failure, for the summary.
final class FaultInjector {
    let rules: [InjectionRule]
    /// tid → occurrences of each call so far.
    private var counts: [Int32: [Syscall: Int]] = [:]
    /// tid → the rule that fired at this call's entry and the call's occurrence number.
    private var armed: [Int32: (rule: InjectionRule, occurrence: Int)] = [:]
    /// What each process did after its first injected failure.
    private(set) var reactions: [Int32: InjectionReaction] = [:]
    var reactionOrder: [Int32] = []

    init(rules: [InjectionRule]) { self.rules = rules }

    /// At the entry stop: counts the call and, when a rule fires, skips it.
    func entered(tid: Int32, call: Syscall) {
        guard rules.contains(where: { $0.calls.contains(call) }) else { return }
        let occurrence = counts[tid, default: [:]][call, default: 0] + 1
        counts[tid, default: [:]][call] = occurrence
        guard let rule = rules.first(where: { $0.calls.contains(call) && $0.fires(onOccurrence: occurrence) }) else { return }
        if rule.skipsCall && mt_set_syscall_number(tid, -1) != 0 { return }
        armed[tid] = (rule, occurrence)
    }

    /// At the exit stop: the injected result replaces the kernel's (-ENOSYS for a skipped call).
    func exited(tid: Int32, pid: Int32, call: inout CallRecord, hugePageSize: UInt64?) {
        if let (rule, occurrence) = armed.removeValue(forKey: tid) {
            if let error = rule.error {
                _ = mt_set_return_value(tid, -Int(error))
                call.errno = error
                call.result = 0
            } else if let retval = rule.retval {
                _ = mt_set_return_value(tid, Int(retval))
                call.errno = 0
                call.result = retval
            }
            call.injected = rule.skipsCall
            if let signal = rule.signal { _ = mt_tgkill(pid, tid, signal) }
            if call.failed && reactions[pid] == nil {
                reactions[pid] = InjectionReaction(pid: pid, tid: tid, call: call, rule: rule, occurrence: occurrence)
                reactionOrder.append(pid)
            }
            return
        }
        reactions[pid]?.observe(tid: tid, call: call, hugePageSize: hugePageSize)
    }

    /// A thread is gone: its counts go with it.
    func forget(tid: Int32) {
        counts[tid] = nil
        armed[tid] = nil
    }
}

/// What a program did after its first injected failure: retried the same call, went on and
/// mapped more, and how it ended (filled in from the process's exit).
public struct InjectionReaction: Sendable {
    public var pid: Int32
    public var tid: Int32
    public var callName: String
    public var errnoValue: Int32
    public var ruleText: String
    public var occurrence: Int
    var args: SyscallArguments
    /// The same call with the same arguments from the same thread, right after.
    public var retries = 0
    public var retrySucceeded = false
    /// Successful mmap/mremap/shmat calls after it, and how many of them on hugetlb memory.
    public var moreMappings = 0
    public var moreHugetlbMappings = 0
    private var sawOtherCall = false

    init(pid: Int32, tid: Int32, call: CallRecord, rule: InjectionRule, occurrence: Int) {
        self.pid = pid
        self.tid = tid
        callName = call.syscall.name
        errnoValue = call.errno
        ruleText = rule.text
        self.occurrence = occurrence
        args = call.args
    }

    /// From a log, where the rule is not recorded: the injected call itself.
    init(logged call: CallRecord, pid: Int32, tid: Int32) {
        self.pid = pid
        self.tid = tid
        callName = call.syscall.name
        errnoValue = call.errno
        ruleText = ""
        occurrence = 0
        args = call.args
    }

    /// The same, from a log's syscall records: the first injected failure and what followed it.
    public static func fromLog(_ records: [LogRecord]) -> InjectionReaction? {
        var reaction: InjectionReaction?
        for record in records {
            guard case .syscall(let r) = record, let syscall = Syscall(name: r.call.name) else { continue }
            var call = CallRecord(syscall: syscall, args: SyscallArguments(r.call.args))
            call.errno = r.call.errno?.rawValue ?? 0
            call.result = r.call.result ?? 0
            if reaction == nil {
                if r.call.injected && call.failed { reaction = InjectionReaction(logged: call, pid: r.pid, tid: r.tid) }
            } else if r.pid == reaction?.pid {
                reaction?.observe(tid: r.tid, call: call, hugePageSize: r.call.pageSize)
            }
        }
        return reaction
    }

    mutating func observe(tid: Int32, call: CallRecord, hugePageSize: UInt64?) {
        if tid == self.tid && !sawOtherCall && call.syscall.name == callName && call.args == args {
            retries += 1
            if !call.failed { retrySucceeded = true }
            return
        }
        if tid == self.tid { sawOtherCall = true }
        if !call.failed && [.mmap, .mremap, .shmat].contains(call.syscall) {
            moreMappings += 1
            if hugePageSize != nil { moreHugetlbMappings += 1 }
        }
    }
}
