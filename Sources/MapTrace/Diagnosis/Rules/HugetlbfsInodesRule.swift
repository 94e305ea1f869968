/// A hugetlbfs mount's nr_inodes= limit (docs/causes.md; fs/hugetlbfs/inode.c
/// hugetlbfs_reserve_inode): creating one more file fails with ENOSPC. DPDK creates one file per
/// page unless --single-file-segments, so a small nr_inodes= stops it at open, not at mmap.
public struct HugetlbfsInodesRule: CauseRule {
    public let cause = Cause.hugetlbfsInodes
    public init() {}

    static let creatingCalls: Set<Syscall> = [.open, .openat, .openat2, .creat]

    public func evaluate(_ input: RuleInput) -> Verdict {
        let call = input.failure
        guard call.isCall(in: Self.creatingCalls) else { return .notApplicable("\(call.name) creates no inode") }
        guard call.errno == ErrorNumber.ENOSPC else {
            return .notApplicable("an inode limit gives ENOSPC, not \(ErrorNumber.name(call.errno))")
        }
        guard let path = call.path, let mount = input.snapshot.mount(containing: path) else {
            return .notApplicable("\(call.path ?? "the path") is not on a hugetlbfs mount")
        }
        // statfs counts inodes only when size= or min_size= is also set; otherwise count entries.
        let counted = mount.statfs.flatMap { $0.countsInodes ? $0 : nil }
        guard let limit = mount.mount.inodeLimit.map({ Int(clamping: $0) }) ?? counted.map({ Int($0.files) }) else {
            return .within("no nr_inodes= on \(mount.mountPoint)")
        }
        let used = counted.map { Int($0.files - $0.filesFree) } ?? mount.inodesUsed
        // One file per page unless the layout keeps one file for the segment.
        let own = input.context.hugetlbfsFilesOpened
        let others = Swift.max(0, used - 1 - own)
        let run = input.runPages(pageSize: mount.pageSize).map { run in
            input.demand.layout == .requestedSegment || input.demand.singleFileSegments ? (files: 1, why: "one file for the segment")
                : (files: run.pages, why: run.why + ", one file per page")
        }
        let newLimit = run.map { Swift.max(used + 1, others + $0.files + 1) } ?? Swift.max(2 * limit, used + 1)
        let note = run.map { "\($0.why): \(others) other files + \($0.files) + the root = \(others + $0.files + 1); " }
            ?? "twice the old limit; \(DemandText.unknownRun); "
        let options = HugetlbfsSizeRule.mountOptions(mount, replacing: "nr_inodes", with: String(newLimit))
        return .exceeded(Finding(
            cause: cause, certainty: used >= limit ? .confirmed : .likely,
            values: [EvidenceValue("inodes_used", used), EvidenceValue("nr_inodes", limit)],
            sentence: "hugetlbfs nr_inodes= on \(mount.mountPoint) [\(limit)] is too low: \(used) inodes in use "
                + "(\(plural(mount.fileCount, "file")), \(mount.directoryCount == 1 ? "1 directory" : "\(mount.directoryCount) directories") and the root), "
                + "\(call.name) needed one more",
            details: used >= limit ? [] : ["the count read afterwards is below the limit: files were removed meanwhile"],
            fix: [
                FixCommand(.runtime, "umount \(mount.mountPoint) && mount -t hugetlbfs -o \(options) nodev \(mount.mountPoint)",
                           note: note + "mount -o remount ignores nr_inodes="),
                FixCommand(.persistent, "fstab: nodev \(mount.mountPoint) hugetlbfs \(options) 0 0"),
                input.demand.program == "l2fwd"
                    ? FixCommand(.alternative, "l2fwd: --mem-mode single-file (one file for the whole of -m)")
                    : FixCommand(.alternative, "DPDK: --single-file-segments (one file per segment list, not per page)"),
            ]))
    }
}
