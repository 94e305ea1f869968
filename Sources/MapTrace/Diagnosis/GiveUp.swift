/// What maptrace says about a run that went for huge pages and then exited non-zero (or was
/// killed) with no memory call failing: the limit that falls short of the run's demand, or one
/// line saying none does.
public enum GiveUpOutcome: Sendable, Equatable {
    case shortfall(Diagnosis)
    case nothingShort(String)
}

/// Compares the run's demand (its -m / --socket-mem, see `RunDemand`) with what the system
/// offers now that the process has gone: the cgroup's hugetlb reservation limit, the mount's
/// size=, the pool, the allowed nodes — the order the kernel would meet them in at mmap
/// (mm/hugetlb.c hugetlb_reserve_pages). A shortfall is `likely`: no call proved it, and the
/// counters are read after the process exited.
public func diagnoseGiveUp(pid: Int32, comm: String?, status: String, snapshot: Snapshot,
                           context: TraceContext, time: Double? = nil) -> GiveUpOutcome {
    let demand = context.demand
    let mount = demand.hugeDir.flatMap { snapshot.mount(containing: $0) }
    let pageSize = mount?.pageSize ?? context.hugetlbPageSize ?? snapshot.defaultHugePageSize ?? (2 << 20)
    let looked = context.lookedAt ?? []
    let what = looked.isEmpty ? "went for huge pages" : "read " + looked.prefix(3).joined(separator: ", ")
        + (looked.count > 3 ? " and \(looked.count - 3) more" : "")
    guard let pages = demand.requestedPages(pageSize: pageSize), let request = demand.requestText(pageSize: pageSize) else {
        return .nothingShort("pid \(pid) \(status) after it \(what), with no memory call failing; "
            + "it did not say how much memory it wanted (no -m or --socket-mem), so no limit can be shown short: look elsewhere")
    }
    var ruledOut: [RuledOut] = []
    var findings: [Finding] = []
    let bytes = UInt64(pages) * pageSize
    let size = CgroupReader.sizeName(pageSize)

    // cgroup hugetlb reservation limits, at every level
    var cgroupShort = false
    for level in snapshot.cgroups {
        guard let limit = level.limit(pageSize: pageSize), let max = limit.reservedMax else { continue }
        let charged = limit.reservedCurrent ?? 0
        guard charged + bytes > max else { continue }
        cgroupShort = true
        let file = "\(level.directory)/hugetlb.\(size).\(level.version == 1 ? "rsvd.limit_in_bytes" : "rsvd.max")"
        let value = charged + bytes
        var fix = [FixCommand(.runtime, "echo \(value) > \(file)",
                              note: "\(request) = \(Quantity.bytes(bytes)); \(Quantity.bytes(charged)) charged by others")]
        if let owner = CgroupOwner(path: level.path) { fix.append(FixCommand(.persistent, owner.persistentFix(sizeName: size, bytes: value))) }
        findings.append(Finding(
            cause: .hugetlbCgroup, certainty: .likely,
            values: [EvidenceValue("cgroup_limit", Quantity.int(max)), EvidenceValue("cgroup_charged", Quantity.int(charged)),
                     EvidenceValue("needed_bytes", Quantity.int(bytes))],
            sentence: "cgroup \(level.path) hugetlb.\(size).rsvd.max [\(Quantity.bytes(max))] is too low for the run: "
                + "\(Quantity.bytes(charged)) charged + \(Quantity.bytes(bytes)) (\(request)) exceeds it",
            fix: fix))
        break
    }
    if !cgroupShort { ruledOut.append(RuledOut(cause: .hugetlbCgroup, reason: "no cgroup reservation limit below \(Quantity.bytes(bytes))")) }

    // the mount's size=
    let sizeMount = mount ?? snapshot.mounts.first { $0.pageSize == pageSize }
    if let sizeMount, let statfs = sizeMount.statfs, statfs.hasSizeLimit {
        if statfs.blocksFree < Int64(pages) {
            let others = Int(statfs.blocks - statfs.blocksFree)
            findings.append(Finding(
                cause: .hugetlbfsSize, certainty: .likely,
                values: [EvidenceValue("size_pages", Int(statfs.blocks)), EvidenceValue("free_pages", Int(statfs.blocksFree)),
                         EvidenceValue("needed_pages", pages)],
                sentence: "hugetlbfs size= on \(sizeMount.mountPoint) [\(statfs.blocks) pages] is too small for the run: "
                    + "\(statfs.blocksFree) free, \(request)",
                fix: HugetlbfsSizeRule.fix(mount: sizeMount, statfs: statfs, deficit: pages - Int(statfs.blocksFree),
                                           run: (others + pages, request + (others > 0 ? "; other files hold \(others)" : "")))))
        } else {
            ruledOut.append(RuledOut(cause: .hugetlbfsSize, reason: "\(sizeMount.mountPoint): \(statfs.blocksFree) pages free ≥ \(pages)"))
        }
    }

    // the pool, then the nodes
    if let pool = snapshot.pool(pageSize: pageSize) {
        let available = pool.unreserved + pool.surplusHeadroom
        if available < pages {
            let shortfall = pages - pool.unreserved
            var details = HugepagePoolRule.pinned(by: snapshot, pool: pool)
            if pool.reserved > 0 { details.append("\(pool.reserved) free pages are reserved by others' mappings") }
            findings.append(Finding(
                cause: .hugepagePool, certainty: .likely,
                values: [EvidenceValue("free_hugepages", pool.free), EvidenceValue("resv_hugepages", pool.reserved),
                         EvidenceValue("nr_hugepages", pool.total), EvidenceValue("needed_pages", pages),
                         EvidenceValue("shortfall_pages", shortfall), EvidenceValue("page_size", Quantity.int(pageSize))],
                sentence: "\(Quantity.bytes(pageSize)) huge pages [\(pool.total)] are too few for the run: \(request), "
                    + "\(pool.free) free − \(pool.reserved) reserved = \(pool.unreserved) available, \(Quantity.pages(shortfall)) short",
                details: details,
                fix: HugepagePoolRule.fix(pool: pool, deficit: shortfall, snapshot: snapshot,
                                          run: (shortfall, "\(request), \(pool.unreserved) available"))))
        } else {
            ruledOut.append(RuledOut(cause: .hugepagePool,
                                     reason: "\(pool.unreserved) \(Quantity.bytes(pageSize)) pages available ≥ \(pages)"))
            if let perNode = demand.socketMemMiB {
                for (node, mib) in perNode.enumerated() where mib > 0 {
                    let wanted = Int((UInt64(mib) << 20 + pageSize - 1) / pageSize)
                    guard let nodePool = pool.nodes.first(where: { $0.node == node }), nodePool.free < wanted else { continue }
                    findings.append(Finding(
                        cause: .hugepageNode, certainty: .likely,
                        values: [EvidenceValue("node", node), EvidenceValue("free_on_node", nodePool.free),
                                 EvidenceValue("needed_pages", wanted)],
                        sentence: "node \(node) has \(nodePool.free) free \(Quantity.bytes(pageSize)) pages; "
                            + "--socket-mem asks \(mib) MiB there (\(Quantity.pages(wanted)))",
                        fix: [FixCommand(.runtime, FixText.setPool(nodePool.total + wanted - nodePool.free, pageSize: pageSize, node: node),
                                         note: "node \(node): \(nodePool.total) + \(wanted - nodePool.free) missing pages")]))
                    break
                }
            }
        }
    }

    findings.sort { $0.cause.checkRank < $1.cause.checkRank }
    guard let chosen = findings.first else {
        return .nothingShort("pid \(pid) \(status) after it \(what), with no memory call failing; "
            + "nothing maptrace reads falls short of \(request): look elsewhere")
    }
    var details = chosen.details
    details.append("no memory call failed: the program checked \(looked.isEmpty ? "the system" : "what it read") itself "
        + "and gave up; the counters were read after it exited")
    return .shortfall(Diagnosis(
        time: time ?? Clock.realtime(), pid: pid, tid: pid, comm: comm, failure: .exit(ExitFailure(status: status)), cause: chosen.cause, certainty: .likely,
        evidence: Evidence(values: chosen.values, sentence: chosen.sentence, details: details),
        ruledOut: ruledOut, alsoExceeded: Array(findings.dropFirst()), fix: chosen.fix,
        pattern: looked.isEmpty ? nil : "read \(looked.prefix(4).joined(separator: ", "))"
            + (looked.count > 4 ? " and \(looked.count - 4) more" : "") + "; no memory call failed",
        setBy: nil))
}
