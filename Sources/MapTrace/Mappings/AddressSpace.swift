/// A process's mappings as an ordered interval map, updated by the results of its memory calls.
///
/// A value type: a fork copies it (copy-on-write storage, so the copy is O(1) until written);
/// threads share one. Every operation is O(log n + k) for k mappings touched.
///
/// The model follows the kernel's splitting and merging closely enough that the common cases
/// are exact (a run of anonymous mmaps merges into one area; hugetlb mappings never merge; an
/// munmap or mprotect in the middle of an area splits it). Where it can drift is listed at
/// `Mapping.canMerge`; the tracer re-syncs from /proc/PID/maps at exec, at a failure and at
/// intervals, and reports the kernel's own count at a failure.
public struct AddressSpace: Sendable {
    /// The ordered storage (internal so the operations in other files and the tests reach it).
    var tree: MappingTree

    /// mm->def_flags: VM_LOCKED (and VM_LOCKONFAULT) after mlockall(MCL_FUTURE), given to
    /// every area mapped afterwards.
    public var defaultFlags: VMFlags = []
    /// The last lineage handed out (see `AreaTraits.lineage`).
    private var lastLineage: UInt32 = 0
    /// Merges decided without knowing the anon_vmas, over the model's life: each may have been
    /// two areas in the kernel, so the count could be that much higher.
    public var unsureMerges: Int { tree.unsureTotal }
    /// Merges left undone without knowing: the count could be that much lower.
    public var unsureSeparations: Int { tree.unsureApartTotal }

    /// An empty address space.
    public init() { tree = MappingTree() }

    /// The mappings exactly as given (as read from /proc/PID/maps): they are not merged, so
    /// `count` is the kernel's count. Overlapping input is resolved in favour of later entries.
    ///
    /// Areas with traits (read from smaps) get a lineage each; `inherited` says their history is
    /// unknown (a process attached to), so their anon_vma chains may be long.
    public init(_ mappings: [Mapping], inherited: Bool = false) {
        // the gate area (x86_64's [vsyscall]) is shown in maps but is in no mm's count
        var lineage: UInt32 = 0
        let sorted = mappings.filter { $0.path != "[vsyscall]" }.sorted { $0.start < $1.start }.map { area -> Mapping in
            guard area.traits != nil else { return area }
            var area = area
            lineage += 1
            area.traits!.lineage = lineage
            area.traits!.inherited = inherited
            // which pieces share one shmem file, smaps does not say
            if area.shared && area.isFileIdentityByLineage { area.traits!.uncertain = true }
            return area
        }
        defer { lastLineage = lineage }
        if sorted.allSatisfy({ $0.start < $0.end }), zip(sorted, sorted.dropFirst()).allSatisfy({ $0.end <= $1.start }) {
            tree = MappingTree(sorted: sorted)
        } else {
            tree = MappingTree()
            for mapping in sorted where mapping.start < mapping.end {
                tree.replace(mapping.start, mapping.end) { touched in
                    Self.remainders(of: touched, outside: mapping.start, mapping.end, around: [Piece(mapping)])
                }
            }
        }
    }

    /// Mapping areas the model holds: the kernel's map_count, as far as modelled.
    public var count: Int { tree.count }

    /// How many of them are hugetlb mappings.
    public var hugetlbCount: Int { tree.hugetlbCount }

    /// Bytes mapped by hugetlb mappings.
    public var hugetlbBytes: UInt64 { tree.hugetlbBytes }

    /// All mappings in address order (O(n); for tests and re-syncs).
    public var mappings: [Mapping] { tree.all }

    /// The mapping that contains `address`, in O(log n).
    public func mapping(containing address: UInt64) -> Mapping? { tree.mapping(containing: address) }

    /// Mappings that share at least one byte with [start, start + length), in address order.
    public func mappings(overlapping start: UInt64, length: UInt64) -> [Mapping] {
        tree.mappings(overlapping: start, Page.end(start, length))
    }

    /// Whether `body` holds for every mapping that shares a byte with [start, start + length),
    /// asked in address order until it does not; no array is made.
    public func allMappings(overlapping start: UInt64, length: UInt64, satisfy body: (Mapping) -> Bool) -> Bool {
        tree.allMappings(overlapping: start, Page.end(start, length), satisfy: body)
    }

    /// How many mappings an munmap (or a MAP_FIXED mmap) of [start, start + length) must
    /// split: 0, 1 or 2, one for each page-rounded edge that falls strictly inside a mapping.
    /// Each split needs map_count < vm.max_map_count (split_vma in mm/vma.c, docs/causes.md).
    public func splitsNeeded(start: UInt64, length: UInt64) -> Int {
        let end = Page.end(start, Page.roundUp(length, to: Page.size))
        guard end > start else { return 0 }
        var splits = 0
        if let first = mapping(containing: start), first.start < start { splits += 1 }
        if let last = mapping(containing: end - 1), last.end > end { splits += 1 }
        return splits
    }

    // MARK: Operations (called with the arguments of calls that succeeded)

    /// A successful mmap or shmat: replaces whatever overlaps (MAP_FIXED semantics), then
    /// merges with compatible neighbours. The length is rounded up to the page size (the huge
    /// page size for hugetlb mappings); `prot` bits other than read, write, exec are ignored.
    public mutating func map(_ m: Mapping) {
        guard m.end > m.start else { return }
        var mapping = m
        mapping.prot &= 7
        mapping.end = Page.end(mapping.start, Page.roundUp(m.length, to: mapping.granule))
        if var traits = mapping.traits {
            traits.flags.formUnion(defaultFlags.intersection(.lockMask))
            traits.lineage = newLineage()
            mapping.traits = traits
        }
        tree.replace(mapping.start, mapping.end) { touched, pieces in
            Self.appendRemainders(of: touched, outside: mapping.start, mapping.end, around: CollectionOfOne(.new(mapping)), to: &pieces)
        }
    }

    /// A lineage no area has yet.
    mutating func newLineage() -> UInt32 {
        lastLineage &+= 1
        return lastLineage
    }

    /// The boundaries where merges were decided without knowing the anon_vmas since the last
    /// call, for the live tracer to check with the kernel; replay only counts them.
    public mutating func takeUnsure() -> [UInt64] {
        // nothing to take at most calls: no array is made then
        guard !tree.unsure.isEmpty else { return [] }
        defer { tree.unsure = [] }
        return tree.unsure
    }

    /// Whether `takeUnsure` has nothing to give.
    public var isSure: Bool { tree.unsure.isEmpty }

    /// `takeUnsure`, each boundary appended to `spans` as an empty span: the model's buffer is
    /// kept for the next ones.
    mutating func drainUnsure(into spans: inout [(start: UInt64, end: UInt64)]) {
        for point in tree.unsure { spans.append((point, point)) }
        tree.unsure.removeAll(keepingCapacity: true)
    }

    /// A successful munmap or shmdt: removes [start, start + length) (page-rounded), which
    /// splits a mapping in two when the range lies strictly inside it. Never merges.
    public mutating func unmap(start: UInt64, length: UInt64) {
        let end = Page.end(start, Page.roundUp(length, to: Page.size))
        guard end > start else { return }
        tree.replace(start, end) { touched, pieces in
            Self.appendRemainders(of: touched, outside: start, end, around: EmptyCollection(), to: &pieces)
        }
    }

    /// A successful mprotect: splits the mappings at the range's edges, sets `prot` inside, and
    /// merges pieces that became equal to their neighbours. Private memory made writable is
    /// charged (VM_ACCOUNT), as mprotect_fixup (mm/mprotect.c) does.
    public mutating func protect(start: UInt64, length: UInt64, prot: UInt32, pkey: UInt32? = nil) {
        let prot = prot & 7
        modify(start: start, length: length) { area in
            // mprotect_fixup charges private memory that becomes writable and was neither
            // writable nor charged (nor NORESERVE) before; it uncharges anonymous memory made
            // read-only only while it has no anon_vma, which no call shows
            if prot & 2 != 0, area.prot & 2 == 0, !area.shared, !area.isHugetlb,
               area.traits?.flags.isDisjoint(with: [.account, .noReserve]) == true {
                area.traits?.flags.insert(.account)
            } else if prot & 2 == 0, area.path == nil, !area.shared, area.traits?.flags.contains(.account) == true {
                area.traits?.uncertain = true
            }
            area.prot = prot
            if let pkey { area.traits?.pkey = pkey }
        }
    }

    /// Changes what `change` changes on every area in [start, start + length) (page-rounded):
    /// an area the change leaves as it was is not touched (the kernel's `newflags == oldflags`
    /// shortcut), the others are split at the range's edges and merged where they became equal
    /// to a neighbour (vma_modify in mm/vma.c). Areas whose traits are unknown are changed and
    /// their edges recorded as unsure: the kernel may have had nothing to change there.
    public mutating func modify(start: UInt64, length: UInt64, _ change: (inout Mapping) -> Void) {
        let end = Page.end(start, Page.roundUp(length, to: Page.size))
        guard end > start else { return }
        var unknown: [UInt64] = []
        var changedAny = false
        tree.replace(start, end) { touched in
            var pieces: [Piece] = []
            for mapping in touched {
                var changed = mapping
                change(&changed)
                if mapping.traits == nil || mapping.traits!.uncertain {
                    // what the kernel compares is unknown here: whether it split is for it to say
                    unknown.append(Swift.max(mapping.start, start))
                    unknown.append(Swift.min(mapping.end, end))
                }
                if changed == mapping && changed.traits == mapping.traits {
                    pieces.append(Piece(mapping))
                    continue
                }
                changedAny = true
                let (low, high) = Self.cut(mapping, start, end)
                if mapping.start < low { pieces.append(Piece(mapping.clipped(from: mapping.start, to: low))) }
                var middle = mapping.clipped(from: low, to: high)
                change(&middle)
                pieces.append(.fresh(middle))
                if high < mapping.end { pieces.append(Piece(mapping.clipped(from: high, to: mapping.end))) }
            }
            return pieces
        }
        tree.unsure.append(contentsOf: unknown)
        tree.unsureTotal += unknown.count
        // the kernel skips areas whose flags already match, and the model's view of flags can be
        // short of the kernel's: let the live tracer check the edges it split at
        if changedAny { tree.unsure.append(contentsOf: [start, end]) }
    }

    /// Marks [start, start + length) as changed in a way the model cannot follow (a call that
    /// stopped half way, an mremap): the areas there become uncertain, and the live tracer asks
    /// the kernel about every edge in the range.
    public mutating func markUnsure(start: UInt64, length: UInt64) {
        let end = Page.end(start, Page.roundUp(length, to: Page.size))
        guard end > start else { return }
        var edges: [UInt64] = [start, end]
        tree.replace(start, end) { touched in
            touched.map { area in
                var area = area
                area.traits?.uncertain = true
                edges.append(area.start)
                edges.append(area.end)
                return Piece(area)
            }
        }
        tree.unsure.append(contentsOf: edges)
        tree.unsureTotal += 2
    }

    /// Every area's traits after a fork, in the child: each anon_vma is new and chained to the
    /// parent's, so an area merges only with pieces of itself (anon_vma_fork in mm/rmap.c).
    /// Locks are not inherited: the child's areas and its mm->def_flags lose VM_LOCKED and
    /// VM_LOCKONFAULT (dup_mmap, mm_init in kernel/fork.c).
    public mutating func forked() {
        defaultFlags.subtract(.lockMask)
        let all = tree.all
        var copies: [Mapping] = []
        copies.reserveCapacity(all.count)
        // MADV_DONTFORK areas are not copied (dup_mmap skips VM_DONTCOPY)
        for var area in all where area.traits?.flags.contains(.dontCopy) != true {
            if area.traits != nil {
                area.traits!.lineage = newLineage()
                area.traits!.inherited = true
                area.traits!.plain = false
                area.traits!.flags.subtract(.lockMask)
            }
            copies.append(area)
        }
        tree = MappingTree(sorted: copies)
    }

    /// Takes the kernel's areas for a span it was asked about (`areas`, ascending, covering
    /// everything mapped in [low, high)) in place of the model's there. Each keeps the traits
    /// of the model's area at its start, which the kernel does not report. Returns the span
    /// where the model changed, nil when the answer confirmed it.
    @discardableResult
    public mutating func adopt(_ areas: [(start: UInt64, end: UInt64, prot: UInt32)], low: UInt64, high: UInt64)
        -> (start: UInt64, end: UInt64)?
    {
        guard high > low else { return nil }
        // most answers confirm the model: nothing to rebuild then
        let held = tree.mappings(overlapping: low, high)
        if held.count == areas.count,
           zip(held, areas).allSatisfy({ $0.start == $1.start && $0.end == $1.end && $0.prot == $1.prot }) {
            tree.unsure.removeAll()
            return nil
        }
        let span = (Swift.min(low, areas.first?.start ?? low), Swift.max(high, areas.last?.end ?? high))
        tree.replace(span.0, span.1) { touched in
            areas.map { area -> Piece in
                let template = touched.last(where: { $0.start <= area.start && $0.end > area.start })
                    ?? touched.first(where: { $0.end > area.start && $0.start < area.end })
                var mapping = template.map { $0.clipped(from: Swift.max($0.start, area.start), to: $0.end) }
                    ?? Mapping(start: area.start, end: area.end, prot: area.prot, shared: false)
                if mapping.start > area.start, !mapping.isPrivateAnonymous {
                    mapping.offset = mapping.offset &- (mapping.start - area.start)
                }
                mapping.start = area.start
                mapping.end = area.end
                // another protection than the model held there: a change it has not followed
                // (another thread's mprotect) may also have changed flags no answer shows, as
                // mprotect_fixup drops VM_ACCOUNT from untouched anonymous memory made read-only;
                // left sure, that flag kept the area apart from a neighbour the kernel merged
                if let template, template.prot != area.prot { mapping.traits?.uncertain = true }
                mapping.prot = area.prot
                mapping.traits?.plain = false  // the kernel saw it otherwise: its history is not the model's
                return Piece(mapping)
            }
        }
        tree.unsure.removeAll()
        return span
    }

    /// A successful brk: grows or shrinks the "[heap]" mapping to end at the new break
    /// (page-rounded), creating it when absent. Growth extends a private read-write anonymous
    /// mapping that ends at the old break, as do_brk_flags (mm/vma.c) does; it never merges
    /// with what follows.
    public mutating func setBreak(from oldBreak: UInt64, to newBreak: UInt64) {
        let oldEnd = Page.roundUp(oldBreak, to: Page.size)
        let newEnd = Page.roundUp(newBreak, to: Page.size)
        if newEnd < oldEnd {
            unmap(start: newEnd, length: oldEnd - newEnd)
            return
        }
        guard newEnd > oldEnd else { return }
        var low = oldEnd
        var heap = Mapping(start: oldEnd, end: newEnd, prot: 3, shared: false, path: "[heap]",
                           traits: AreaTraits(flags: defaultFlags.intersection(.lockMask).union(.account), lineage: newLineage()))
        // do_brk_flags grows the area before the break when the kernel's merge test allows
        // (an mlock since, a fork's anon_vma chain, a policy keep them apart)
        if oldEnd > 0, let previous = mapping(containing: oldEnd - 1), previous.end == oldEnd,
           previous.path == nil || previous.path == "[heap]" {
            var candidate = heap
            candidate.path = previous.path
            let verdict = Mapping.verdict(previous, candidate)
            if verdict == .merge || verdict == .unsure {
                if verdict == .unsure {
                    tree.unsure.append(oldEnd)
                    tree.unsureTotal += 1
                }
                low = previous.start
                heap.start = previous.start
                heap.traits = previous.traits
            }
        }
        tree.replace(low, newEnd) { touched in
            Self.remainders(of: touched, outside: low, newEnd, around: [Piece(heap)])
        }
    }

    // MARK: Pieces

    /// The range a mapping loses when [low, high) is cut out of it: hugetlb mappings split only
    /// at huge page boundaries (hugetlb_split in mm/hugetlb.c refuses others), so the range is
    /// widened to them; successful calls are aligned already.
    static func cut(_ mapping: Mapping, _ low: UInt64, _ high: UInt64) -> (UInt64, UInt64) {
        let granule = mapping.granule
        let from = Swift.max(mapping.start, Page.roundDown(low, to: granule))
        let to = Swift.min(mapping.end, Page.roundUp(high, to: granule))
        return (from, to)
    }

    /// What is left of `touched` outside [low, high), in address order, with `middle`
    /// placed between the parts before and after the range.
    static func remainders(of touched: [Mapping], outside low: UInt64, _ high: UInt64,
                           around middle: [Piece]) -> [Piece] {
        if touched.isEmpty { return middle }  // a mapping into a hole: no array made
        var pieces: [Piece] = []
        appendRemainders(of: touched, outside: low, high, around: middle, to: &pieces)
        return pieces
    }

    /// `remainders`, appended to `pieces`.
    static func appendRemainders<Middle: Collection<Piece>>(of touched: [Mapping], outside low: UInt64, _ high: UInt64,
                                                            around middle: Middle, to pieces: inout [Piece]) {
        // touched areas are in order and disjoint: only the first can reach below the range,
        // only the last above it
        if let first = touched.first {
            let (from, _) = cut(first, low, high)
            if first.start < from { pieces.append(Piece(first.clipped(from: first.start, to: from))) }
        }
        pieces.append(contentsOf: middle)
        if let last = touched.last {
            let (_, to) = cut(last, low, high)
            if to < last.end { pieces.append(Piece(last.clipped(from: to, to: last.end))) }
        }
    }
}
