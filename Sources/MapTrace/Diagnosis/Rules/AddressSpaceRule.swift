/// No room for the range (docs/causes.md). The kernel's checks, by call:
/// - mmap without MAP_FIXED, shmat, mremap that may move: no free gap of that size
///   (mm/vma.c unmapped_area[_topdown]); a hugetlb request also needs room to align its start;
/// - mmap with MAP_FIXED: the range must end below the top of user space, TASK_SIZE
///   (mm/mmap.c __get_unmapped_area);
/// - mremap growing without MREMAP_MAYMOVE: the area may only grow in place, so the range after
///   it must be free and below TASK_SIZE (mm/mremap.c, vma_expandable);
/// - brk: the new break must stay below TASK_SIZE (mm/mmap.c check_brk_limits) and leave a page
///   before the next mapping (the brk syscall's vm_start_gap test). brk reports every refusal by
///   returning the old break.
public struct AddressSpaceRule: CauseRule {
    public let cause = Cause.addressSpace
    public init() {}

    /// x86_64 with 4-level page tables: 128 TiB of user address space (TASK_SIZE_MAX).
    static let taskSize: UInt64 = 0x7fff_ffff_f000

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        if let verdict = Self.outOfRoom(input) { return verdict }
        let placing = (request.isMmap && !request.fixed) || request.syscall == .shmat
            || (request.syscall == .mremap && request.flags & CallBits.mremapMayMove != 0 && request.growth > 0)
        guard placing else { return .notApplicable("\(request.name) does not look for a free range") }
        guard request.errno == ErrorNumber.ENOMEM else {
            return .notApplicable("no free range gives ENOMEM, not \(ErrorNumber.name(request.errno))")
        }
        let size = request.syscall == .mremap ? input.failure.args[2] : request.length
        let needed = size + (request.isHugetlb ? request.pageSize - Page.size : 0)
        if size > Self.taskSize {
            return exceeded("\(Quantity.bytes(size)) is more than the whole user address space (128 TiB)",
                            [EvidenceValue("request", Quantity.int(size))])
        }
        guard let gap = input.process?.addressSpace.largestGap else { return .notApplicable("maps not read") }
        guard gap < needed else {
            return .within("largest free range \(Quantity.bytes(gap)) ≥ \(Quantity.bytes(needed))")
        }
        return exceeded("the largest free range is \(Quantity.bytes(gap)); this \(request.name) needed "
                        + "\(Quantity.bytes(needed))",
                        [EvidenceValue("request", Quantity.int(size)), EvidenceValue("largest_gap", Quantity.int(gap))])
    }

    /// The fixed-place cases: MAP_FIXED and brk past TASK_SIZE, brk into the next mapping, mremap
    /// growth in place without room. nil when the call is none of them.
    static func outOfRoom(_ input: RuleInput) -> Verdict? {
        let request = input.request
        let hex = { (value: UInt64) in "0x" + String(value, radix: 16) }
        let refused = request.errno == ErrorNumber.ENOMEM || request.syscall == .brk
        if let end = request.endPastUserSpace, refused {
            let what = request.syscall == .brk
                ? "the new break \(hex(end)) lies past the top of user space \(hex(taskSize)) (TASK_SIZE; mm/mmap.c check_brk_limits)"
                : "MAP_FIXED range \(hex(request.start ?? 0))–\(hex(end)) ends past the top of user space \(hex(taskSize)) "
                    + "(TASK_SIZE; mm/mmap.c __get_unmapped_area)"
            return .exceeded(Finding(
                cause: .addressSpace, certainty: .confirmed,
                values: [EvidenceValue("end", Quantity.int(end)), EvidenceValue("task_size", Quantity.int(taskSize))],
                sentence: "no room: " + what,
                fix: [FixCommand(.alternative, "the program passed an address or length beyond the 47-bit user address "
                                 + "space: an argument error, not a limit to raise")]))
        }
        guard let view = input.process?.addressSpace, !view.areas.isEmpty else { return nil }
        if request.syscall == .brk, let old = request.start, case let wanted = input.failure.args[0], wanted > old {
            let newBreak = Page.roundUp(wanted, to: Page.size)
            // The first area above the old break that the new break (plus a guard page) reaches.
            guard let next = view.areas.first(where: { $0.start >= old && $0.start < newBreak + Page.size }) else {
                return .within("nothing mapped between the break \(hex(old)) and \(hex(newBreak))")
            }
            return .exceeded(Finding(
                cause: .addressSpace, certainty: .confirmed,
                values: [EvidenceValue("old_break", Quantity.int(old)), EvidenceValue("new_break", Quantity.int(newBreak)),
                         EvidenceValue("next_mapping", Quantity.int(next.start))],
                sentence: "no room: the heap cannot grow from \(hex(old)) to \(hex(newBreak)): "
                    + "\(next.path ?? "a mapping") at \(hex(next.start)) is in the way (the brk syscall keeps a page before the next mapping)",
                fix: [FixCommand(.alternative, "the allocator falls back to mmap when brk is refused; "
                                 + "map the blocking area elsewhere (no MAP_FIXED just above the heap)")]))
        }
        if request.syscall == .mremap, request.errno == ErrorNumber.ENOMEM, request.growth > 0,
           request.flags & CallBits.mremapMayMove == 0, let start = request.start, let end = request.end {
            guard view.area(containing: start) != nil else { return nil }
            let grownEnd = Page.end(end, Page.roundUp(request.growth, to: Page.size))
            guard let blocker = view.areas(overlapping: end, grownEnd).first else {
                return grownEnd > taskSize ? nil : .within("the \(Quantity.bytes(request.growth)) after the area are free")
            }
            return .exceeded(Finding(
                cause: .addressSpace, certainty: .confirmed,
                values: [EvidenceValue("area_end", Quantity.int(end)), EvidenceValue("growth", Quantity.int(request.growth)),
                         EvidenceValue("next_mapping", Quantity.int(blocker.start))],
                sentence: "no room to grow in place: \(blocker.path ?? "a mapping") at \(hex(blocker.start)) follows the area "
                    + "ending at \(hex(end)), and without MREMAP_MAYMOVE it may not move (mm/mremap.c, vma_expandable)",
                fix: [FixCommand(.alternative, "pass MREMAP_MAYMOVE so the kernel can move the area, or map the "
                                 + "larger size from the start")]))
        }
        return nil
    }

    private func exceeded(_ sentence: String, _ values: [EvidenceValue]) -> Verdict {
        .exceeded(Finding(
            cause: cause, certainty: .confirmed, values: values,
            sentence: "no free address range: " + sentence,
            fix: [FixCommand(.alternative, "map less at once, or unmap reservations no longer used; a DPDK EAL reserves "
                             + "its memseg lists' address space up front, sized by its build-time RTE_MAX_MEM_MB* settings")]))
    }
}
