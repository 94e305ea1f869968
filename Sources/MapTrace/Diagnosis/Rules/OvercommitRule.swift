/// Overcommit accounting (docs/causes.md; mm/util.c __vm_enough_memory).
///
/// Only accountable memory is charged: private writable and shared anonymous mappings, brk,
/// mprotect to writable — never hugetlb (accountable_mapping() excludes it). Mode 2 (strict)
/// refuses when Committed_AS would pass CommitLimit less the admin and user reserves; mode 0
/// refuses one request larger than RAM + swap; mode 1 never refuses.
public struct OvercommitRule: CauseRule {
    public let cause = Cause.overcommit
    public init() {}

    /// Staying in strict mode: the overcommit_ratio (or overcommit_kbytes, which overrides it)
    /// that makes CommitLimit reach `needed` (mm/util.c vm_commit_limit: (RAM − huge pages) ×
    /// ratio% + swap), for this call only.
    static func strictAlternative(_ state: OvercommitState, needed: UInt64) -> [FixCommand] {
        let overSwap = needed > state.swapTotal ? needed - state.swapTotal : 0
        if state.kbytes > 0 {
            return [FixCommand(.alternative, "sysctl -w vm.overcommit_kbytes=\(overSwap / 1024 + 1)",
                               note: "strict mode kept; enough for this call only; " + DemandText.unknownRun)]
        }
        guard state.ratio > 0, state.commitLimit > state.swapTotal else { return [] }
        // RAM less the huge page pool, as CommitLimit counts it
        let base = (state.commitLimit - state.swapTotal) * 100 / UInt64(state.ratio)
        guard base > 0 else { return [] }
        let ratio = overSwap * 100 / base + 1
        return [FixCommand(.alternative, "sysctl -w vm.overcommit_ratio=\(ratio)",
                           note: "strict mode kept: CommitLimit = \(Quantity.bytes(base)) × \(ratio)% + swap; "
                               + "enough for this call only; " + DemandText.unknownRun)]
    }

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        if request.endPastUserSpace != nil {
            return .notApplicable("the range reaches past the top of user space: refused before this limit is counted")
        }
        if request.isHugetlb { return .notApplicable("hugetlb memory is not charged to overcommit") }
        guard let process = input.process else { return .notApplicable("process not read") }
        let shmemAnon = request.isShared && request.isAnonymous
        guard let growth = shmemAnon ? request.growth : RlimitDataRule.dataGrowth(request, view: process.addressSpace),
              growth > 0 else {
            return .notApplicable("\(request.name) charges nothing to overcommit")
        }
        guard request.errno == ErrorNumber.ENOMEM || request.syscall == .brk else {
            return .notApplicable("overcommit gives ENOMEM, not \(ErrorNumber.name(request.errno))")
        }
        guard let state = input.snapshot.overcommit else { return .notApplicable("overcommit settings not read") }
        switch state.mode {
        case 1:
            return .within("vm.overcommit_memory = 1 never refuses")
        case 2:
            // Kernel: the admin reserve applies unless CAP_SYS_ADMIN; the user reserve is
            // min(total_vm / 32, user_reserve_kbytes).
            let admin = process.hasCapability(Capability.sysAdmin) ? 0 : state.adminReserve
            let user = Swift.min(process.vmSize / 32, state.userReserve)
            let allowed = state.commitLimit - Swift.min(state.commitLimit, admin + user)
            let total = state.committed + growth
            guard total >= allowed else {
                return .within("Committed_AS \(Quantity.bytes(state.committed)) + \(Quantity.bytes(growth)) "
                               + "< \(Quantity.bytes(allowed)) (strict)")
            }
            return .exceeded(Finding(
                cause: cause, certainty: .confirmed,
                values: [EvidenceValue("committed_as", Quantity.int(state.committed)),
                         EvidenceValue("request", Quantity.int(growth)),
                         EvidenceValue("commit_limit", Quantity.int(state.commitLimit)),
                         EvidenceValue("allowed", Quantity.int(allowed))],
                sentence: "CommitLimit [\(Quantity.bytes(state.commitLimit))] is too low (vm.overcommit_memory = 2): "
                    + "Committed_AS \(Quantity.bytes(state.committed)) + \(Quantity.bytes(growth)) reaches "
                    + "\(Quantity.bytes(allowed)) after reserves",
                details: ["CommitLimit = (MemTotal − huge page pool) × \(state.ratio)% + swap: "
                    + "a large vm.nr_hugepages lowers it; MAP_NORESERVE does not help in mode 2"],
                fix: [FixCommand(.runtime, "sysctl -w vm.overcommit_memory=0",
                                 note: "heuristic mode refuses only a single request larger than RAM + swap")]
                    + Self.strictAlternative(state, needed: total + (state.commitLimit - allowed))
                    + [
                      FixText.persistentSysctl("vm.overcommit_memory", "0",
                                               setBy: input.snapshot.sysctlFile(for: "vm.overcommit_memory"))]))
        default:
            if request.noReserve { return .within("MAP_NORESERVE is not charged in heuristic mode") }
            let ceiling = state.memTotal + state.swapTotal
            guard growth > ceiling else {
                return .within("\(Quantity.bytes(growth)) ≤ RAM + swap \(Quantity.bytes(ceiling)) (heuristic)")
            }
            return .exceeded(Finding(
                cause: cause, certainty: .confirmed,
                values: [EvidenceValue("request", Quantity.int(growth)), EvidenceValue("mem_total", Quantity.int(state.memTotal)),
                         EvidenceValue("swap_total", Quantity.int(state.swapTotal))],
                sentence: "one request of \(Quantity.bytes(growth)) is more than RAM + swap "
                    + "[\(Quantity.bytes(ceiling))] (vm.overcommit_memory = 0)",
                fix: [FixCommand(.alternative, "add MAP_NORESERVE to the mapping, or map less at once"),
                      FixCommand(.runtime, "sysctl -w vm.overcommit_memory=1", note: "never refuse; use with care")]))
        }
    }
}
