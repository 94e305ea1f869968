/// RLIMIT_DATA, `ulimit -d` (docs/causes.md; mm/mmap.c may_expand_vm with is_data_mapping:
/// private, writable, not stack). Enforced for mmap since 4.7. hugetlbfs MAP_SHARED and
/// read-only private mappings do not count; private hugetlb does.
public struct RlimitDataRule: CauseRule {
    public let cause = Cause.rlimitData
    public init() {}

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        if request.endPastUserSpace != nil {
            return .notApplicable("the range reaches past the top of user space: refused before this limit is counted")
        }
        guard let process = input.process else { return .notApplicable("process not read") }
        guard let growth = Self.dataGrowth(request, view: process.addressSpace) else {
            return .notApplicable("\(request.name) adds no private writable memory")
        }
        guard request.errno == ErrorNumber.ENOMEM || request.syscall == .brk else {
            return .notApplicable("this limit gives ENOMEM, not \(ErrorNumber.name(request.errno))")
        }
        guard let limit = process.dataLimit else { return .notApplicable("/proc/PID/limits not read") }
        guard let soft = limit.soft else { return .within("unlimited") }
        let total = process.vmData + growth
        guard total > soft else {
            return .within("VmData \(Quantity.bytes(process.vmData)) + \(Quantity.bytes(growth)) ≤ \(Quantity.bytes(soft))")
        }
        return .exceeded(Finding(
            cause: cause, certainty: .confirmed,
            values: [EvidenceValue("vm_data", Quantity.int(process.vmData)), EvidenceValue("request", Quantity.int(growth)),
                     EvidenceValue("rlimit_data", Quantity.int(soft))],
            sentence: "RLIMIT_DATA [\(Quantity.bytes(soft))] is too low: VmData \(Quantity.bytes(process.vmData)) + "
                + "\(Quantity.bytes(growth)) of private writable memory = \(Quantity.bytes(total))",
            details: ["kmsg (once per boot): \"VmData … exceed data ulimit …\""],
            fix: RlimitFix.commands(process: process, limit: limit, prlimit: "data", ulimit: "-d",
                                    systemd: "LimitDATA", limitsConf: "data", needed: total)
                + [FixCommand(.alternative, "boot option ignore_rlimit_data (turns the limit into a warning)")]))
    }

    /// Bytes of private writable memory the call adds, or nil when it adds none.
    static func dataGrowth(_ request: MemoryRequest, view: AddressSpaceView) -> UInt64? {
        switch request.syscall {
        case .mmap?:
            guard request.isPrivate, request.writable else { return nil }
            return request.growth - Swift.min(request.growth, request.replacedBytes(in: view))
        case .brk?:
            return request.growth
        case .mremap?:
            guard request.growth > 0, let start = request.start, let area = view.area(containing: start),
                  !area.shared, area.prot & 2 != 0 else { return nil }
            return request.growth
        case .mprotect?:
            // Making a private read-only range writable turns it into data (mm/mprotect.c mprotect_fixup).
            guard request.writable, let start = request.start, let end = request.end else { return nil }
            let bytes = view.areas(overlapping: start, end).filter { !$0.shared && $0.prot & 2 == 0 }
                .reduce(UInt64(0)) { $0 + (Swift.min($1.end, end) - Swift.max($1.start, start)) }
            return bytes > 0 ? bytes : nil
        default:
            return nil
        }
    }
}
