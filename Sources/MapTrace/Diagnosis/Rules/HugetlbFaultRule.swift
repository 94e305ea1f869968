/// SIGBUS on a hugetlb page (docs/causes.md): the fault found no page for an area that holds
/// no reservation (MAP_NORESERVE, SHM_NORESERVE), touched a page past the end of its file, or
/// lost a private page to the parent's copy-on-write after fork.
///
/// A fault takes its page in this order (mm/hugetlb.c alloc_hugetlb_folio): the mount's subpool
/// (size=), the cgroup reservation and fault limits, then a free page on an allowed node or a
/// surplus page. The finding names the first of these that had nothing left.
public struct HugetlbFaultRule: CauseRule {
    public let cause = Cause.hugetlbFault
    public init() {}

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        guard request.isSignal, let address = request.start else { return .notApplicable("not a SIGBUS") }
        guard let process = input.process, let area = process.addressSpace.area(containing: address),
              let pageSize = area.hugePageSize else {
            return .notApplicable("the SIGBUS address is not in a hugetlb area")
        }
        let view = process.addressSpace
        let offset = area.offset + Page.roundDown(address - area.start, to: pageSize)
        var values = [EvidenceValue("fault_address", Quantity.int(address)),
                      EvidenceValue("page_size", Quantity.int(pageSize))]
        if let fileSize = view.focusFileSize, offset >= Page.roundUp(fileSize, to: pageSize) {
            values += [EvidenceValue("file_offset", Quantity.int(offset)), EvidenceValue("file_size", Quantity.int(fileSize))]
            return .exceeded(Finding(
                cause: cause, certainty: .confirmed, values: values,
                sentence: "the fault at offset \(Quantity.bytes(offset)) of \(area.path ?? "the file") is past its end "
                    + "[\(Quantity.bytes(fileSize))]",
                fix: [FixCommand(.alternative, "ftruncate the file to cover every page before touching it")]))
        }
        let noReserve = view.focusFlags.map { $0.contains("nr") }
        if noReserve == false {
            if !area.shared {
                return .exceeded(Finding(
                    cause: cause, certainty: .possible, values: values,
                    sentence: "a private hugetlb page of \(area.path ?? "an anonymous mapping") had no page at fault: "
                        + "after fork, the parent's copy-on-write can take the child's reserved page",
                    details: ["kmsg then shows \"killed due to inadequate hugepage pool\""],
                    fix: [FixCommand(.alternative, "map hugetlb memory MAP_SHARED in processes that fork")]))
            }
            return .within("the area holds a reservation (no \"nr\" in VmFlags): a reserved page cannot be missing")
        }
        guard let shortage = Self.shortage(input, area: area, pageSize: pageSize) else {
            return .within("a fault needs one \(Quantity.bytes(pageSize)) page and the mount, cgroups and pool had one")
        }
        return .exceeded(Finding(
            cause: cause, certainty: noReserve == true ? .confirmed : .likely,
            values: values + shortage.values,
            sentence: "a page fault in a mapping with no reservation (MAP_NORESERVE) found no \(Quantity.bytes(pageSize)) "
                + "page: \(shortage.sentence)",
            details: noReserve == nil ? ["VmFlags of the area not read: MAP_NORESERVE assumed"] : [],
            fix: [FixCommand(.alternative, "drop MAP_NORESERVE (SHM_NORESERVE) so a shortage is reported as ENOMEM at mmap")]
                + shortage.fix))
    }

    /// The first limit, in the fault's order, that had no page left.
    static func shortage(_ input: RuleInput, area: Mapping, pageSize: UInt64)
        -> (sentence: String, values: [EvidenceValue], fix: [FixCommand])? {
        let snapshot = input.snapshot
        if let path = area.path, let mount = snapshot.mount(containing: path), let statfs = mount.statfs,
           statfs.hasSizeLimit, statfs.blocksFree < 1 {
            return ("hugetlbfs size= on \(mount.mountPoint) [\(statfs.blocks) pages] is used up",
                    [EvidenceValue("size_pages", Int(statfs.blocks)), EvidenceValue("free_pages", Int(statfs.blocksFree))],
                    HugetlbfsSizeRule.fix(mount: mount, statfs: statfs, deficit: 1))
        }
        for level in snapshot.cgroups {
            if let breach = HugetlbCgroupRule.breaches(at: level, pageSize: pageSize, bytes: pageSize,
                                                       reservation: true, fault: true).first {
                let file = "\(level.directory)/hugetlb.\(CgroupReader.sizeName(pageSize)).\(breach.file)"
                return ("cgroup \(level.path) \(breach.file) [\(Quantity.bytes(breach.limit))] is used up",
                        [EvidenceValue("cgroup_limit", Quantity.int(breach.limit)),
                         EvidenceValue("cgroup_charged", Quantity.int(breach.charged))],
                        [FixCommand(.runtime, "echo \(level.version == 1 ? "-1" : "max") > \(file)")])
            }
        }
        guard let pool = snapshot.pool(pageSize: pageSize) else { return nil }
        if pool.unreserved + pool.surplusHeadroom < 1 {
            return ("the \(Quantity.bytes(pageSize)) pool had \(pool.free) free − \(pool.reserved) reserved",
                    [EvidenceValue("free_hugepages", pool.free), EvidenceValue("resv_hugepages", pool.reserved)],
                    HugepagePoolRule.fix(pool: pool, deficit: 1, snapshot: snapshot))
        }
        if let process = input.process {
            let allowed = pool.nodes.filter { process.memsAllowed.contains($0.node) }
            let free = allowed.reduce(0) { $0 + $1.free }
            if !allowed.isEmpty, allowed.count < pool.nodes.count, free < 1 {
                return ("no free page on the allowed nodes \(allowed.map { String($0.node) }.joined(separator: ","))",
                        [EvidenceValue("free_on_allowed_nodes", free)], [])
            }
        }
        return nil
    }
}
