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

    /// An empty address space.
    public init() { tree = MappingTree() }

    /// The mappings exactly as given (as read from /proc/PID/maps): they are not merged, so
    /// `count` is the kernel's count. Overlapping input is resolved in favour of later entries.
    public init(_ mappings: [Mapping]) {
        let sorted = mappings.sorted { $0.start < $1.start }
        if sorted.allSatisfy({ $0.start < $0.end }), zip(sorted, sorted.dropFirst()).allSatisfy({ $0.end <= $1.start }) {
            tree = MappingTree(sorted: sorted)
        } else {
            tree = MappingTree()
            for mapping in mappings where mapping.start < mapping.end {
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

    /// How many mappings an munmap (or a MAP_FIXED mmap) of [start, start + length) must
    /// split: 0, 1 or 2, one for each page-rounded edge that falls strictly inside a mapping.
    /// Each split needs map_count < vm.max_map_count (split_vma in mm/vma.c, CAUSES.md row 2).
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
        tree.replace(mapping.start, mapping.end) { touched in
            Self.remainders(of: touched, outside: mapping.start, mapping.end, around: [.fresh(mapping)])
        }
    }

    /// A successful munmap or shmdt: removes [start, start + length) (page-rounded), which
    /// splits a mapping in two when the range lies strictly inside it. Never merges.
    public mutating func unmap(start: UInt64, length: UInt64) {
        let end = Page.end(start, Page.roundUp(length, to: Page.size))
        guard end > start else { return }
        tree.replace(start, end) { touched in
            Self.remainders(of: touched, outside: start, end, around: [])
        }
    }

    /// A successful mprotect: splits the mappings at the range's edges, sets `prot` inside, and
    /// merges pieces that became equal to their neighbours. Mappings that already have `prot`
    /// are left alone, as mprotect_fixup (mm/mprotect.c) does.
    public mutating func protect(start: UInt64, length: UInt64, prot: UInt32) {
        let end = Page.end(start, Page.roundUp(length, to: Page.size))
        let prot = prot & 7
        guard end > start else { return }
        tree.replace(start, end) { touched in
            var pieces: [Piece] = []
            for mapping in touched {
                if mapping.prot == prot {
                    pieces.append(Piece(mapping))
                    continue
                }
                let (low, high) = Self.cut(mapping, start, end)
                if mapping.start < low { pieces.append(Piece(mapping.clipped(from: mapping.start, to: low))) }
                var changed = mapping.clipped(from: low, to: high)
                changed.prot = prot
                // mprotect_fixup charges private memory made writable (VM_ACCOUNT)
                if prot & 2 != 0 && !mapping.shared && !mapping.isHugetlb && changed.accounted != nil { changed.accounted = true }
                pieces.append(.fresh(changed))
                if high < mapping.end { pieces.append(Piece(mapping.clipped(from: high, to: mapping.end))) }
            }
            return pieces
        }
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
        var heap = Mapping(start: oldEnd, end: newEnd, prot: 3, shared: false, path: "[heap]")
        if oldEnd > 0, let previous = mapping(containing: oldEnd - 1), previous.end == oldEnd,
           previous.prot == 3, !previous.shared, !previous.isHugetlb,
           previous.path == nil || previous.path == "[heap]" {
            low = previous.start
            heap.start = previous.start
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
        var before: [Piece] = []
        var after: [Piece] = []
        for mapping in touched {
            let (from, to) = cut(mapping, low, high)
            if mapping.start < from { before.append(Piece(mapping.clipped(from: mapping.start, to: from))) }
            if to < mapping.end { after.append(Piece(mapping.clipped(from: to, to: mapping.end))) }
        }
        return before + middle + after
    }
}
