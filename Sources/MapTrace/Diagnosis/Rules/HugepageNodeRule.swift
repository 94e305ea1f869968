/// Enough free huge pages in the system, too few on the NUMA nodes the process may use
/// (docs/causes.md; mm/hugetlb.c hugetlb_acct_memory → allowed_mems_nr, which sums
/// free_huge_pages_node over cpuset.mems ∩ the MPOL_BIND nodes).
///
/// There is no per-node reserved count, and the snapshot sees the cpuset (Mems_allowed_list) but
/// not a memory policy set with mbind/set_mempolicy, so a finding here is `likely` at best.
public struct HugepageNodeRule: CauseRule {
    public let cause = Cause.hugepageNode
    public init() {}

    public func evaluate(_ input: RuleInput) -> Verdict {
        if let skip = HugetlbTarget.notReserving(input) { return skip }
        guard let target = HugetlbTarget(input), let pool = target.pool, !pool.nodes.isEmpty,
              let process = input.process else {
            return .notApplicable("per-node pools or the process's allowed nodes not read")
        }
        let allowed = pool.nodes.filter { process.memsAllowed.contains($0.node) }
        let allowedFree = allowed.reduce(0) { $0 + $1.free }
        let nodes = allowed.map { String($0.node) }.joined(separator: ",")
        if allowed.count == pool.nodes.count {
            return .within("every node with a \(target.size) pool is allowed: \(nodes)")
        }
        guard allowedFree < target.needed else {
            return .within("\(allowedFree) free on allowed nodes \(nodes) ≥ \(target.needed) needed")
        }
        let best = allowed.max { $0.free < $1.free } ?? allowed.first
        var fix: [FixCommand] = []
        if let best {
            let deficit = target.needed - allowedFree
            fix.append(FixCommand(.runtime, FixText.setPool(best.total + deficit, pageSize: pool.pageSize, node: best.node),
                                  note: "node \(best.node): \(best.total) + \(deficit) missing pages"))
        }
        fix.append(FixCommand(.alternative, "allow more nodes: widen cpuset.mems of the process's cgroup, "
            + "or (DPDK) match --socket-mem/--socket-limit to the per-node pools"))
        return .exceeded(Finding(
            cause: cause, certainty: .likely,
            values: [EvidenceValue("free_on_allowed_nodes", allowedFree), EvidenceValue("free_hugepages", pool.free),
                     EvidenceValue("needed_pages", target.needed)],
            sentence: "\(target.size) huge pages on allowed nodes [\(nodes)] are too few: \(allowedFree) free there, "
                + "\(pool.free) in the system, this \(input.request.name) needed \(target.needed)",
            details: ["Mems_allowed_list \(process.memsAllowed.map(String.init).joined(separator: ",")); "
                + "an mbind/set_mempolicy binding is not visible here"],
            fix: fix))
    }
}
