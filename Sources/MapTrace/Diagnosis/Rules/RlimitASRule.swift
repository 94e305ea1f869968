/// RLIMIT_AS, `ulimit -v` (CAUSES.md row 4; mm/mmap.c may_expand_vm: total_vm + npages > limit).
/// Every mapping counts, hugetlb and PROT_NONE reservations included; a MAP_FIXED mmap counts
/// only what it adds beyond the areas it replaces.
public struct RlimitASRule: CauseRule {
    public let cause = Cause.rlimitAS
    public init() {}

    static let growingCalls: Set<String> = ["mmap", "mremap", "brk", "shmat"]

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        if request.endPastUserSpace != nil {
            return .notApplicable("the range reaches past the top of user space: refused before this limit is counted")
        }
        guard Self.growingCalls.contains(request.syscall) else {
            return .notApplicable("\(request.syscall) adds no address space")
        }
        guard request.errno == ErrorNumber.ENOMEM || request.syscall == "brk" else {
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
                + "\(Quantity.bytes(growth)) for this \(request.syscall) = \(Quantity.bytes(total))",
            fix: RlimitFix.commands(process: process, limit: limit, prlimit: "as", ulimit: "-v",
                                    systemd: "LimitAS", limitsConf: "as")))
    }
}

/// Raising a resource limit: for the live process, for the next launch, and for good.
enum RlimitFix {
    static func commands(process: ProcessState, limit: ResourceLimit, prlimit: String, ulimit: String,
                         systemd: String, limitsConf: String) -> [FixCommand] {
        // Raising the hard limit needs CAP_SYS_RESOURCE (kernel/sys.c do_prlimit).
        let hardNote = limit.hard == nil || process.hasCapability(Capability.sysResource) ? nil
            : "the hard limit is \(Quantity.bytes(limit.hard)): raising it needs CAP_SYS_RESOURCE"
        return [
            FixCommand(.runtime, "prlimit --pid \(process.pid) --\(prlimit)=unlimited:unlimited", note: hardNote),
            FixCommand(.runtime, "ulimit \(ulimit) unlimited   # in the shell or script that starts it"),
            FixCommand(.persistent, "systemd: \(systemd)=infinity; or /etc/security/limits.conf: <user> - \(limitsConf) unlimited"),
        ]
    }
}
