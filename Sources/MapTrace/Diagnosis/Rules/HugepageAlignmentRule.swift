/// Arguments that do not fit the huge page size (docs/causes.md): EINVAL (memfd_create: ENODEV).
///
/// hugetlbfs_file_mmap refuses an offset that is not a multiple of the huge page, and
/// hugetlb_get_unmapped_area a MAP_FIXED address that is not aligned; munmap/mprotect/madvise
/// cannot split a hugetlb area inside a huge page (hugetlb_vm_op_split); a hugetlb area cannot
/// grow with mremap; MAP_HUGE_* / SHM_HUGE_* / MFD_HUGE_* must name a size the kernel has.
/// mmap rounds the length up, munmap does not.
public struct HugepageAlignmentRule: CauseRule {
    public let cause = Cause.hugepageAlignment
    public init() {}

    public func evaluate(_ input: RuleInput) -> Verdict {
        let call = input.failure
        let request = input.request
        let expected = call.syscall == .memfd_create ? ErrorNumber.ENODEV : ErrorNumber.EINVAL
        guard call.errno == expected else {
            return .notApplicable("alignment errors give \(ErrorNumber.name(expected)), not \(ErrorNumber.name(call.errno))")
        }
        if let size = request.flagPageSize, Self.asksForHugetlb(request),
           input.snapshot.pool(pageSize: size) == nil {
            let sizes = input.snapshot.pools.map { Quantity.bytes($0.pageSize) }.joined(separator: ", ")
            return exceeded("the flags ask for \(Quantity.bytes(size)) huge pages; this kernel has \(sizes)",
                            values: [EvidenceValue("asked_page_size", Quantity.int(size))],
                            fix: "use one of the sizes in /sys/kernel/mm/hugepages (\(sizes))")
        }
        guard let pageSize = Self.hugePageSize(input) else { return .notApplicable("no hugetlb memory involved") }
        let a = call.args
        let size = Quantity.bytes(pageSize)
        switch call.syscall {
        case .mmap?:
            if a[1] > UInt64.max - (pageSize - 1) {
                // mm/mmap.c ksys_mmap_pgoff rounds a MAP_HUGETLB length up to the huge page; past
                // 2^64 it wraps to 0, and do_mmap refuses a zero length with EINVAL.
                return exceeded("the length 0x\(String(a[1], radix: 16)) rounded up to the \(size) page wraps past 2^64 to 0",
                                values: [EvidenceValue("length", Quantity.int(a[1])), EvidenceValue("page_size", Quantity.int(pageSize))],
                                fix: "pass the length the program meant: this one is a negative number or an overflow")
            }
            if a[5] % pageSize != 0 {
                return exceeded("the file offset \(a[5]) is not a multiple of the \(size) page",
                                values: [EvidenceValue("offset", Quantity.int(a[5])), EvidenceValue("page_size", Quantity.int(pageSize))],
                                fix: "pass an offset that is a multiple of \(size)")
            }
            if request.fixed, a[0] % pageSize != 0 {
                return exceeded("the MAP_FIXED address 0x\(String(a[0], radix: 16)) is not \(size)-aligned",
                                values: [EvidenceValue("address", Quantity.int(a[0])), EvidenceValue("page_size", Quantity.int(pageSize))],
                                fix: "align the address to \(size)")
            }
            if request.flags & CallBits.mapHugetlb != 0, !request.isAnonymous,
               call.path.map({ input.snapshot.mount(containing: $0) == nil }) ?? false {
                return exceeded("MAP_HUGETLB with an fd that is not on hugetlbfs (\(call.path ?? "?"))",
                                values: [], fix: "drop MAP_HUGETLB, or map a file on a hugetlbfs mount")
            }
        case .munmap?, .mprotect?, .madvise?, .mlock?, .mlock2?, .munlock?:
            if a[0] % pageSize != 0 || (call.syscall == .munmap && a[1] % pageSize != 0) {
                return exceeded("the range 0x\(String(a[0], radix: 16)) + \(a[1]) cuts into a \(size) huge page",
                                values: [EvidenceValue("address", Quantity.int(a[0])), EvidenceValue("length", Quantity.int(a[1])),
                                         EvidenceValue("page_size", Quantity.int(pageSize))],
                                fix: "use \(size)-aligned addresses and lengths on hugetlb memory")
            }
        case .mremap?:
            if a[2] > a[1] {
                return exceeded("a hugetlb area cannot grow with mremap (\(a[1]) → \(a[2]) bytes)", values: [],
                                fix: "map a new, larger area instead of growing this one")
            }
        default:
            break
        }
        switch call.syscall {
        case .mmap?:
            return .within("offset\(request.fixed ? ", MAP_FIXED address" : "") and length fit the \(size) page")
        case .munmap?, .mprotect?, .madvise?, .mlock?, .mlock2?, .munlock?:
            return .within("address\(call.syscall == .munmap ? " and length" : "") aligned to the \(size) page")
        case .mremap?:
            return .within("the hugetlb area does not grow")
        default:
            return .notApplicable("\(call.name) has no huge page alignment to check")
        }
    }

    private func exceeded(_ sentence: String, values: [EvidenceValue], fix: String) -> Verdict {
        .exceeded(Finding(cause: cause, certainty: .confirmed, values: values, sentence: sentence,
                          fix: [FixCommand(.alternative, fix)]))
    }

    /// Whether the call's flags ask for hugetlb memory (so its size bits count).
    static func asksForHugetlb(_ request: MemoryRequest) -> Bool {
        switch request.syscall {
        case .mmap?: request.flags & CallBits.mapHugetlb != 0
        case .shmget?: request.flags & CallBits.shmHugetlb != 0
        case .memfd_create?: request.flags & CallBits.mfdHugetlb != 0
        default: false
        }
    }

    /// The huge page size the call deals with: its own, or the hugetlb area at its address.
    static func hugePageSize(_ input: RuleInput) -> UInt64? {
        if let size = input.failure.pageSize { return size }
        guard let start = input.request.start else { return nil }
        return input.process?.addressSpace.area(containing: start)?.hugePageSize
    }
}
