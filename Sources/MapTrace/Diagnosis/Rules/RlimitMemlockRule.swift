/// RLIMIT_MEMLOCK and CAP_IPC_LOCK (docs/causes.md; mm/mmap.c mlock_future_ok, mm/mlock.c).
///
/// The errno tells which path refused: mmap(MAP_LOCKED), mremap and brk give EAGAIN, mlock and
/// mlockall give ENOMEM, and a limit of 0 without CAP_IPC_LOCK gives EPERM (can_do_mlock).
public struct RlimitMemlockRule: CauseRule {
    public let cause = Cause.rlimitMemlock
    public init() {}

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        guard let expected = Self.expectedError(request) else {
            return .notApplicable("\(request.name) locks no memory")
        }
        let errno = request.errno
        guard errno == expected || errno == ErrorNumber.EPERM else {
            return .notApplicable("this limit gives \(ErrorNumber.name(expected)) here, not \(ErrorNumber.name(errno))")
        }
        guard let process = input.process, let limit = process.memlockLimit else {
            return .notApplicable("/proc/PID/limits not read")
        }
        if process.hasCapability(Capability.ipcLock) { return .within("CAP_IPC_LOCK: the limit does not apply") }
        guard let soft = limit.soft else { return .within("unlimited") }
        let fix = { (needed: UInt64?) in RlimitFix.commands(process: process, limit: limit, prlimit: "memlock", ulimit: "-l",
                                     systemd: "LimitMEMLOCK", limitsConf: "memlock", needed: needed)
            + [FixCommand(.alternative, "grant CAP_IPC_LOCK (systemd: AmbientCapabilities=CAP_IPC_LOCK)")] }
        if errno == ErrorNumber.EPERM {
            guard soft == 0 else { return .within("EPERM, but RLIMIT_MEMLOCK is \(Quantity.bytes(soft)), not 0") }
            return .exceeded(Finding(
                cause: cause, certainty: .confirmed,
                values: [EvidenceValue("rlimit_memlock", 0), EvidenceValue("cap_ipc_lock", 0)],
                sentence: "RLIMIT_MEMLOCK [0] and no CAP_IPC_LOCK: the process may lock nothing", fix: fix(request.growth)))
        }
        // mlockall(MCL_CURRENT) compares all of VmSize; the others add their length to VmLck.
        let isMlockall = request.syscall == .mlockall
        let base = isMlockall ? process.vmSize : process.vmLocked
        let length = isMlockall ? 0 : request.growth
        let total = base + length
        // An EAGAIN mmap without MAP_LOCKED locks because of an earlier mlockall(MCL_FUTURE).
        let implicit = request.syscall == .mmap && !request.locked
        guard total > soft || (implicit && errno == ErrorNumber.EAGAIN) else {
            return .within("\(isMlockall ? "VmSize" : "VmLck") \(Quantity.bytes(base)) + \(Quantity.bytes(length)) "
                           + "≤ \(Quantity.bytes(soft))")
        }
        var details: [String] = []
        if request.isHugetlb { details.append("hugetlb pages never show in VmLck, but count against the limit") }
        if implicit { details.append("no MAP_LOCKED: an earlier mlockall(MCL_FUTURE) locks every new mapping") }
        return .exceeded(Finding(
            cause: cause, certainty: total > soft ? .confirmed : .likely,
            values: [EvidenceValue(isMlockall ? "vm_size" : "vm_locked", Quantity.int(base)),
                     EvidenceValue("request", Quantity.int(length)), EvidenceValue("rlimit_memlock", Quantity.int(soft))],
            sentence: "RLIMIT_MEMLOCK [\(Quantity.bytes(soft))] is too low: \(isMlockall ? "VmSize" : "VmLck") "
                + "\(Quantity.bytes(base)) + \(Quantity.bytes(length)) to lock = \(Quantity.bytes(total))",
            details: details, fix: fix(total)))
    }

    /// The errno the limit produces for this call, or nil when the call locks nothing.
    static func expectedError(_ request: MemoryRequest) -> Errno? {
        switch request.syscall {
        case .mmap?, .mremap?, .brk?: ErrorNumber.EAGAIN
        case .mlock?, .mlock2?, .mlockall?: ErrorNumber.ENOMEM
        default: nil
        }
    }
}
