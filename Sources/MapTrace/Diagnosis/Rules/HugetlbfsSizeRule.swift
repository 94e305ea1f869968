/// A hugetlbfs mount's size= limit (its subpool), docs/causes.md
/// (mm/hugetlb.c hugepage_subpool_get_pages: used + delta > max, where used counts reservations
/// and allocated pages). statfs shows it: f_blocks = size in pages, f_bfree = what is left.
public struct HugetlbfsSizeRule: CauseRule {
    public let cause = Cause.hugetlbfsSize
    public init() {}

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        let isFallocate = request.syscall == .fallocate && request.errno == ErrorNumber.ENOSPC
        if !isFallocate, let skip = HugetlbTarget.notReserving(input) { return skip }
        guard let target = HugetlbTarget(input) else { return .notApplicable("not hugetlb memory") }
        guard let mount = target.mount else {
            return .notApplicable("no hugetlbfs file: MAP_HUGETLB, memfd and SysV memory have no size= limit")
        }
        guard let statfs = mount.statfs else { return .notApplicable("statfs of \(mount.mountPoint) failed") }
        guard statfs.hasSizeLimit else { return .within("no size= on \(mount.mountPoint)") }
        guard statfs.blocksFree < Int64(target.needed) else {
            return .within("\(mount.mountPoint): \(statfs.blocksFree) of \(statfs.blocks) pages free ≥ \(target.neededText)")
        }
        let limit = UInt64(statfs.blocks) * target.pageSize
        var details: [String] = []
        if let pool = target.pool, pool.unreserved >= target.needed {
            details.append("the \(target.size) pool itself had \(pool.unreserved) pages available")
        }
        if isFallocate { details.append("pages fallocate allocated before it failed stay allocated") }
        return .exceeded(Finding(
            cause: cause, certainty: target.exact ? .confirmed : .likely,
            values: [EvidenceValue("size_pages", Int(statfs.blocks)), EvidenceValue("free_pages", Int(statfs.blocksFree)),
                     EvidenceValue("needed_pages", target.needed)],
            sentence: "hugetlbfs size= on \(mount.mountPoint) [\(Quantity.bytes(limit)), \(statfs.blocks) pages] is too small: "
                + "\(statfs.blocksFree) free, this \(request.name) needed \(target.needed)",
            details: details,
            fix: Self.fix(mount: mount, statfs: statfs, deficit: target.needed - Int(statfs.blocksFree),
                          run: Self.runSize(input, statfs: statfs, pageSize: target.pageSize))))
    }

    /// Pages size= must hold for the run: what other files on the mount hold plus what the run
    /// takes; nil when the run's demand is unknown.
    static func runSize(_ input: RuleInput, statfs: StatfsCounts, pageSize: UInt64) -> (pages: Int, why: String)? {
        guard let run = input.runPages(pageSize: pageSize) else { return nil }
        let used = Int(statfs.blocks - statfs.blocksFree)
        let own = Swift.min(used, input.ownPages(pageSize: pageSize))
        let others = used - own
        return (others + run.pages, "\(run.why)" + (others > 0 ? "; other files on the mount hold \(others)" : "")
            + (own > 0 ? "; \(own) already used by this process" : ""))
    }

    /// Mount again with a larger size= (a remount with new options returns 0 and changes nothing).
    static func fix(mount: HugetlbfsMountState, statfs: StatfsCounts, deficit: Int,
                    run: (pages: Int, why: String)? = nil) -> [FixCommand] {
        let perCall = Int(statfs.blocks) + Swift.max(deficit, 1)
        if let run, run.pages >= perCall {
            let options = mountOptions(mount, replacing: "size", with: Quantity.mountSize(UInt64(run.pages) * mount.pageSize))
            return [
                FixCommand(.runtime, "umount \(mount.mountPoint) && mount -t hugetlbfs -o \(options) nodev \(mount.mountPoint)",
                           note: "\(run.why): \(Quantity.pages(run.pages)); mount -o remount ignores size="),
                FixCommand(.persistent, "fstab: nodev \(mount.mountPoint) hugetlbfs \(options) 0 0"),
                FixCommand(.alternative, "mount without size= to be limited by the pool only"),
            ]
        }
        let unlimited = mountOptions(mount, replacing: "size", with: nil)
        let options = mountOptions(mount, replacing: "size", with: Quantity.mountSize(UInt64(perCall) * mount.pageSize))
        return [
            FixCommand(.runtime, "umount \(mount.mountPoint) && mount -t hugetlbfs -o \(unlimited) nodev \(mount.mountPoint)",
                       note: "no size=: only the pool limits it; mount -o remount ignores size="),
            FixCommand(.alternative, "umount \(mount.mountPoint) && mount -t hugetlbfs -o \(options) nodev \(mount.mountPoint)",
                       note: "at least \(statfs.blocks) + \(Swift.max(deficit, 1)) pages for this call; " + DemandText.unknownRun),
            FixCommand(.persistent, "fstab: nodev \(mount.mountPoint) hugetlbfs \(unlimited) 0 0"),
        ]
    }

    /// The mount's pagesize=/size=/min_size=/nr_inodes= options with one replaced.
    static func mountOptions(_ mount: HugetlbfsMountState, replacing key: String, with value: String?) -> String {
        var options = ["pagesize=" + Quantity.mountSize(mount.pageSize)]
        if let size = mount.mount.sizeLimit, key != "size" { options.append("size=\(Quantity.mountSize(size))") }
        if let min = mount.mount.minSize { options.append("min_size=\(Quantity.mountSize(min))") }
        if let inodes = mount.mount.inodeLimit, key != "nr_inodes" { options.append("nr_inodes=\(inodes)") }
        if let value { options.append("\(key)=\(value)") }
        return options.joined(separator: ",")
    }
}

extension Quantity {
    /// A size as mount(8) options take it: "4G", "512M".
    static func mountSize(_ bytes: UInt64) -> String {
        if bytes % (1 << 30) == 0 { return "\(bytes >> 30)G" }
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20)M" }
        return "\(bytes >> 10)K"
    }
}
