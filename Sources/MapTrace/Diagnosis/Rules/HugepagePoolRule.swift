/// The global huge page pool of one size: free pages nobody has reserved, plus surplus pages the
/// kernel may still allocate (docs/causes.md; mm/hugetlb.c hugetlb_acct_memory,
/// gather_surplus_pages). free_hugepages alone misleads: reserved pages are free but promised.
public struct HugepagePoolRule: CauseRule {
    public let cause = Cause.hugepagePool
    public init() {}

    public func evaluate(_ input: RuleInput) -> Verdict {
        if let skip = HugetlbTarget.notReserving(input) { return skip }
        guard let target = HugetlbTarget(input) else { return .notApplicable("not hugetlb memory") }
        guard let pool = target.pool else {
            return .notApplicable("no \(target.size) pool in /sys/kernel/mm/hugepages")
        }
        let needed = target.needed
        guard pool.unreserved < needed else {
            return .within("\(pool.free) free − \(pool.reserved) reserved ≥ \(target.neededText) (\(target.size))")
        }
        let coveredBySurplus = pool.unreserved + pool.surplusHeadroom >= needed
        var details = Self.pinned(by: input.snapshot, pool: pool)
        if coveredBySurplus {
            details.append("nr_overcommit_hugepages allowed \(pool.surplusHeadroom) surplus pages, enough unless "
                + "the buddy allocator could not find them (fragmented memory)")
        }
        if pool.reserved > 0 {
            details.append("\(pool.reserved) free pages are reserved by mappings not yet touched "
                + "(other processes, or MAP_SHARED files whose mappers exited)")
        }
        if !target.exact {
            details.append("the file holds \(Quantity.pages(target.heldByFile)) already; the range may need fewer new ones")
        }
        return .exceeded(Finding(
            cause: cause, certainty: coveredBySurplus ? .possible : target.exact ? .confirmed : .likely,
            values: [EvidenceValue("free_hugepages", pool.free), EvidenceValue("resv_hugepages", pool.reserved),
                     EvidenceValue("nr_hugepages", pool.total), EvidenceValue("needed_pages", needed),
                     EvidenceValue("page_size", Quantity.int(pool.pageSize))],
            sentence: "\(target.size) huge pages [\(pool.total)] are too few: \(pool.free) free − \(pool.reserved) "
                + "reserved = \(pool.unreserved) available, this \(input.request.name) needed \(needed)",
            details: details,
            fix: Self.fix(pool: pool, deficit: needed - pool.unreserved, snapshot: input.snapshot,
                          run: Self.runDeficit(input, pool: pool, callDeficit: needed - pool.unreserved))))
    }

    /// Pages the pool lacks for the whole run: what it takes, less what this process holds
    /// already and what is still free. nil when the demand is unknown.
    static func runDeficit(_ input: RuleInput, pool: HugePagePool, callDeficit: Int) -> (pages: Int, why: String)? {
        guard let run = input.runPages(pageSize: pool.pageSize) else { return nil }
        let own = input.ownPages(pageSize: pool.pageSize)
        let deficit = Swift.max(callDeficit, run.pages - own - pool.unreserved)
        return (deficit, "\(run.why); \(own) mapped already + \(pool.unreserved) available = \(own + pool.unreserved)")
    }

    /// Stale hugetlbfs files of this page size that hold pages nobody maps.
    static func pinned(by snapshot: Snapshot, pool: HugePagePool) -> [String] {
        let stale = snapshot.staleFiles.filter { $0.pageSize == pool.pageSize && $0.allocatedBytes > 0 }
        guard !stale.isEmpty else { return [] }
        let pages = stale.reduce(0) { $0 + $1.pages }
        let names = stale.prefix(3).map(\.path).joined(separator: ", ")
        let more = stale.count > 3 ? " and \(stale.count - 3) more" : ""
        return ["\(plural(stale.count, "stale file")) no process maps pin \(pages) of \(pool.total) pages: \(names)\(more)"]
    }

    /// Delete stale files first when they free enough pages; otherwise grow the pool by the deficit.
    static func fix(pool: HugePagePool, deficit: Int, snapshot: Snapshot,
                    run: (pages: Int, why: String)? = nil) -> [FixCommand] {
        var commands: [FixCommand] = []
        let stale = snapshot.staleFiles.filter { $0.pageSize == pool.pageSize }
        let stalePages = stale.reduce(0) { $0 + $1.pages }
        let missing = run?.pages ?? deficit
        if !stale.isEmpty {
            commands.append(FixCommand(.runtime, "rm -f " + StaleFileList.shellPattern(stale, mounts: snapshot.mounts),
                note: "frees \(stalePages) pages; no live process maps these files"
                    + (stalePages >= missing ? "" : "; not enough alone")))
        }
        if stalePages < missing {
            let target = pool.total + missing - stalePages
            let note = run.map { "\($0.why): \(pool.total) + \($0.pages) missing pages" + (stalePages > 0 ? " − \(stalePages) freed" : "") }
                ?? "\(pool.total) + \(deficit) missing pages for this call" + (stalePages > 0 ? " − \(stalePages) freed" : "")
                    + "; " + DemandText.unknownRun
            commands.append(FixCommand(.runtime, FixText.setPool(target, pageSize: pool.pageSize), note: note))
            if pool.pageSize == snapshot.defaultHugePageSize {
                commands.append(FixText.persistentSysctl("vm.nr_hugepages", String(target),
                                                         setBy: snapshot.sysctlFile(for: "vm.nr_hugepages")))
            } else {
                commands.append(FixCommand(.persistent,
                    "add hugepagesz=\(Quantity.mountSize(pool.pageSize)) hugepages=\(target) to the kernel command line"))
            }
        }
        if stale.contains(where: { $0.path.contains("rtemap_") }) {
            commands.append(FixCommand(.alternative,
                "DPDK: --huge-unlink (or --in-memory) so a crashed run leaves no rtemap files behind"))
        }
        return commands
    }
}

/// Stale files as one shell argument list.
enum StaleFileList {
    /// The paths, or `dir/prefix*` when they are every file of one directory's mount and share a
    /// name prefix (DPDK's rtemap_N) — a glob must never catch a file a live process maps.
    static func shellPattern(_ files: [StaleFile], mounts: [HugetlbfsMountState]) -> String {
        let paths = files.map(\.path)
        let explicit = paths.map(quoted).joined(separator: " ")
        guard paths.count > 3 else { return explicit }
        let directories = Set(paths.map { String($0[..<($0.lastIndex(of: "/") ?? $0.startIndex)]) })
        guard directories.count == 1, let directory = directories.first,
              let mount = mounts.first(where: { $0.mountPoint == directory }),
              mount.fileCount == paths.count else { return explicit }
        let names = paths.map { String($0[$0.index(after: $0.lastIndex(of: "/") ?? $0.startIndex)...]) }
        var prefix = names[0]
        for name in names.dropFirst() { prefix = String(prefix.commonPrefix(with: name)) }
        return prefix.count >= 3 ? quoted(directory + "/" + prefix) + "*" : explicit
    }

    private static func quoted(_ path: String) -> String {
        path.allSatisfy { $0.isLetter || $0.isNumber || "/._-+:@".contains($0) } ? path : "'\(path)'"
    }
}

private extension String {
    func commonPrefix(with other: String) -> Substring {
        var end = startIndex
        var otherIndex = other.startIndex
        while end < endIndex, otherIndex < other.endIndex, self[end] == other[otherIndex] {
            end = index(after: end)
            otherIndex = other.index(after: otherIndex)
        }
        return self[..<end]
    }
}
