/// What `-e` asked for: which traced calls are printed and logged, which results, and which
/// calls get a fault injected. It never changes the seccomp filter: the address-space model
/// needs every memory call, printed or not.
public struct TraceSelection: Sendable, Equatable {
    /// The calls printed and logged; nil keeps maptrace's default choice (hugetlb calls and
    /// failed memory calls, or every call with --all).
    public var calls: Set<Syscall>?
    /// The results printed (`status=`); nil prints every result.
    public var statuses: Set<CallStatus>?
    /// `inject=` and `fault=` rules, in the order given.
    public var injections: [InjectionRule] = []
    /// Names given to `trace=` that are system calls but not ones maptrace's filter stops.
    public var untracedNames: [String] = []
    /// `decode-fds=dev` (or `all`): device numbers after a device file's path, as -yy.
    public var deviceNumbers = false

    public init() {}

    /// Whether a completed call passes `trace=` and `status=`.
    public func shows(_ call: CallRecord) -> Bool {
        if let calls, !calls.contains(call.syscall) { return false }
        if let statuses, !statuses.contains(CallStatus.of(call)) { return false }
        return true
    }

    /// Whether `trace=` and `status=` let through the successful calls of `call`.
    public func showsSuccessful(_ call: Syscall) -> Bool {
        (calls?.contains(call) ?? true) && (statuses?.contains(.successful) ?? true)
    }

    /// Whether the name and status alone select every call of the set (an explicit `trace=`
    /// prints each call of it, as strace does, not only those on hugetlb memory).
    public var selectsExplicitly: Bool { calls != nil }
}

/// The results `-e status=` (and `-Z`, `-z`) choose from, named as strace names them.
public enum CallStatus: String, Sendable, CaseIterable {
    case successful, failed, unfinished, unavailable, detached

    static func of(_ call: CallRecord) -> CallStatus {
        if call.neverReturned { return .unfinished }
        return call.failed ? .failed : .successful
    }
}

/// An error in a `-e` expression, worded as one line for the command line.
public struct TraceExpressionError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Parses strace's `-e` expressions: `trace=SET`, `status=SET`, `inject=SET:…`, `fault=SET:…`
/// (`-e SET` alone means `trace=SET`).
public enum TraceExpression {
    /// Qualifiers strace has that maptrace refuses, and why.
    static let refused: [String: String] = [
        "abbrev": "maptrace prints every flag and structure in full",
        "verbose": "maptrace prints every flag and structure in full",
        "raw": "maptrace always decodes the arguments of the calls it traces",
        "signal": "maptrace prints the signals that matter to memory (SIGBUS, SIGSEGV) and passes every signal through",
        "read": "maptrace does not trace read(2): its filter stops memory calls only",
        "write": "maptrace does not trace write(2): its filter stops memory calls only",
        "quiet": "use -q or --no-status",
        "kvm": "maptrace does not trace KVM vcpu exits",
        "decode-pids": "pids are printed as they are",
        "trace-fds": "maptrace's filter stops memory calls only",
    ]
    static let aliases: [String: String] = [
        "t": "trace", "a": "abbrev", "v": "verbose", "x": "raw", "s": "signal", "signals": "signal",
        "r": "read", "reads": "read", "w": "write", "writes": "write", "q": "quiet", "silent": "quiet",
        "silence": "quiet",
    ]

    public static func parse(_ expressions: [String]) throws(TraceExpressionError) -> TraceSelection {
        var selection = TraceSelection()
        for expression in expressions {
            let (qualifier, value) = split(expression)
            switch qualifier {
            case "trace":
                let (calls, untraced) = try callSet(value, in: expression)
                selection.calls = calls
                selection.untracedNames += untraced
            case "status":
                selection.statuses = try statusSet(value, in: expression)
            case "decode-fds":
                let details = value.split(separator: ",").map(String.init)
                guard details.allSatisfy({ ["path", "dev", "pidfd", "socket", "all", "none"].contains($0) }) else {
                    throw TraceExpressionError("-e \(expression): invalid decode-fds detail; path, dev, pidfd, socket or all")
                }
                selection.deviceNumbers = details.contains("dev") || details.contains("all")
            case "inject", "fault":
                selection.injections.append(try InjectionRule.parse(value, fault: qualifier == "fault", expression: expression))
            default:
                if let reason = refused[qualifier] {
                    throw TraceExpressionError("-e \(expression): not supported: \(reason)")
                }
                throw TraceExpressionError("-e \(expression): invalid qualifier '\(qualifier)'")
            }
        }
        return selection
    }

    static func split(_ expression: String) -> (qualifier: String, value: String) {
        guard let eq = expression.firstIndex(of: "=") else { return ("trace", expression) }
        let qualifier = String(expression[..<eq])
        return (aliases[qualifier] ?? qualifier, String(expression[expression.index(after: eq)...]))
    }

    /// A set of calls: names, `%class`, `/regex`, `all`, `none`, `?` before an element to
    /// ignore it if unknown, `!` before the whole set to negate it. Returns the calls maptrace
    /// traces among them, and the names of system calls it does not trace.
    static func callSet(_ text: String, in expression: String) throws(TraceExpressionError) -> (Set<Syscall>, [String]) {
        var body = Substring(text)
        let negated = body.first == "!"
        if negated { body = body.dropFirst() }
        guard !body.isEmpty else { throw TraceExpressionError("-e \(expression): empty set of system calls") }
        var chosen = Set<Syscall>()
        var untraced: [String] = []
        for raw in body.split(separator: ",", omittingEmptySubsequences: false) {
            var element = Substring(raw)
            let optional = element.first == "?"
            if optional { element = element.dropFirst() }
            let name = String(element)
            if name == "all" {
                chosen.formUnion(Syscall.allCases)
            } else if name == "none" {
                continue
            } else if name.hasPrefix("/") {
                let pattern = String(name.dropFirst())
                guard let regex = try? Regex(pattern) else {
                    throw TraceExpressionError("-e \(expression): invalid regular expression '\(pattern)'")
                }
                chosen.formUnion(Syscall.allCases.filter { $0.name.contains(regex) })
            } else if name.hasPrefix("%") || SyscallClasses.bareNames.contains(name) {
                let key = name.hasPrefix("%") ? String(name.dropFirst()) : name
                guard let members = SyscallClasses.table[key] else {
                    if optional { continue }
                    throw TraceExpressionError("-e \(expression): invalid system call class '\(name)'")
                }
                chosen.formUnion(members)
            } else if let call = Syscall(name: name) {
                chosen.insert(call)
            } else if SyscallClasses.isSystemCall(name) {
                untraced.append(name)
            } else if !optional {
                throw TraceExpressionError("-e \(expression): invalid system call '\(name)'")
            }
        }
        return (negated ? Set(Syscall.allCases).subtracting(chosen) : chosen, negated ? [] : untraced)
    }

    static func statusSet(_ text: String, in expression: String) throws(TraceExpressionError) -> Set<CallStatus> {
        var body = Substring(text)
        let negated = body.first == "!"
        if negated { body = body.dropFirst() }
        var chosen = Set<CallStatus>()
        for element in body.split(separator: ",") {
            if element == "all" { chosen.formUnion(CallStatus.allCases); continue }
            if element == "none" { continue }
            guard let status = CallStatus(rawValue: String(element)) else {
                throw TraceExpressionError("-e \(expression): invalid status '\(element)'; "
                                           + "one of successful, failed, unfinished, unavailable, detached")
            }
            chosen.insert(status)
        }
        return negated ? Set(CallStatus.allCases).subtracting(chosen) : chosen
    }
}
