@testable import MapTrace

/// A deliberately naive reference for `AddressSpace`: one slot per 4 KiB page saying what is
/// mapped there and whether a mapping area starts at that page. Every operation touches each
/// page in its range; areas are read off by scanning all pages. It states the merge rules per
/// page boundary, independently of the tree's piece logic.
struct PageByPageAddressSpace {
    struct PageInfo: Equatable {
        var prot: UInt32
        var shared: Bool
        var offset: UInt64  // file offset of this page; 0 for private anonymous memory
        var path: String?
        var hugePageSize: UInt64?
        /// Private anonymous memory moved by mremap: which move. Its page offset no longer
        /// follows its address, so it merges only with memory of the same move.
        var move: Int?
    }
    private var moves = 0

    static let pageSize: UInt64 = 4096
    let base: UInt64
    let pageCount: Int
    private(set) var pages: [PageInfo?]
    /// Whether an area starts at this page (meaningful only when the page before is mapped).
    private var startsArea: [Bool]

    init(base: UInt64, pageCount: Int) {
        self.base = base
        self.pageCount = pageCount
        pages = Array(repeating: nil, count: pageCount)
        startsArea = Array(repeating: true, count: pageCount + 1)
    }

    func index(_ address: UInt64) -> Int { Int((address - base) / Self.pageSize) }
    func address(_ index: Int) -> UInt64 { base + UInt64(index) * Self.pageSize }

    static func isPrivateAnonymous(_ info: PageInfo) -> Bool {
        !info.shared && (info.path == nil || info.path!.hasPrefix("["))
    }

    private func info(of mapping: Mapping, page: Int) -> PageInfo {
        let offset = Self.isPrivateAnonymous(PageInfo(prot: 0, shared: mapping.shared, offset: 0, path: mapping.path))
            ? 0 : mapping.offset + (address(page) - mapping.start)
        return PageInfo(prot: mapping.prot, shared: mapping.shared, offset: offset, path: mapping.path,
                        hugePageSize: mapping.hugePageSize)
    }

    /// The kernel's merge rule for the boundary before page `b`.
    private func mergeable(at b: Int) -> Bool {
        guard b > 0, b < pageCount, let left = pages[b - 1], let right = pages[b] else { return false }
        guard left.hugePageSize == nil, right.hugePageSize == nil, left.prot == right.prot,
              left.shared == right.shared, left.path == right.path else { return false }
        if let path = left.path, ["[stack]", "[vdso]", "[vvar]", "[vsyscall]"].contains(path) { return false }
        if Self.isPrivateAnonymous(left) { return left.move == right.move }
        return left.offset + Self.pageSize == right.offset
    }

    private mutating func mergeIfPossible(at b: Int) {
        if mergeable(at: b) { startsArea[b] = false }
    }

    mutating func load(_ mappings: [Mapping]) {
        for mapping in mappings {
            for p in index(mapping.start)..<index(mapping.end) { pages[p] = info(of: mapping, page: p); startsArea[p] = false }
            startsArea[index(mapping.start)] = true
        }
    }

    mutating func map(_ mapping: Mapping) {
        let granule = mapping.hugePageSize ?? Self.pageSize
        var m = mapping
        m.end = m.start + (m.end - m.start + granule - 1) / granule * granule
        let (s, e) = (index(m.start), index(m.end))
        for p in s..<e { pages[p] = info(of: m, page: p); startsArea[p] = false }
        startsArea[s] = true
        startsArea[e] = true
        mergeIfPossible(at: s)
        mergeIfPossible(at: e)
    }

    mutating func unmap(start: UInt64, length: UInt64) {
        let (s, e) = (index(start), index(start + (length + Self.pageSize - 1) / Self.pageSize * Self.pageSize))
        for p in s..<e { pages[p] = nil }
        startsArea[e] = true
    }

    mutating func protect(start: UInt64, length: UInt64, prot: UInt32) {
        let (s, e) = (index(start), index(start + (length + Self.pageSize - 1) / Self.pageSize * Self.pageSize))
        var changed: [Int] = []
        for p in s..<e where pages[p] != nil && pages[p]!.prot != prot {
            if changed.last != p - 1 { startsArea[p] = true }
            if p + 1 == e || pages[p + 1] == nil || pages[p + 1]!.prot == prot { startsArea[p + 1] = true }
            changed.append(p)
        }
        for p in changed { pages[p]!.prot = prot }
        for p in changed { mergeIfPossible(at: p); mergeIfPossible(at: p + 1) }
    }

    mutating func setBreak(from oldBreak: UInt64, to newBreak: UInt64) {
        let oldEnd = index((oldBreak + 4095) / 4096 * 4096)
        let newEnd = index((newBreak + 4095) / 4096 * 4096)
        if newEnd < oldEnd { unmap(start: address(newEnd), length: UInt64(oldEnd - newEnd) * 4096); return }
        guard newEnd > oldEnd else { return }
        let heap = PageInfo(prot: 3, shared: false, offset: 0, path: "[heap]", hugePageSize: nil)
        if oldEnd > 0, let last = pages[oldEnd - 1], last.prot == 3, !last.shared, last.hugePageSize == nil,
           last.path == nil || last.path == "[heap]" {
            var p = oldEnd - 1
            while true {
                pages[p]!.path = "[heap]"
                if p == 0 || pages[p - 1] == nil || startsArea[p] { break }
                p -= 1
            }
            startsArea[oldEnd] = false
        } else {
            startsArea[oldEnd] = true
        }
        for p in oldEnd..<newEnd { pages[p] = heap; if p > oldEnd { startsArea[p] = false } }
        startsArea[newEnd] = true
    }

    mutating func remap(oldStart: UInt64, oldLength: UInt64, newStart: UInt64, newLength: UInt64, keepsOldRange: Bool) {
        let granule = pages[index(oldStart)]?.hugePageSize ?? Self.pageSize
        let oldPages = Int((oldLength + granule - 1) / granule * granule / Self.pageSize)
        let newPages = Int((newLength + granule - 1) / granule * granule / Self.pageSize)
        let (os, ns) = (index(oldStart), index(newStart))
        if oldPages == 0 {
            let source = areas().first { $0.start <= oldStart && oldStart < $0.end }!
            var copy = source.clipped(from: oldStart, to: source.end)
            copy.start = newStart
            copy.end = newStart + UInt64(newPages) * Self.pageSize
            map(copy)
            return
        }
        if os == ns {
            if newPages < oldPages {
                unmap(start: address(os + newPages), length: UInt64(oldPages - newPages) * Self.pageSize)
            } else if newPages > oldPages {
                let last = pages[os + oldPages - 1]!
                for p in (os + oldPages)..<(os + newPages) {
                    var grown = last
                    if !Self.isPrivateAnonymous(last) { grown.offset = last.offset + UInt64(p - (os + oldPages) + 1) * Self.pageSize }
                    pages[p] = grown
                    startsArea[p] = false
                }
                startsArea[os + newPages] = true
                mergeIfPossible(at: os + newPages)
            }
            return
        }
        var moved: [(PageInfo, Bool)] = []
        moves += 1
        for i in 0..<newPages {
            if i < oldPages {
                var info = pages[os + i]!
                if Self.isPrivateAnonymous(info), info.move == nil { info.move = moves }
                moved.append((info, i == 0 || startsArea[os + i]))
            } else {
                var grown = moved.last!.0
                if !Self.isPrivateAnonymous(grown) { grown.offset += Self.pageSize }
                moved.append((grown, false))
            }
        }
        if !keepsOldRange { unmap(start: oldStart, length: UInt64(oldPages) * Self.pageSize) }
        for (i, (info, starts)) in moved.enumerated() { pages[ns + i] = info; startsArea[ns + i] = starts }
        startsArea[ns + newPages] = true
        if !Self.isPrivateAnonymous(moved.first!.0) { mergeIfPossible(at: ns) }
        if !Self.isPrivateAnonymous(moved.last!.0) { mergeIfPossible(at: ns + newPages) }
    }

    /// The areas, read off page by page.
    func areas() -> [Mapping] {
        var result: [Mapping] = []
        for p in 0..<pageCount {
            guard let info = pages[p] else { continue }
            if p > 0, pages[p - 1] != nil, !startsArea[p] {
                result[result.count - 1].end += Self.pageSize
            } else {
                result.append(Mapping(start: address(p), end: address(p + 1), prot: info.prot, shared: info.shared,
                                      offset: info.offset, path: info.path, hugePageSize: info.hugePageSize))
            }
        }
        return result
    }
}
