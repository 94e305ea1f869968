/// How large vm.max_map_count must be for the failing process, and what to set it to.
///
/// A process that maps hugetlbfs one page per mapping (DPDK before 18.05, and `--legacy-mem`)
/// needs one area per page of the whole pool plus its other areas; hugetlb areas never merge
/// (hugetlbfs sets VM_DONTEXPAND). DPDK 16.04 maps every page a second time before it unmaps the
/// first copies, which is why VPP advises at least 2 × pages (FIELD.md).
struct MapCountSizing {
    /// Areas the process had besides its hugetlb mappings.
    let baseline: Int
    /// Pages of the pool the process maps one by one, when it does.
    let poolPages: Int?
    let pageSize: UInt64?
    /// The smallest vm.max_map_count that lets this call (and, one page per mapping, the whole
    /// pool) through, and the value recommended.
    let smallest: Int
    let recommended: Int
    let current: Int
    /// -m N (MiB) on the command line, when present.
    let askedMiB: Int?

    /// The kernel default (DEFAULT_MAX_MAP_COUNT = USHRT_MAX − 5); never recommend less.
    static let kernelDefault = 65530

    init(_ input: RuleInput, max: Int, failsAt: Int) {
        let context = input.context
        let count = input.process?.mapCount ?? 0
        current = max
        askedMiB = DPDKArguments.megabytes(context.command)
        // This call needs the count to be below `failsAt`: raise the limit by what it lacked.
        let forThisCall = max + (count - failsAt) + 1
        let size = context.hugetlbPageSize ?? input.call.hugetlbPageSize
        pageSize = size
        if let size, context.hugetlbMappings > 0,
           context.hugetlbBytesMapped <= UInt64(context.hugetlbMappings) * size,
           let pool = input.snapshot.pool(pageSize: size), pool.total > 0 {
            baseline = context.mappingsBeforeHugetlb ?? Swift.max(0, count - context.hugetlbMappings)
            poolPages = pool.total
            smallest = Swift.max(forThisCall, baseline + pool.total)
            recommended = Self.generous(Swift.max(2 * pool.total + baseline, smallest))
        } else {
            baseline = count
            poolPages = nil
            smallest = forThisCall
            recommended = Self.generous(Swift.max(2 * count, smallest))
        }
    }

    /// The next step of a generous ladder: the kernel default, then powers of two up to 1 Mi,
    /// then whole multiples of 1 Mi.
    static func generous(_ needed: Int) -> Int {
        if needed <= kernelDefault { return kernelDefault }
        var step = 131_072
        while step < 1_048_576 && step < needed { step *= 2 }
        if step >= needed { return step }
        return (needed + 1_048_575) / 1_048_576 * 1_048_576
    }

    var values: [EvidenceValue] {
        var values = [EvidenceValue("smallest_max_map_count", smallest),
                      EvidenceValue("recommended_max_map_count", recommended)]
        if let poolPages {
            values += [EvidenceValue("baseline_areas", baseline), EvidenceValue("pool_pages", poolPages)]
        }
        return values
    }

    var explanation: [String] {
        guard let poolPages, let pageSize else { return [] }
        return ["one mapping per \(Quantity.bytes(pageSize)) page: mapping the whole pool needs "
                + "\(baseline + poolPages) areas (\(baseline) + \(poolPages) pages); "
                + "mapping it twice, as DPDK's legacy init does, \(baseline + 2 * poolPages)"]
    }

    func fix(setBy: SysctlAssignment?) -> [FixCommand] {
        let note = poolPages.map { "whole pool: \(baseline) + \($0) = \(baseline + $0); "
            + "twice: \(baseline + 2 * $0); smallest that passes: \(smallest)" }
            ?? "smallest that passes: \(smallest)"
        var commands = FixText.sysctl("vm.max_map_count", String(recommended), setBy: setBy, note: note)
        guard let poolPages, let pageSize else {
            commands.append(FixCommand(.alternative, "map fewer, larger regions so the process needs fewer areas"))
            return commands
        }
        let gib: UInt64 = 1 << 30
        if pageSize < gib {
            let bytes = UInt64(poolPages) * pageSize
            let pages = Int((bytes + gib - 1) / gib)
            commands.append(FixCommand(.alternative,
                "use 1 GiB pages: boot with default_hugepagesz=1G hugepagesz=1G hugepages=\(pages)",
                note: "\(Quantity.bytes(bytes)) in \(pages) mappings instead of \(poolPages)"))
        }
        commands.append(FixCommand(.alternative, "DPDK: add --single-file-segments (one file and mapping per segment list, not per page)"))
        if let askedMiB {
            let needed = Int((UInt64(askedMiB) << 20 + pageSize - 1) / pageSize)
            if baseline + needed < current {
                commands.append(FixCommand(.alternative, FixText.setPool(needed, pageSize: pageSize),
                    note: "-m \(askedMiB) needs \(needed) pages of \(Quantity.bytes(pageSize)); "
                        + "an EAL that maps every free page then stays under \(current)"))
            }
        }
        return commands
    }
}
