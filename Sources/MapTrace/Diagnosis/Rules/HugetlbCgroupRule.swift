/// A cgroup's hugetlb limits, at the process's cgroup or any ancestor (docs/causes.md).
///
/// hugetlb.<size>.rsvd.max is charged when a mapping reserves pages (mm/hugetlb.c
/// hugetlb_reserve_pages → hugetlb_cgroup_charge_cgroup_rsvd, checked before the subpool and the
/// pool): mmap fails with ENOMEM. hugetlb.<size>.max is charged at fault
/// (alloc_hugetlb_folio → hugetlb_cgroup_charge_cgroup): the process gets SIGBUS and mmap
/// succeeds. A NORESERVE fault is charged to both.
public struct HugetlbCgroupRule: CauseRule {
    public let cause = Cause.hugetlbCgroup
    public init() {}

    /// A level whose limit the request does not fit under.
    struct Breach {
        var level: CgroupHugetlb
        var limit: UInt64
        var charged: UInt64
        /// "rsvd.max" or "max" (v1: "rsvd.limit_in_bytes", "limit_in_bytes").
        var file: String
    }

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        let pageSize: UInt64
        let pages: Int
        let atFault = request.isSignal
        if atFault {
            guard let area = request.start.flatMap({ input.process?.addressSpace.area(containing: $0) }),
                  let size = area.hugePageSize else { return .notApplicable("the fault is not in a hugetlb area") }
            pageSize = size
            pages = 1
        } else {
            if let skip = HugetlbTarget.notReserving(input) { return skip }
            guard let target = HugetlbTarget(input) else { return .notApplicable("not hugetlb memory") }
            pageSize = target.pageSize
            pages = target.needed
        }
        let levels = input.snapshot.cgroups.filter { $0.limit(pageSize: pageSize) != nil }
        guard !levels.isEmpty else {
            return .within("no hugetlb controller files for the process's cgroup: no limit")
        }
        let noReserve = input.process?.addressSpace.focusFlags?.contains("nr") ?? false
        let bytes = UInt64(pages) * pageSize
        let breaches = levels.flatMap { Self.breaches(at: $0, pageSize: pageSize, bytes: bytes,
                                                        reservation: !atFault || noReserve, fault: atFault) }
        guard let breach = breaches.first else {
            let summary = levels.compactMap { level -> String? in
                guard let limit = level.limit(pageSize: pageSize) else { return nil }
                return "\(level.path) rsvd.max \(Quantity.bytes(limit.reservedMax)), max \(Quantity.bytes(limit.max))"
            }
            return .within(summary.joined(separator: "; ") + " fit \(Quantity.bytes(bytes))")
        }
        let size = CgroupReader.sizeName(pageSize)
        let event = breach.level.limit(pageSize: pageSize)?.maxEvents
        var details = breaches.dropFirst().map { "also \($0.level.path) \($0.file): \(Quantity.bytes($0.charged)) of \(Quantity.bytes($0.limit))" }
        if let event { details.append("hugetlb.\(size).events max \(event)") }
        if atFault, !noReserve { details.append("set rsvd.max too, so a shortage shows as ENOMEM at mmap, not SIGBUS") }
        let file = "\(breach.level.directory)/hugetlb.\(size).\(breach.file)"
        let unlimited = breach.level.version == 1 ? "-1" : "max"
        return .exceeded(Finding(
            cause: cause, certainty: .confirmed,
            values: [EvidenceValue("cgroup_limit", Quantity.int(breach.limit)),
                     EvidenceValue("cgroup_charged", Quantity.int(breach.charged)),
                     EvidenceValue("needed_bytes", Quantity.int(bytes))],
            sentence: "cgroup \(breach.level.path) hugetlb.\(size).\(breach.file) [\(Quantity.bytes(breach.limit))] is too low: "
                + "\(Quantity.bytes(breach.charged)) charged + \(Quantity.bytes(bytes)) for this "
                + "\(atFault ? "fault" : request.name) exceeds it",
            details: details,
            fix: Self.fix(input, breach: breach, file: file, unlimited: unlimited, pageSize: pageSize, bytes: bytes)))
    }

    /// The value that lets the run, not only this call, through: what others have charged plus
    /// what the run takes. When the run's demand is unknown, lifting the limit comes first and the
    /// per-call minimum is offered only as that.
    static func fix(_ input: RuleInput, breach: Breach, file: String, unlimited: String, pageSize: UInt64,
                    bytes: UInt64) -> [FixCommand] {
        let faultLimit = breach.file == "max" || breach.file == "limit_in_bytes"
        // This process's own charge: its reservations (mapped bytes) or, for the fault limit,
        // its faulted pages.
        let own = faultLimit ? (input.process?.hugetlbPages ?? 0)
            : UInt64(input.ownPages(pageSize: pageSize)) * pageSize
        let ownCharged = Swift.min(breach.charged, own)
        let others = breach.charged - ownCharged
        let owner = CgroupOwner(path: breach.level.path).map { [FixCommand(.persistent, $0.persistentFix(sizeName: CgroupReader.sizeName(pageSize), bytes: nil))] }
            ?? [FixCommand(.persistent, "raise the hugepages limit of the service, container or pod that owns \(breach.level.path)")]
        if let run = input.runPages(pageSize: pageSize) {
            let value = others + UInt64(run.pages) * pageSize
            if value > breach.limit {
                let charged = "\(Quantity.bytes(breach.charged)) already charged"
                    + (ownCharged > 0 ? " (\(Quantity.bytes(ownCharged)) of it by this process)" : "")
                let persistent = CgroupOwner(path: breach.level.path)
                    .map { FixCommand(.persistent, $0.persistentFix(sizeName: CgroupReader.sizeName(pageSize), bytes: value)) }
                return [FixCommand(.runtime, "echo \(value) > \(file)",
                                   note: "\(run.why) = \(Quantity.bytes(UInt64(run.pages) * pageSize)); \(charged)"
                                       + (others > 0 ? ", \(Quantity.bytes(others)) by others" : "")),
                        FixCommand(.alternative, "echo \(unlimited) > \(file)", note: "no limit at this level")]
                    + (persistent.map { [$0] } ?? owner)
            }
        }
        return [FixCommand(.runtime, "echo \(unlimited) > \(file)", note: "no limit at this level"),
                FixCommand(.alternative, "echo \(breach.charged + bytes) > \(file)",
                           note: "at least \(Quantity.bytes(breach.charged + bytes)) for this call; " + DemandText.unknownRun)]
            + owner
    }

    static func breaches(at level: CgroupHugetlb, pageSize: UInt64, bytes: UInt64,
                         reservation: Bool, fault: Bool) -> [Breach] {
        guard let limit = level.limit(pageSize: pageSize) else { return [] }
        var found: [Breach] = []
        let v1 = level.version == 1
        if reservation, let max = limit.reservedMax, (limit.reservedCurrent ?? 0) + bytes > max {
            found.append(Breach(level: level, limit: max, charged: limit.reservedCurrent ?? 0,
                                file: v1 ? "rsvd.limit_in_bytes" : "rsvd.max"))
        }
        if fault, let max = limit.max, (limit.current ?? 0) + bytes > max {
            found.append(Breach(level: level, limit: max, charged: limit.current ?? 0,
                                file: v1 ? "limit_in_bytes" : "max"))
        }
        return found
    }
}
