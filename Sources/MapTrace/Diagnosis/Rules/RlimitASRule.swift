/// RLIMIT_AS, `ulimit -v` (docs/causes.md; mm/mmap.c may_expand_vm: total_vm + npages > limit).
/// Every mapping counts, hugetlb and PROT_NONE reservations included; a MAP_FIXED mmap counts
/// only what it adds beyond the areas it replaces.
public struct RlimitASRule: CauseRule {
    public let cause = Cause.rlimitAS
    public init() {}

    static let growingCalls: Set<Syscall> = [.mmap, .mremap, .brk, .shmat]

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        if request.endPastUserSpace != nil {
            return .notApplicable("the range reaches past the top of user space: refused before this limit is counted")
        }
        guard request.isCall(in: Self.growingCalls) else {
            return .notApplicable("\(request.name) adds no address space")
        }
        guard request.errno == ErrorNumber.ENOMEM || request.syscall == .brk else {
            return .notApplicable("this limit gives ENOMEM, not \(ErrorNumber.name(request.errno))")
        }
        guard let process = input.process, let limit = process.addressSpaceLimit else {
            return .notApplicable("/proc/PID/limits not read")
        }
        guard let soft = limit.soft else { return .within("unlimited") }
        let growth = request.growth - Swift.min(request.growth, request.replacedBytes(in: process.addressSpace))
        let total = process.vmSize + growth
        guard total > soft else {
            return .within("VmSize \(Quantity.bytes(process.vmSize)) + \(Quantity.bytes(growth)) ≤ \(Quantity.bytes(soft))")
        }
        return .exceeded(Finding(
            cause: cause, certainty: growth > 0 ? .confirmed : .likely,
            values: [EvidenceValue("vm_size", Quantity.int(process.vmSize)), EvidenceValue("request", Quantity.int(growth)),
                     EvidenceValue("rlimit_as", Quantity.int(soft))],
            sentence: "RLIMIT_AS [\(Quantity.bytes(soft))] is too low: VmSize \(Quantity.bytes(process.vmSize)) + "
                + "\(Quantity.bytes(growth)) for this \(request.name) = \(Quantity.bytes(total))",
            fix: RlimitFix.commands(process: process, limit: limit, prlimit: "as", ulimit: "-v",
                                    systemd: "LimitAS", limitsConf: "as", needed: total)))
    }
}

/// Raising a resource limit: for the live process, for the next launch, and for good.
enum RlimitFix {
    /// `needed`: the bytes the limit must allow for this call (current use + request).
    static func commands(process: ProcessState, limit: ResourceLimit, prlimit: String, ulimit: String,
                         systemd: String, limitsConf: String, needed: UInt64? = nil) -> [FixCommand] {
        // Raising the hard limit needs CAP_SYS_RESOURCE (kernel/sys.c do_prlimit); the soft one
        // may go up to the hard one without it.
        let capped = limit.hard != nil && !process.hasCapability(Capability.sysResource)
        let hardNote = capped ? "the hard limit is \(Quantity.bytes(limit.hard)): raising it needs CAP_SYS_RESOURCE" : nil
        var commands: [FixCommand] = []
        if capped, let hard = limit.hard, let needed, needed <= hard {
            commands.append(FixCommand(.runtime, "ulimit -S \(ulimit) \(hard / 1024)",
                note: "in the shell or script that starts it: the soft limit up to the hard one, "
                    + "\(Quantity.bytes(hard)) ≥ \(Quantity.bytes(needed)) this call needs; " + DemandText.unknownRun))
        }
        commands += [
            FixCommand(.runtime, "prlimit --pid \(process.pid) --\(prlimit)=unlimited:unlimited", note: hardNote),
            FixCommand(.runtime, "ulimit \(ulimit) unlimited",
                       note: "in the shell or script that starts it" + (capped
                           ? ", as a user with CAP_SYS_RESOURCE before it drops privileges" : "")),
            FixCommand(.persistent, "systemd: \(systemd)=infinity; or /etc/security/limits.conf: <user> - \(limitsConf) unlimited"),
        ]
        return commands
    }
}
