import Testing
@testable import MapTrace


/// Drives `AddressSpace` and `PageByPageAddressSpace` with the same random calls, shaped like calls that
/// succeed in the kernel: hugetlb mappings live in the first three 2 MiB slots and every range
/// that touches one is widened to huge page boundaries; the heap lives in pages 1700–1950.
private struct RandomCalls {
    static let pageCount = 2048
    static let hugePages = 512  // 4 KiB pages per 2 MiB huge page
    static let base: UInt64 = 0x4000_0000
    static let heapStart = base + 1700 * 4096

    var rng: SeededGenerator
    var space = AddressSpace()
    var model = PageByPageAddressSpace(base: base, pageCount: pageCount)
    var currentBreak = heapStart
    var log: [String] = []

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    func address(_ page: Int) -> UInt64 { Self.base + UInt64(page) * 4096 }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }

    /// A page range, widened to huge page boundaries when it touches a hugetlb page.
    mutating func range(maxPages: Int) -> (Int, Int) {
        var s = int(0..<(Self.pageCount - 1))
        var e = min(Self.pageCount, s + int(1..<(maxPages + 1)))
        if (s..<e).contains(where: { model.pages[$0]?.hugePageSize != nil }) {
            s = s / Self.hugePages * Self.hugePages
            e = min(Self.pageCount, (e + Self.hugePages - 1) / Self.hugePages * Self.hugePages)
        }
        return (s, e)
    }

    /// A byte length for `pages` pages, short of the last page by up to 4095 bytes (rounding).
    mutating func length(pages: Int) -> UInt64 { UInt64(pages) * 4096 - UInt64(int(0..<4096)) }

    func touchesHugetlb(_ s: Int, _ e: Int) -> Bool {
        (s..<e).contains { model.pages[$0]?.hugePageSize != nil }
    }

    mutating func step() {
        let roll = int(0..<100)
        switch roll {
        case 0..<30: mapNormal()
        case 30..<38: mapHugetlb()
        case 38..<58:
            let (s, e) = range(maxPages: 12)
            let len = length(pages: e - s)
            log.append("unmap \(s) \(len)")
            space.unmap(start: address(s), length: len)
            model.unmap(start: address(s), length: len)
        case 58..<78:
            let (s, e) = range(maxPages: 12)
            let prot = [0, 1, 3, 5, 3][int(0..<5)] as UInt32
            log.append("protect \(s) \(e - s) \(prot)")
            space.protect(start: address(s), length: UInt64(e - s) * 4096, prot: prot)
            model.protect(start: address(s), length: UInt64(e - s) * 4096, prot: prot)
        case 78..<85: moveBreak()
        default: remap()
        }
    }

    mutating func mapNormal() {
        let (s, e) = range(maxPages: 8)
        let kind = int(0..<20)
        let prot = [0, 1, 3, 5, 3, 3][int(0..<6)] as UInt32
        var mapping = Mapping(start: address(s), end: address(s) + length(pages: e - s), prot: prot, shared: false)
        switch kind {
        case 0..<12: break
        case 12..<14: mapping.shared = true
        case 14..<17: mapping.path = "/lib/a.so"; mapping.offset = UInt64(s) * 4096
        default: mapping.path = "/data/b"; mapping.shared = true; mapping.offset = UInt64(int(0..<4)) * 4096
        }
        log.append("map \(mapping)")
        space.map(mapping)
        model.map(mapping)
    }

    mutating func mapHugetlb() {
        let slot = int(0..<3)
        let huge = slot < 2 && int(0..<3) == 0 ? 2 : 1
        let start = address(slot * Self.hugePages)
        let mapping = Mapping(start: start, end: start + UInt64(huge - 1) * (2 << 20) + 4096, prot: 3, shared: true,
                              path: "/dev/hugepages/rtemap_\(slot)", hugePageSize: 2 << 20)
        log.append("map \(mapping)")
        space.map(mapping)
        model.map(mapping)
    }

    mutating func moveBreak() {
        let newBreak = Self.heapStart + UInt64(int(0..<250)) * 4096 + UInt64(int(0..<4096))
        let oldEnd = model.index((currentBreak + 4095) / 4096 * 4096)
        let newEnd = model.index((newBreak + 4095) / 4096 * 4096)
        if newEnd > oldEnd, (oldEnd..<newEnd).contains(where: { model.pages[$0] != nil }) { return }  // brk fails
        log.append("brk \(currentBreak) -> \(newBreak)")
        space.setBreak(from: currentBreak, to: newBreak)
        model.setBreak(from: currentBreak, to: newBreak)
        currentBreak = newBreak
    }

    mutating func remap() {
        let areas = model.areas()
        guard !areas.isEmpty else { return }
        let area = areas[int(0..<areas.count)]
        let (first, last) = (model.index(area.start), model.index(area.end))
        if area.hugePageSize != nil {
            guard let slot = (0..<3).first(where: { !touchesHugetlb($0 * Self.hugePages, ($0 + 1) * Self.hugePages) && $0 * Self.hugePages != first }),
                  last - first == Self.hugePages else { return }
            apply(old: first, oldLength: area.length, new: slot * Self.hugePages, newLength: area.length, keeps: false)
            return
        }
        let a = int(first..<last)
        let oldPages = int(1..<(last - a + 1))
        switch int(0..<4) {
        case 0 where oldPages > 1:
            apply(old: a, oldLength: length(pages: oldPages), new: a, newLength: length(pages: int(1..<oldPages)), keeps: false)
        case 1:
            let grow = int(1..<5)
            let end = a + oldPages
            guard end == last, end + grow <= Self.pageCount,
                  !(end..<(end + grow)).contains(where: { model.pages[$0] != nil }) else { return }
            apply(old: a, oldLength: length(pages: oldPages), new: a, newLength: length(pages: oldPages + grow), keeps: false)
        case 2 where area.shared:
            let newPages = int(1..<6)
            let d = int(Self.hugePages * 3..<(Self.pageCount - newPages))
            guard d + newPages <= first || d >= last else { return }
            apply(old: a, oldLength: 0, new: d, newLength: length(pages: newPages), keeps: false)
        default:
            let newPages = int(1..<9)
            let keeps = area.path == nil && !area.shared && newPages == oldPages && int(0..<4) == 0
            let d = int(0..<(Self.pageCount - newPages))
            guard d + newPages <= a || d >= a + oldPages, !touchesHugetlb(d, d + newPages) else { return }
            apply(old: a, oldLength: length(pages: oldPages), new: d, newLength: length(pages: newPages), keeps: keeps)
        }
    }

    mutating func apply(old: Int, oldLength: UInt64, new: Int, newLength: UInt64, keeps: Bool) {
        log.append("remap \(old) \(oldLength) -> \(new) \(newLength)\(keeps ? " dontunmap" : "")")
        space.remap(oldStart: address(old), oldLength: oldLength, newStart: address(new), newLength: newLength, keepsOldRange: keeps)
        model.remap(oldStart: address(old), oldLength: oldLength, newStart: address(new), newLength: newLength, keepsOldRange: keeps)
    }
}

@Suite("Address-space model against a page-by-page reference")
struct AddressSpacePropertyTests {
    @Test("random memory calls leave the tree equal to the page-by-page model", arguments: [1, 2, 3] as [UInt64])
    func randomCallsMatchReference(seed: UInt64) {
        var calls = RandomCalls(seed: seed)
        for step in 0..<1500 {
            calls.step()
            let expected = calls.model.areas()
            let actual = calls.space.mappings
            guard actual == expected else {
                Issue.record("seed \(seed), step \(step) after \(calls.log.suffix(3)):\nexpected \(expected)\nactual   \(actual)")
                return
            }
            #expect(calls.space.count == expected.count)
            #expect(calls.space.hugetlbCount == expected.filter { $0.hugePageSize != nil }.count)
            #expect(calls.space.hugetlbBytes == expected.filter { $0.hugePageSize != nil }.reduce(0) { $0 + $1.length })
            let probe = calls.address(calls.int(0..<RandomCalls.pageCount)) + UInt64(calls.int(0..<4096))
            #expect(calls.space.mapping(containing: probe) == expected.first { $0.start <= probe && probe < $0.end })
            let length = UInt64(calls.int(1..<40_000))
            #expect(calls.space.mappings(overlapping: probe, length: length)
                == expected.filter { $0.start < probe + length && probe < $0.end })
        }
    }

    @Test("100,000 map and unmap calls on a space of 60,000 mappings stay logarithmic")
    func largeSpace() {
        let page: UInt64 = 4096
        let base: UInt64 = 0x10_0000_0000
        // 60,000 one-page mappings with a one-page gap between each two, like E1's fill.
        let initial = (0..<60_000).map { i in
            Mapping(start: base + UInt64(2 * i) * page, end: base + UInt64(2 * i + 1) * page, prot: 3, shared: false)
        }
        var space = AddressSpace(initial)
        #expect(space.count == 60_000)
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<25_000 {
            // Filling a gap merges it and its two neighbours into one; unmapping it splits them again.
            let gap = base + UInt64(2 * Int.random(in: 0..<59_999, using: &rng) + 1) * page
            space.map(Mapping(start: gap, end: gap + page, prot: 3, shared: false))
            #expect(space.count == 59_999)
            space.unmap(start: gap, length: page)
            // Removing a mapping and mapping it back leaves the count unchanged.
            let existing = base + UInt64(2 * Int.random(in: 0..<60_000, using: &rng)) * page
            space.unmap(start: existing, length: page)
            space.map(Mapping(start: existing, end: existing + page, prot: 3, shared: false))
        }
        #expect(space.count == 60_000)
        #expect(space.mappings == initial)
        // A treap's expected height is about 3·log2(n) ≈ 48 here.
        #expect(space.tree.height < 100)
    }
}
