/// No free range of the size asked (CAUSES.md row 19; mm/vma.c unmapped_area[_topdown]).
/// A hugetlb request also needs room to align its start to the huge page.
public struct AddressSpaceRule: CauseRule {
    public let cause = Cause.addressSpace
    public init() {}

    /// x86_64 with 4-level page tables: 128 TiB of user address space (TASK_SIZE_MAX).
    static let taskSize: UInt64 = 0x7fff_ffff_f000

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        let placing = (request.isMmap && !request.fixed) || request.syscall == "shmat"
            || (request.syscall == "mremap" && request.flags & CallBits.mremapMayMove != 0 && request.growth > 0)
        guard placing else { return .notApplicable("\(request.syscall) does not look for a free range") }
        guard request.errno == ErrorNumber.ENOMEM else {
            return .notApplicable("no free range gives ENOMEM, not \(ErrorNumber.name(request.errno))")
        }
        let size = request.syscall == "mremap" ? input.call.args[2] : request.length
        let needed = size + (request.isHugetlb ? request.pageSize - Page.size : 0)
        if size > Self.taskSize {
            return exceeded("\(Quantity.bytes(size)) is more than the whole user address space (128 TiB)", size, nil)
        }
        guard let gap = input.process?.addressSpace.largestGap else { return .notApplicable("maps not read") }
        guard gap < needed else {
            return .within("largest free range \(Quantity.bytes(gap)) ≥ \(Quantity.bytes(needed))")
        }
        return exceeded("the largest free range is \(Quantity.bytes(gap)); this \(request.syscall) needed "
                        + "\(Quantity.bytes(needed))", size, gap)
    }

    private func exceeded(_ sentence: String, _ size: UInt64, _ gap: UInt64?) -> Verdict {
        .exceeded(Finding(
            cause: cause, certainty: .confirmed,
            values: [EvidenceValue("request", Quantity.int(size))] + (gap.map { [EvidenceValue("largest_gap", Quantity.int($0))] } ?? []),
            sentence: "no free address range: " + sentence,
            fix: [FixCommand(.alternative, "reserve less virtual address space (DPDK: fewer memseg lists, "
                             + "--base-virtaddr); build for 64 bits")]))
    }
}
