import Testing
@testable import MapTrace

private let page: UInt64 = 4096
private let base: UInt64 = 0x7f00_0000_0000

/// A private anonymous area as an mmap the model saw makes it (`ProcessMemory.newMapping`).
private func fresh(_ startPage: UInt64, pages: UInt64 = 1) -> Mapping {
    var traits = AreaTraits(flags: [.account], lineage: 0)
    traits.plain = true
    return Mapping(start: base + startPage * page, end: base + (startPage + pages) * page, prot: 3, shared: false,
                   traits: traits)
}

/// Which merges of a new area the model decides alone and which it leaves to the kernel.
@Suite("New anonymous areas merging with a neighbour")
struct NewAreaMergeTests {
    @Test("a new area next to one the model saw mapped merges without asking the kernel")
    func plainNeighbourIsCertain() {
        var space = AddressSpace()
        space.map(fresh(0, pages: 4))
        _ = space.takeUnsure()
        space.map(fresh(4))  // above
        space.map(fresh(10))
        space.map(fresh(9))  // below: top-down placement
        #expect(space.count == 2)
        #expect(space.takeUnsure().isEmpty)
        #expect(space.unsureMerges == 0)
    }

    @Test("filling a hole between two such areas asks the kernel about the second join")
    func bothSidesStayUnsure() {
        var space = AddressSpace()
        space.map(fresh(0))
        space.map(fresh(2))
        _ = space.takeUnsure()
        space.map(fresh(1))
        #expect(space.count == 1)  // the likelier answer, until the kernel says
        #expect(space.takeUnsure() == [base + 2 * page])
    }

    @Test("a neighbour re-read from the kernel, moved, or from before a fork leaves the merge to the kernel")
    func otherHistoriesStayUnsure() {
        // read from smaps: its history (a fork, a move) is unknown
        var read = AddressSpace([Mapping(start: base, end: base + page, prot: 3, shared: false,
                                         traits: AreaTraits(flags: [.account], lineage: 0))])
        read.map(fresh(1))
        #expect(read.takeUnsure() == [base + page])

        // moved by mremap: its page offset stays where it was once it has pages
        var moved = AddressSpace()
        moved.map(fresh(100))
        moved.remap(oldStart: base + 100 * page, oldLength: page, newStart: base, newLength: page)
        _ = moved.takeUnsure()
        moved.map(fresh(1))
        #expect(!moved.takeUnsure().isEmpty)

        // after a fork, in the child: the anon_vma chain may be long
        var child = AddressSpace()
        child.map(fresh(0))
        child.forked()
        _ = child.takeUnsure()
        child.map(fresh(1))
        #expect(child.takeUnsure() == [base + page])
    }

    @Test("an area the kernel shows with another protection than the model held has flags no answer tells: beside it, the kernel decides")
    func protectionChangedUnseen() {
        // the model holds a writable, charged page; the kernel's answer shows it read-only (an
        // mprotect of another thread not yet seen, which dropped VM_ACCOUNT from the untouched page)
        var space = AddressSpace()
        space.map(fresh(1))
        _ = space.takeUnsure()
        space.adopt([(start: base + page, end: base + 2 * page, prot: 1)], low: base + page, high: base + 2 * page)
        // a new read-only page below it, which the kernel merged with it
        var readOnly = fresh(0)
        readOnly.prot = 1
        readOnly.traits?.flags = []
        space.map(readOnly)
        #expect(space.takeUnsure() == [base + page], "the join must be asked, not ruled out by a VM_ACCOUNT the model cannot know")
        #expect(space.count == 1)
    }
}
