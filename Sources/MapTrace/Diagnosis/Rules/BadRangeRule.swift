/// The range names memory that is not mapped (docs/causes.md): mprotect, madvise and mlock
/// give ENOMEM for a hole, mremap EFAULT for an unmapped old range. An argument error, not a limit.
public struct BadRangeRule: CauseRule {
    public let cause = Cause.badRange
    public init() {}

    static let rangeCalls: Set<Syscall> = [.mprotect, .madvise, .mlock, .mlock2, .munlock, .mremap]

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        guard request.isCall(in: Self.rangeCalls), let start = request.start, let end = request.end else {
            return .notApplicable("\(request.name) names no existing range")
        }
        let expected = request.syscall == .mremap ? ErrorNumber.EFAULT : ErrorNumber.ENOMEM
        guard request.errno == expected else {
            return .notApplicable("an unmapped range gives \(ErrorNumber.name(expected)), not \(ErrorNumber.name(request.errno))")
        }
        guard let view = input.process?.addressSpace, !view.areas.isEmpty else { return .notApplicable("maps not read") }
        var covered = start
        for area in view.areas(overlapping: start, end) where area.start <= covered {
            covered = Swift.max(covered, area.end)
        }
        guard covered < end else {
            if request.isCall(in: [.mlock, .mlock2, .mlockall]),
               let none = view.areas(overlapping: start, end).first(where: { $0.prot & 0x7 == 0 }) {
                // mm/gup.c populate_vma_page_range faults pages in without FOLL_FORCE for a
                // PROT_NONE area, so __get_user_pages refuses it with EFAULT, which
                // mm/mlock.c (__mlock_posix_error_return) reports as ENOMEM. The area stays locked.
                return .exceeded(Finding(
                    cause: cause, certainty: .confirmed,
                    values: [EvidenceValue("prot_none_at", Quantity.int(none.start)),
                             EvidenceValue("length", Quantity.int(end - start))],
                    sentence: "\(request.name) of a PROT_NONE area at 0x\(String(none.start, radix: 16)): its pages cannot be "
                        + "faulted in to be locked (mm/gup.c populate_vma_page_range; EFAULT reported as ENOMEM)",
                    details: ["the range is mapped and RLIMIT_MEMLOCK was not the refusal; the area is left VM_LOCKED"],
                    fix: [FixCommand(.alternative, "mprotect the range readable before mlock, or lock only the accessible part")]))
            }
            return .within("[0x\(String(start, radix: 16)), +\(end - start)) is mapped")
        }
        return .exceeded(Finding(
            cause: cause, certainty: .confirmed,
            values: [EvidenceValue("unmapped_at", Quantity.int(covered)), EvidenceValue("length", Quantity.int(end - start))],
            sentence: "the range 0x\(String(start, radix: 16))–0x\(String(end, radix: 16)) is not all mapped: "
                + "nothing at 0x\(String(covered, radix: 16))",
            fix: [FixCommand(.alternative, "the program passed a range it does not map (use after munmap, wrong length)")]))
    }
}
