/// A sealed mapping (mseal, 6.10+; docs/causes.md): munmap, mprotect, mremap and discarding
/// madvise on it give EPERM (mm/vma.c vma_is_sealed). smaps shows VmFlags `sl`.
public struct SealedRule: CauseRule {
    public let cause = Cause.sealed
    public init() {}

    static let modifyingCalls: Set<Syscall> = [.munmap, .mprotect, .mremap, .madvise, .mmap]

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        guard request.isCall(in: Self.modifyingCalls), request.start != nil else {
            return .notApplicable("\(request.name) modifies no existing area")
        }
        guard request.errno == ErrorNumber.EPERM else {
            return .notApplicable("sealing gives EPERM, not \(ErrorNumber.name(request.errno))")
        }
        guard let flags = input.process?.addressSpace.focusFlags else { return .notApplicable("VmFlags not read") }
        guard flags.contains("sl") else { return .within("the area is not sealed (no \"sl\" in VmFlags)") }
        return .exceeded(Finding(
            cause: cause, certainty: .confirmed, values: [],
            sentence: "the area is sealed (mseal): \(request.name) may not change it",
            fix: [FixCommand(.alternative, "the program sealed this mapping; leave it as it is")]))
    }
}
