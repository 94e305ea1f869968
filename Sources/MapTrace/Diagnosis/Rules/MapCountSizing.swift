/// How large vm.max_map_count must be for the failing process, and what to set it to.
///
/// A process that maps hugetlbfs one page per mapping (DPDK before 18.05, and `--legacy-mem`)
/// needs one area per page of the whole pool plus its other areas; hugetlb areas never merge
/// (hugetlbfs sets VM_DONTEXPAND). DPDK 16.04 maps every page a second time before it unmaps the
/// first copies, which is why VPP advises at least 2 × pages (docs/causes.md).
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

    /// The run's hugetlb areas at their peak and how that was derived, when the layout is known.
    let runAreas: (areas: Int, why: String)?
    let demand: RunDemand

    init(_ input: RuleInput, max: Int, failsAt: Int) {
        let context = input.context
        let count = input.process?.mapCount ?? 0
        current = max
        demand = input.demand
        askedMiB = demand.memoryMiB
        // This call needs the count to be below `failsAt`: raise the limit by what it lacked.
        let forThisCall = max + (count - failsAt) + 1
        let size = context.hugetlbPageSize ?? input.failure.pageSize
        pageSize = size
        let onePagePerMapping = context.hugetlbMappings > 0
            && context.hugetlbBytesMapped <= UInt64(context.hugetlbMappings) * (size ?? 0)
        if let size, let areas = demand.areas(pageSize: size, freeAtStart: input.freeAtStart(pageSize: size)) {
            baseline = context.mappingsBeforeHugetlb ?? Swift.max(0, count - context.hugetlbMappings)
            poolPages = input.snapshot.pool(pageSize: size)?.total
            runAreas = areas
            smallest = Swift.max(forThisCall, baseline + areas.areas)
        } else if let size, onePagePerMapping, let pool = input.snapshot.pool(pageSize: size), pool.total > 0 {
            // A program of unknown layout mapping one page per area: the whole pool is the most it can map.
            baseline = context.mappingsBeforeHugetlb ?? Swift.max(0, count - context.hugetlbMappings)
            poolPages = pool.total
            runAreas = nil
            smallest = Swift.max(forThisCall, baseline + pool.total)
        } else {
            baseline = count
            poolPages = nil
            runAreas = nil
            smallest = forThisCall
        }
        recommended = Self.generous(smallest + smallest / 8)
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
        if let runAreas {
            return ["the run needs \(baseline + runAreas.areas) areas: \(baseline) of its own + \(runAreas.areas) for huge pages "
                    + "(\(runAreas.why)); hugetlb areas never merge"]
        }
        guard let poolPages, let pageSize else { return [] }
        return ["one mapping per \(Quantity.bytes(pageSize)) page: mapping the whole pool needs "
                + "\(baseline + poolPages) areas (\(baseline) + \(poolPages) pages); the program did not say how much it maps"]
    }

    func fix(setBy: SysctlAssignment?) -> [FixCommand] {
        let note: String
        if let runAreas {
            note = "\(baseline) + \(runAreas.areas) (\(runAreas.why)) = \(baseline + runAreas.areas); smallest that passes: \(smallest)"
        } else if let poolPages {
            note = "whole pool one page per area: \(baseline) + \(poolPages) = \(baseline + poolPages); "
                + "smallest that passes: \(smallest); " + DemandText.unknownRun
        } else {
            note = "smallest that passes this call: \(smallest); " + DemandText.unknownRun
        }
        var commands = FixText.sysctl("vm.max_map_count", String(recommended), setBy: setBy, note: note)
        guard let pageSize, poolPages != nil || runAreas != nil else {
            commands.append(FixCommand(.alternative, "map fewer, larger regions so the process needs fewer areas"))
            return commands
        }
        // What reduces the areas a hugetlb run needs (hugetlb areas never merge, so
        // --single-file-segments does not: it still maps one page per mmap).
        let gib: UInt64 = 1 << 30
        let pages = runAreas?.areas ?? poolPages ?? 0
        if pageSize < gib, pages > 1 {
            let bytes = UInt64(pages) * pageSize
            let large = Int((bytes + gib - 1) / gib)
            commands.append(FixCommand(.alternative,
                "use 1 GiB pages: boot with default_hugepagesz=1G hugepagesz=1G hugepages=\(large)",
                note: "\(Quantity.bytes(bytes)) in \(large) mappings instead of \(pages)"))
        }
        if demand.legacyMem, let needed = demand.requestedPages(pageSize: pageSize) {
            commands.append(FixCommand(.alternative, "DPDK: drop --legacy-mem",
                note: "dynamic memory maps only \(demand.source ?? "-m")'s \(needed) pages, not every free page"))
        }
        if demand.mapsEveryFreePage, let needed = demand.requestedPages(pageSize: pageSize),
           baseline + needed * (demand.layout == .everyFreePageTwice ? 2 : 1) < current {
            commands.append(FixCommand(.alternative, FixText.setPool(needed, pageSize: pageSize),
                note: "\(demand.requestText(pageSize: pageSize) ?? ""); an EAL that maps every free page then stays under \(current)"))
        }
        return commands
    }
}
