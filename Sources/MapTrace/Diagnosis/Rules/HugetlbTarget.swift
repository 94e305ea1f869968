/// The hugetlb side of a failed call: which pool, which mount, how many pages, and whether the
/// call makes a reservation (so a shortage shows at the call rather than at a later fault).
struct HugetlbTarget {
    let pageSize: UInt64
    let pool: HugePagePool?
    /// The hugetlbfs mount of the call's file; nil for MAP_HUGETLB, memfd and SysV memory,
    /// which live on the kernel's internal mounts with no size= limit.
    let mount: HugetlbfsMountState?
    /// Huge pages the call needs: for a MAP_SHARED mapping of a file that holds pages already,
    /// at least the request less those pages (which of them the range covers is not known).
    let needed: Int
    /// Pages the call's file already holds (0 for a fresh file: then `needed` is exact).
    let heldByFile: Int
    /// mmap and shmget reserve their pages unless MAP_NORESERVE/SHM_NORESERVE
    /// (mm/hugetlb.c hugetlb_reserve_pages returns early for VM_NORESERVE).
    let reserves: Bool

    init?(_ input: RuleInput) {
        let request = input.request
        guard request.isHugetlb, !request.isSignal else { return nil }
        pageSize = request.pageSize
        pool = input.snapshot.pool(pageSize: pageSize)
        mount = input.failure.path.flatMap { input.snapshot.mount(containing: $0) }
        let file = input.snapshot.callFile.flatMap { $0.path == input.failure.path ? $0 : nil }
        heldByFile = request.isShared ? Int((file?.allocatedBytes ?? 0) / pageSize) : 0
        needed = Swift.max(0, Swift.max(1, request.hugePages) - heldByFile)
        reserves = (request.syscall == .mmap || request.syscall == .shmget) && !request.noReserve
    }

    var size: String { Quantity.bytes(pageSize) }
    /// Whether `needed` is exact or a lower bound.
    var exact: Bool { heldByFile == 0 }
    /// "1 needed", or "3 needed, as the file holds 5 pages already" (a lower bound).
    var neededText: String {
        exact ? "\(needed) needed" : "\(needed) needed, as the file holds \(Quantity.pages(heldByFile)) already"
    }

    /// The reason a reservation-time rule does not apply to this call, if it does not.
    static func notReserving(_ input: RuleInput) -> Verdict? {
        if input.request.isSignal { return .notApplicable("a fault, not a reservation: see hugetlb_fault") }
        guard let target = HugetlbTarget(input) else { return .notApplicable("not hugetlb memory") }
        if !target.reserves {
            return .notApplicable(input.request.noReserve
                ? "no reservation (NORESERVE): a shortage shows as SIGBUS at the first touch"
                : "\(input.request.name) makes no reservation")
        }
        if input.request.errno != ErrorNumber.ENOMEM {
            return .notApplicable("a reservation failure gives ENOMEM, not \(ErrorNumber.name(input.request.errno))")
        }
        return nil
    }
}
