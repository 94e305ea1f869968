import Testing
@testable import MapTrace

private let page: UInt64 = 4096
private let hugePage: UInt64 = 2 << 20
private let base: UInt64 = 0x7f00_0000_0000

private func anon(_ startPage: UInt64, pages: UInt64, prot: UInt32 = 3) -> Mapping {
    Mapping(start: base + startPage * page, end: base + (startPage + pages) * page, prot: prot, shared: false)
}

private func rtemap(_ index: UInt64, at address: UInt64, pages: UInt64 = 1) -> Mapping {
    Mapping(start: address, end: address + pages * hugePage, prot: 3, shared: true, offset: 0,
            path: "/dev/hugepages/rtemap_\(index)", hugePageSize: hugePage)
}

@Suite("Address-space model")
struct AddressSpaceTests {
    @Test("a run of adjacent anonymous mmaps merges into one mapping")
    func anonymousRunMerges() {
        var space = AddressSpace()
        for i in 0..<10 as Range<UInt64> { space.map(anon(i, pages: 1)) }
        #expect(space.count == 1)
        #expect(space.mappings == [anon(0, pages: 10)])
        // Mapping below the run (the kernel's top-down placement) merges too.
        space.map(anon(20, pages: 2))
        space.map(anon(12, pages: 8))
        #expect(space.count == 2)
        #expect(space.mappings.last == anon(12, pages: 10))
    }

    @Test("adjacent anonymous mmaps with different protections or sharing stay apart")
    func incompatibleNeighboursStayApart() {
        var space = AddressSpace()
        space.map(anon(0, pages: 1, prot: 3))
        space.map(anon(1, pages: 1, prot: 1))
        var shared = anon(2, pages: 1, prot: 1)
        shared.shared = true
        space.map(shared)
        var secondShared = anon(3, pages: 1, prot: 1)
        secondShared.shared = true
        space.map(secondShared)
        #expect(space.count == 4)
    }

    @Test("hugetlbfs pages mapped one by one at contiguous addresses and offsets do not merge")
    func hugetlbPagesStaySeparate() {
        var space = AddressSpace()
        let start: UInt64 = 0x1_0000_0000
        for i in 0..<64 as Range<UInt64> {
            var mapping = rtemap(0, at: start + i * hugePage)
            mapping.offset = i * hugePage  // same file, contiguous offsets: still separate VMAs
            space.map(mapping)
        }
        #expect(space.count == 64)
        #expect(space.hugetlbCount == 64)
        #expect(space.hugetlbBytes == 64 * hugePage)
    }

    @Test("munmap of a middle page splits one mapping into two")
    func munmapMiddleSplits() {
        var space = AddressSpace([anon(0, pages: 8)])
        space.unmap(start: base + 3 * page, length: page)
        #expect(space.count == 2)
        #expect(space.mappings == [anon(0, pages: 3), anon(4, pages: 4)])
        #expect(space.mapping(containing: base + 3 * page) == nil)
    }

    @Test("mprotect of a middle range makes three mappings")
    func mprotectMiddleMakesThree() {
        var space = AddressSpace([anon(0, pages: 8)])
        space.protect(start: base + 2 * page, length: 3 * page, prot: 1)
        #expect(space.mappings == [anon(0, pages: 2), anon(2, pages: 3, prot: 1), anon(5, pages: 3)])
    }

    @Test("mprotect back to the original protection merges the three mappings into one")
    func mprotectBackMerges() {
        var space = AddressSpace([anon(0, pages: 8)])
        space.protect(start: base + 2 * page, length: 3 * page, prot: 1)
        space.protect(start: base + 2 * page, length: 3 * page, prot: 3)
        #expect(space.mappings == [anon(0, pages: 8)])
    }

    @Test("mprotect to the protection a mapping already has changes nothing")
    func mprotectSameProtection() {
        var space = AddressSpace([anon(0, pages: 8)])
        space.protect(start: base + 2 * page, length: page, prot: 3)
        #expect(space.mappings == [anon(0, pages: 8)])
    }

    @Test("mprotect of a range covering two mappings merges them when they become equal")
    func mprotectAcrossTwo() {
        var space = AddressSpace()
        space.map(anon(0, pages: 4, prot: 1))
        space.map(anon(4, pages: 4, prot: 3))
        space.protect(start: base + 4 * page, length: 4 * page, prot: 1)
        #expect(space.mappings == [anon(0, pages: 8, prot: 1)])
    }

    @Test("a hugetlb MAP_FIXED mmap into the middle of a PROT_NONE reservation leaves three mappings")
    func fixedIntoReservation() {
        let start: UInt64 = 0x1_0000_0000
        var space = AddressSpace()
        space.map(Mapping(start: start, end: start + 8 * hugePage, prot: 0, shared: false))
        space.map(rtemap(0, at: start + 2 * hugePage))
        #expect(space.count == 3)
        #expect(space.hugetlbCount == 1)
        space.map(rtemap(1, at: start + 3 * hugePage))
        #expect(space.count == 4)
        #expect(space.mappings.map(\.start) == [start, start + 2 * hugePage, start + 3 * hugePage, start + 4 * hugePage])
    }

    @Test("a MAP_FIXED anonymous mmap with the same protection inside an anonymous mapping leaves one")
    func fixedSameInsideAnon() {
        var space = AddressSpace([anon(0, pages: 8)])
        space.map(anon(3, pages: 2))
        #expect(space.mappings == [anon(0, pages: 8)])
        space.map(anon(3, pages: 2, prot: 1))
        #expect(space.count == 3)
    }

    @Test("file mappings merge when their offsets are contiguous and stay apart otherwise")
    func fileOffsets() {
        let lib = "/usr/lib/x86_64-linux-gnu/libc.so.6"
        var space = AddressSpace()
        space.map(Mapping(start: base, end: base + 2 * page, prot: 1, shared: false, offset: 0, path: lib))
        space.map(Mapping(start: base + 2 * page, end: base + 3 * page, prot: 1, shared: false, offset: 2 * page, path: lib))
        #expect(space.count == 1)
        space.map(Mapping(start: base + 3 * page, end: base + 4 * page, prot: 1, shared: false, offset: 9 * page, path: lib))
        space.map(Mapping(start: base + 4 * page, end: base + 5 * page, prot: 1, shared: false, offset: 10 * page, path: "/other"))
        #expect(space.count == 3)
    }

    @Test("munmap of a middle piece keeps the file offset of the part after the hole")
    func munmapKeepsOffsets() {
        var space = AddressSpace([Mapping(start: base, end: base + 4 * page, prot: 5, shared: false, offset: 0x1000, path: "/bin/x")])
        space.unmap(start: base + page, length: page)
        #expect(space.mappings.map(\.offset) == [0x1000, 0x3000])
    }

    @Test("munmap over several mappings removes them and never merges what is left")
    func munmapNeverMerges() {
        var space = AddressSpace([anon(0, pages: 2), anon(2, pages: 2), anon(4, pages: 2), anon(6, pages: 2)])
        space.unmap(start: base + page, length: 4 * page)
        #expect(space.mappings == [anon(0, pages: 1), anon(5, pages: 1), anon(6, pages: 2)])
    }

    @Test("normal lengths round up to 4096 bytes and hugetlb lengths to the huge page size")
    func rounding() {
        var space = AddressSpace()
        space.map(Mapping(start: base, end: base + 100, prot: 3, shared: false))
        #expect(space.mappings.first?.end == base + page)
        var huge = rtemap(0, at: 0x1_0000_0000)
        huge.end = huge.start + 4096
        space.map(huge)
        #expect(space.mapping(containing: 0x1_0000_0000)?.length == hugePage)
        #expect(space.hugetlbBytes == hugePage)
        space.unmap(start: base, length: 1)
        #expect(space.count == 1)
    }

    @Test("munmap of one huge page inside a hugetlb mapping splits it and lowers the hugetlb bytes")
    func hugetlbSplit() {
        let start: UInt64 = 0x1_0000_0000
        var space = AddressSpace([rtemap(0, at: start, pages: 4)])
        space.unmap(start: start + hugePage, length: hugePage)
        #expect(space.hugetlbCount == 2)
        #expect(space.hugetlbBytes == 3 * hugePage)
        #expect(space.mappings.map(\.offset) == [0, 2 * hugePage])
    }

    @Test("brk creates the heap, grows it, shrinks it and removes it at the start")
    func brkLifecycle() {
        let start: UInt64 = 0x5555_5555_8000
        var space = AddressSpace([Mapping(start: start - 3 * page, end: start - page, prot: 3, shared: false, path: "/bin/x")])
        space.setBreak(from: start, to: start + 0x21000)
        #expect(space.mapping(containing: start) == Mapping(start: start, end: start + 0x21000, prot: 3, shared: false, path: "[heap]"))
        space.setBreak(from: start + 0x21000, to: start + 0x42001)
        #expect(space.count == 2)
        #expect(space.mapping(containing: start)?.end == start + 0x43000)
        space.setBreak(from: start + 0x42001, to: start + 0x100)
        #expect(space.mapping(containing: start)?.end == start + page)
        space.setBreak(from: start + 0x100, to: start)
        #expect(space.count == 1)
    }

    @Test("brk extends an anonymous read-write mapping that ends at the old break")
    func brkExtendsBss() {
        var space = AddressSpace([anon(0, pages: 2)])
        space.setBreak(from: base + 2 * page, to: base + 5 * page)
        #expect(space.mappings == [Mapping(start: base, end: base + 5 * page, prot: 3, shared: false, path: "[heap]")])
    }

    @Test("mremap growing in place extends the mapping, and shrinking in place cuts its tail")
    func mremapInPlace() {
        var space = AddressSpace([anon(0, pages: 2), anon(10, pages: 2, prot: 1)])
        space.remap(oldStart: base, oldLength: 2 * page, newStart: base, newLength: 4 * page)
        #expect(space.mappings.first == anon(0, pages: 4))
        space.remap(oldStart: base, oldLength: 4 * page, newStart: base, newLength: page)
        #expect(space.mappings == [anon(0, pages: 1), anon(10, pages: 2, prot: 1)])
    }

    @Test("mremap growing in place up to an equal neighbour merges with it")
    func mremapGrowMerges() {
        var space = AddressSpace([anon(0, pages: 2), anon(4, pages: 2, prot: 3)])
        space.remap(oldStart: base, oldLength: 2 * page, newStart: base, newLength: 4 * page)
        #expect(space.mappings == [anon(0, pages: 6)])
    }

    @Test("mremap moving a file mapping carries its offset and unmaps the old range")
    func mremapMovesFile() {
        let file = Mapping(start: base, end: base + 4 * page, prot: 1, shared: true, offset: 0x10000, path: "/data/f")
        var space = AddressSpace([file])
        let target = base + 100 * page
        space.remap(oldStart: base + page, oldLength: 2 * page, newStart: target, newLength: 3 * page)
        #expect(space.mappings == [
            Mapping(start: base, end: base + page, prot: 1, shared: true, offset: 0x10000, path: "/data/f"),
            Mapping(start: base + 3 * page, end: base + 4 * page, prot: 1, shared: true, offset: 0x13000, path: "/data/f"),
            Mapping(start: target, end: target + 3 * page, prot: 1, shared: true, offset: 0x11000, path: "/data/f"),
        ])
    }

    @Test("mremap moving anonymous memory next to equal anonymous memory keeps it apart")
    func mremapAnonStaysApart() {
        var space = AddressSpace([anon(0, pages: 4), anon(10, pages: 2)])
        space.remap(oldStart: base, oldLength: 4 * page, newStart: base + 6 * page, newLength: 4 * page)
        #expect(space.mappings == [anon(6, pages: 4), anon(10, pages: 2)])
    }

    @Test("mremap with MREMAP_DONTUNMAP leaves the old range mapped")
    func mremapDontUnmap() {
        var space = AddressSpace([anon(0, pages: 4)])
        space.remap(oldStart: base, oldLength: 4 * page, newStart: base + 20 * page, newLength: 4 * page, keepsOldRange: true)
        #expect(space.mappings == [anon(0, pages: 4), anon(20, pages: 4)])
    }

    @Test("mremap of a hugetlb mapping rounds its lengths to the huge page size")
    func mremapHugetlb() {
        let start: UInt64 = 0x1_0000_0000
        var space = AddressSpace([rtemap(0, at: start, pages: 2)])
        space.remap(oldStart: start, oldLength: 2 * hugePage, newStart: start + 10 * hugePage, newLength: hugePage + 1)
        #expect(space.mappings == [rtemap(0, at: start + 10 * hugePage, pages: 2)])
        #expect(space.hugetlbBytes == 2 * hugePage)
    }

    @Test("an address space read from maps keeps adjacent equal mappings apart")
    func initDoesNotMerge() {
        let space = AddressSpace([anon(2, pages: 2), anon(0, pages: 2)])
        #expect(space.count == 2)
        #expect(space.mappings == [anon(0, pages: 2), anon(2, pages: 2)])
    }

    @Test("a copy of an address space (a fork) changes independently of the original")
    func forkCopies() {
        var parent = AddressSpace([anon(0, pages: 8)])
        var child = parent
        child.unmap(start: base + page, length: page)
        parent.map(anon(20, pages: 1))
        #expect(parent.count == 2)
        #expect(child.count == 2)
        #expect(parent.mappings == [anon(0, pages: 8), anon(20, pages: 1)])
        #expect(child.mappings == [anon(0, pages: 1), anon(2, pages: 6)])
    }

    @Test("lookups find the containing mapping and the ones overlapping a range")
    func lookups() {
        let space = AddressSpace([anon(0, pages: 2), anon(4, pages: 2), anon(8, pages: 2)])
        #expect(space.mapping(containing: base + page + 17) == anon(0, pages: 2))
        #expect(space.mapping(containing: base + 2 * page) == nil)
        #expect(space.mapping(containing: base - 1) == nil)
        #expect(space.mappings(overlapping: base + page, length: 4 * page) == [anon(0, pages: 2), anon(4, pages: 2)])
        #expect(space.mappings(overlapping: base + 6 * page, length: 2 * page).isEmpty)
        #expect(space.mappings(overlapping: base, length: 0).isEmpty)
    }
}

@Suite("Splits a call needs")
struct SplitsNeededTests {
    @Test("a hole in the middle of a mapping needs two splits, a range at its edge one, a whole mapping none")
    func splitsNeeded() {
        let space = AddressSpace([anon(0, pages: 8), anon(10, pages: 2)])
        #expect(space.splitsNeeded(start: base + 3 * page, length: page) == 2)
        #expect(space.splitsNeeded(start: base, length: page) == 1)
        #expect(space.splitsNeeded(start: base + 7 * page, length: 4 * page) == 2)
        #expect(space.splitsNeeded(start: base, length: 8 * page) == 0)
        #expect(space.splitsNeeded(start: base + 8 * page, length: 2 * page) == 0)
    }
}
