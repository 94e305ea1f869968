extension AddressSpace {
    /// A successful mremap: moved to `newStart`, or resized in place when `newStart == oldStart`.
    public mutating func remap(oldStart: UInt64, oldLength: UInt64, newStart: UInt64, newLength: UInt64) {
        remap(oldStart: oldStart, oldLength: oldLength, newStart: newStart, newLength: newLength,
              keepsOldRange: false)
    }

    /// A successful mremap. `keepsOldRange` is MREMAP_DONTUNMAP: the pages move but the old
    /// range stays mapped. An `oldLength` of 0 (a second mapping of shared memory) leaves the
    /// old range too.
    ///
    /// Lengths are rounded to the page size of the mapping at `oldStart`. Growing in place
    /// may merge with the next mapping (vma_merge_extend, mm/vma.c). A moved file or shared
    /// mapping keeps its file offsets and merges where they are contiguous; a moved private
    /// anonymous mapping is kept apart, because the kernel moves its anon_vma and page offset
    /// along (copy_vma, mm/vma.c) and those seldom match the new neighbours' (a source of
    /// drift when the moved memory was never touched: then the kernel does merge it).
    public mutating func remap(oldStart: UInt64, oldLength: UInt64, newStart: UInt64, newLength: UInt64,
                               keepsOldRange: Bool) {
        let source = mapping(containing: oldStart)
        let granule = source?.granule ?? Page.size
        let oldLength = Page.roundUp(oldLength, to: granule)
        let newLength = Page.roundUp(newLength, to: granule)
        let oldEnd = Page.end(oldStart, oldLength)
        let newEnd = Page.end(newStart, newLength)
        guard newEnd > newStart else { return }

        if oldLength == 0 {
            guard let source else { return }
            var copy = source.clipped(from: oldStart, to: source.end)
            copy.start = newStart
            copy.end = newEnd
            map(copy)
            return
        }

        if newStart == oldStart {
            if newLength < oldLength {
                unmap(start: newEnd, length: oldLength - newLength)
            } else if newLength > oldLength {
                grow(endingAt: oldEnd, to: newEnd)
            }
            return
        }

        var moved = movedPieces(from: oldStart, oldEnd, to: newStart, newEnd)
        guard !moved.isEmpty else { return }
        // memory whose traits are unknown moves as one: give it one lineage
        let lineage = newLineage()
        for i in moved.indices where moved[i].mapping.traits?.lineage == 0 { moved[i].mapping.traits!.lineage = lineage }
        if !keepsOldRange { unmap(start: oldStart, length: oldLength) }
        tree.replace(newStart, newEnd) { touched in
            Self.remainders(of: touched, outside: newStart, newEnd, around: moved)
        }
    }

    /// Extends the mapping that ends at `end` to `newEnd` (mremap growing in place).
    private mutating func grow(endingAt end: UInt64, to newEnd: UInt64) {
        guard end > 0, let last = mapping(containing: end - 1) else { return }
        var grown = last
        grown.end = newEnd
        tree.replace(last.start, newEnd) { touched in
            Self.remainders(of: touched, outside: last.start, newEnd,
                            around: [Piece(grown, mergesLeft: false, mergesRight: true)])
        }
    }

    /// The mappings of [oldStart, oldEnd) shifted to start at `newStart`, cut or grown to end at
    /// `newEnd`. Only the outer ends of file-backed or shared memory may merge.
    private func movedPieces(from oldStart: UInt64, _ oldEnd: UInt64,
                             to newStart: UInt64, _ newEnd: UInt64) -> [Piece] {
        var pieces: [Piece] = []
        for mapping in tree.mappings(overlapping: oldStart, oldEnd) {
            var piece = mapping.clipped(from: oldStart, to: oldEnd)
            piece.start = Page.end(newStart, piece.start - oldStart)
            piece.end = Page.end(newStart, piece.end - oldStart)
            guard piece.start < newEnd else { break }
            piece.end = Swift.min(piece.end, newEnd)
            pieces.append(Piece(piece))
        }
        guard !pieces.isEmpty else { return [] }
        if pieces[pieces.count - 1].mapping.end < newEnd { pieces[pieces.count - 1].mapping.end = newEnd }
        // copy_vma (mm/vma.c) merges the moved area with its new neighbours when their anon_vmas
        // and page offsets allow; a private area's offset stays where it was once it had pages
        for i in pieces.indices where pieces[i].mapping.isPrivateAnonymous {
            if pieces[i].mapping.traits == nil { pieces[i].mapping.traits = AreaTraits(flags: [], lineage: 0) }
            pieces[i].mapping.traits!.shifted = true
        }
        for i in pieces.indices {
            pieces[i].mapping.traits?.plain = false
        }
        pieces[0].mergesLeft = true
        pieces[pieces.count - 1].mergesRight = true
        return pieces
    }
}
