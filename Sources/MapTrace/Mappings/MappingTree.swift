/// A treap of non-overlapping mappings keyed by start address.
///
/// Nodes live in parallel arrays and link by index, so the whole tree is a plain value:
/// copying it (a fork) is O(1) and the first write after the copy duplicates the arrays once.
/// Keys and links sit in their own arrays so searches never touch the `Mapping` values (and
/// their strings). Every range operation is a split into (before, touched, after), a rebuild of
/// the touched part and two joins: O(log n + k) for k touched mappings.
struct MappingTree: Sendable {
    typealias Node = Int32
    static let none: Node = -1

    private var starts: [UInt64] = []
    private var ends: [UInt64] = []
    private var lefts: [Node] = []
    private var rights: [Node] = []
    private var priorities: [UInt64] = []
    private var values: [Mapping] = []
    private var freeNodes: [Node] = []
    private var root: Node = none
    /// Buffers `replace` reuses, so that a call's update allocates nothing once they have grown
    /// (each is swapped out while in use; a copy of the tree shares them until either writes).
    private var touchedBuffer: [Mapping] = []
    private var nodeBuffer: [Node] = []
    private var spineBuffer: [Node] = []
    private var pieceBuffer: [Piece] = []
    /// State of the priority sequence (splitmix64); deterministic, so runs are reproducible.
    private var seed: UInt64 = 0x2545_F491_4F6C_DD1D

    private(set) var count = 0
    /// Boundaries where a merge was decided without knowing the anon_vmas, since last taken.
    var unsure: [UInt64] = []
    /// How many merges were decided unsure, ever: made, or left undone.
    var unsureTotal = 0
    var unsureApartTotal = 0
    private(set) var hugetlbCount = 0
    private(set) var hugetlbBytes: UInt64 = 0

    init() {}

    /// A tree holding `sorted` (ascending, non-overlapping) as they are, built in O(n).
    init(sorted: [Mapping]) {
        reserve(sorted.count)
        root = buildTree(sorted.map { makeNode($0) })
    }

    // MARK: Queries

    /// All mappings in address order.
    var all: [Mapping] { inOrder(root).map { values[Int($0)] } }

    /// The mapping with the greatest start ≤ `address`, if it contains `address`.
    func mapping(containing address: UInt64) -> Mapping? {
        var node = root
        var best = Self.none
        while node != Self.none {
            let i = Int(node)
            if starts[i] <= address { best = node; node = rights[i] } else { node = lefts[i] }
        }
        guard best != Self.none, ends[Int(best)] > address else { return nil }
        return values[Int(best)]
    }

    /// Mappings that share at least one byte with [low, high), in address order.
    func mappings(overlapping low: UInt64, _ high: UInt64) -> [Mapping] {
        guard low < high else { return [] }
        var found: [Mapping] = []
        if let straddling = mapping(containing: low), straddling.start < low { found.append(straddling) }
        collect(root, low, high, into: &found)
        return found
    }

    /// Whether `body` holds for every mapping that shares a byte with [low, high), asked in
    /// address order until it does not: `mappings(overlapping:)` without making an array.
    func allMappings(overlapping low: UInt64, _ high: UInt64, satisfy body: (Mapping) -> Bool) -> Bool {
        guard low < high else { return true }
        if let straddling = mapping(containing: low), straddling.start < low, !body(straddling) { return false }
        return visit(root, low, high, body)
    }

    private func visit(_ node: Node, _ low: UInt64, _ high: UInt64, _ body: (Mapping) -> Bool) -> Bool {
        guard node != Self.none else { return true }
        let i = Int(node)
        if starts[i] >= low, !visit(lefts[i], low, high, body) { return false }
        if starts[i] >= low, starts[i] < high, !body(values[i]) { return false }
        if starts[i] < high { return visit(rights[i], low, high, body) }
        return true
    }

    /// In-order walk pruned to starts in [low, high): O(log n + k).
    private func collect(_ node: Node, _ low: UInt64, _ high: UInt64, into found: inout [Mapping]) {
        guard node != Self.none else { return }
        let i = Int(node)
        if starts[i] >= low { collect(lefts[i], low, high, into: &found) }
        if starts[i] >= low, starts[i] < high { found.append(values[i]) }
        if starts[i] < high { collect(rights[i], low, high, into: &found) }
    }

    // MARK: Range replacement

    /// Takes out every mapping that shares a byte with [low, high), hands them (whole, in
    /// address order) to `rebuild`, and puts back what it returns, merged with each other and
    /// with the neighbours outside the range as the pieces' merge flags allow.
    ///
    /// `rebuild` must return pieces in address order that do not overlap the mappings that
    /// stay in the tree: it may only cover the span of the touched mappings and [low, high).
    mutating func replace(_ low: UInt64, _ high: UInt64, rebuild: ([Mapping]) -> [Piece]) {
        replace(low, high) { touched, pieces in pieces = rebuild(touched) }
    }

    /// `replace(_:_:rebuild:)` where `build` appends the pieces to a buffer the tree keeps: the
    /// calls made at every stop (an mmap, an munmap) allocate nothing.
    mutating func replace(_ low: UInt64, _ high: UInt64, building build: ([Mapping], inout [Piece]) -> Void) {
        var (before, rest) = split(root, below: low)
        var touched = touchedBuffer
        touchedBuffer = []
        defer {
            touched.removeAll(keepingCapacity: true)
            touchedBuffer = touched
        }
        if before != Self.none, ends[Int(lastNode(before))] > low {
            let node = detachLast(from: &before)
            touched.append(values[Int(node)])
            release(node)
        }
        let (inside, after0) = split(rest, below: high)
        var after = after0
        take(inside, into: &touched)

        var pieces = pieceBuffer
        pieceBuffer = []
        defer {
            pieces.removeAll(keepingCapacity: true)
            pieceBuffer = pieces
        }
        build(touched, &pieces)
        // a new area merging on one side only can be certain (Mapping.newAreaVerdict); once
        // merged on its left it is no longer new, so joining the area after it as well stays a
        // question for the kernel
        if let first = pieces.first, first.mergesLeft, before != Self.none,
           decide(values[Int(lastNode(before))], first.mapping, newSide: first.isNew) {
            let node = detachLast(from: &before)
            var joined = values[Int(node)]  // the older area: its offset and anon_vma stay
            joined.end = first.mapping.end
            pieces[0] = Piece(joined, mergesLeft: false, mergesRight: first.mergesRight)
            release(node)
        }
        if let last = pieces.last, last.mergesRight, after != Self.none,
           decide(last.mapping, values[Int(firstNode(after))], newSide: last.isNew) {
            let node = detachFirst(from: &after)
            var joined = last.mapping
            joined.end = values[Int(node)].end
            if last.isNew { joined.traits = values[Int(node)].traits }
            pieces[pieces.count - 1] = Piece(joined, mergesLeft: last.mergesLeft, mergesRight: false)
            release(node)
        }

        var merged = nodeBuffer
        nodeBuffer = []
        defer {
            merged.removeAll(keepingCapacity: true)
            nodeBuffer = merged
        }
        var lastMergesRight = false
        var lastIsNew = false
        for piece in pieces where piece.mapping.end > piece.mapping.start {
            if let last = merged.last, lastMergesRight || piece.mergesLeft,
               decide(values[Int(last)], piece.mapping) {
                setEnd(last, piece.mapping.end)
                // the merged area keeps the anon_vma of the older part
                if lastIsNew, let traits = piece.mapping.traits { values[Int(last)].traits = traits }
                lastIsNew = lastIsNew && piece.isNew
            } else {
                merged.append(makeNode(piece.mapping))
                lastIsNew = piece.isNew
            }
            lastMergesRight = piece.mergesRight
        }
        root = join(join(before, buildTree(merged)), after)
    }

    /// Whether two areas merge; an unsure verdict merges (the model's count is then the low
    /// end) and records the boundary for the caller to check.
    /// `newSide`: one of the two is the area the current mmap creates.
    private mutating func decide(_ left: Mapping, _ right: Mapping, newSide: Bool = false) -> Bool {
        switch newSide ? Mapping.newAreaVerdict(left, right) : Mapping.verdict(left, right) {
        case .apart: return false
        case .merge: return true
        case .unsure:
            unsure.append(right.start)
            unsureTotal += 1
            return true
        case .unsureApart:
            unsure.append(right.start)
            unsureApartTotal += 1
            return false
        }
    }

    // MARK: Nodes

    private mutating func reserve(_ capacity: Int) {
        starts.reserveCapacity(capacity)
        ends.reserveCapacity(capacity)
        lefts.reserveCapacity(capacity)
        rights.reserveCapacity(capacity)
        priorities.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    private mutating func nextPriority() -> UInt64 {
        seed &+= 0x9E37_79B9_7F4A_7C15
        var z = seed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func makeNode(_ mapping: Mapping) -> Node {
        count += 1
        if mapping.isHugetlb {
            hugetlbCount += 1
            hugetlbBytes += mapping.length
        }
        let priority = nextPriority()
        if let node = freeNodes.popLast() {
            let i = Int(node)
            starts[i] = mapping.start
            ends[i] = mapping.end
            lefts[i] = Self.none
            rights[i] = Self.none
            priorities[i] = priority
            values[i] = mapping
            return node
        }
        starts.append(mapping.start)
        ends.append(mapping.end)
        lefts.append(Self.none)
        rights.append(Self.none)
        priorities.append(priority)
        values.append(mapping)
        return Node(values.count - 1)
    }

    /// Appends the mappings of a subtree in order and frees its nodes.
    private mutating func take(_ node: Node, into touched: inout [Mapping]) {
        guard node != Self.none else { return }
        let i = Int(node)
        take(lefts[i], into: &touched)
        touched.append(values[i])
        let right = rights[i]
        release(node)
        take(right, into: &touched)
    }

    /// Frees a node that is no longer linked into the tree.
    private mutating func release(_ node: Node) {
        let i = Int(node)
        count -= 1
        if values[i].isHugetlb {
            hugetlbCount -= 1
            hugetlbBytes -= values[i].length
        }
        values[i].path = nil
        freeNodes.append(node)
    }

    private mutating func setEnd(_ node: Node, _ end: UInt64) {
        let i = Int(node)
        ends[i] = end
        values[i].end = end
    }

    // MARK: Treap primitives

    /// Splits `node` into the keys below `key` and the rest.
    private mutating func split(_ node: Node, below key: UInt64) -> (Node, Node) {
        guard node != Self.none else { return (Self.none, Self.none) }
        let i = Int(node)
        if starts[i] < key {
            let (low, high) = split(rights[i], below: key)
            rights[i] = low
            return (node, high)
        } else {
            let (low, high) = split(lefts[i], below: key)
            lefts[i] = high
            return (low, node)
        }
    }

    /// Joins two trees where every key of `low` is below every key of `high`.
    private mutating func join(_ low: Node, _ high: Node) -> Node {
        if low == Self.none { return high }
        if high == Self.none { return low }
        if priorities[Int(low)] > priorities[Int(high)] {
            rights[Int(low)] = join(rights[Int(low)], high)
            return low
        } else {
            lefts[Int(high)] = join(low, lefts[Int(high)])
            return high
        }
    }

    private func lastNode(_ tree: Node) -> Node {
        var node = tree
        while rights[Int(node)] != Self.none { node = rights[Int(node)] }
        return node
    }

    private func firstNode(_ tree: Node) -> Node {
        var node = tree
        while lefts[Int(node)] != Self.none { node = lefts[Int(node)] }
        return node
    }

    /// Unlinks the greatest node of a non-empty tree; its left child takes its place, which
    /// keeps the heap order because that child's priority is below the removed node's.
    private mutating func detachLast(from tree: inout Node) -> Node {
        if rights[Int(tree)] == Self.none {
            let node = tree
            tree = lefts[Int(node)]
            return node
        }
        var parent = tree
        var node = rights[Int(tree)]
        while rights[Int(node)] != Self.none { parent = node; node = rights[Int(node)] }
        rights[Int(parent)] = lefts[Int(node)]
        return node
    }

    private mutating func detachFirst(from tree: inout Node) -> Node {
        if lefts[Int(tree)] == Self.none {
            let node = tree
            tree = rights[Int(node)]
            return node
        }
        var parent = tree
        var node = lefts[Int(tree)]
        while lefts[Int(node)] != Self.none { parent = node; node = lefts[Int(node)] }
        lefts[Int(parent)] = rights[Int(node)]
        return node
    }

    /// A treap of `nodes` (already in key order) in O(k): the Cartesian tree by priority,
    /// built left to right with the right spine on a stack.
    private mutating func buildTree(_ nodes: [Node]) -> Node {
        var spine = spineBuffer
        spineBuffer = []
        defer {
            spine.removeAll(keepingCapacity: true)
            spineBuffer = spine
        }
        for node in nodes {
            let i = Int(node)
            lefts[i] = Self.none
            rights[i] = Self.none
            var popped = Self.none
            while let top = spine.last, priorities[Int(top)] < priorities[i] { popped = spine.removeLast() }
            lefts[i] = popped
            if let top = spine.last { rights[Int(top)] = node }
            spine.append(node)
        }
        return spine.first ?? Self.none
    }

    private func inOrder(_ tree: Node) -> [Node] {
        var result: [Node] = []
        var stack: [Node] = []
        var node = tree
        while node != Self.none || !stack.isEmpty {
            while node != Self.none { stack.append(node); node = lefts[Int(node)] }
            let top = stack.removeLast()
            result.append(top)
            node = rights[Int(top)]
        }
        return result
    }

    /// Height of the tree (for tests: a treap stays within a small multiple of log2 n).
    var height: Int { height(root) }

    private func height(_ node: Node) -> Int {
        node == Self.none ? 0 : 1 + Swift.max(height(lefts[Int(node)]), height(rights[Int(node)]))
    }
}

/// A mapping returned by a range rebuild, with whether it may merge with what comes before
/// and after it. Only pieces an operation created or changed merge; untouched remainders of
/// old mappings keep the boundaries they had (munmap never merges).
struct Piece {
    var mapping: Mapping
    var mergesLeft: Bool
    var mergesRight: Bool
    /// Created by the current mmap: no anon_vma yet.
    var isNew = false

    init(_ mapping: Mapping, mergesLeft: Bool = false, mergesRight: Bool = false) {
        self.mapping = mapping
        self.mergesLeft = mergesLeft
        self.mergesRight = mergesRight
    }

    /// A new or changed piece: merges on both sides.
    static func fresh(_ mapping: Mapping) -> Piece { Piece(mapping, mergesLeft: true, mergesRight: true) }

    /// An area the current mmap creates.
    static func new(_ mapping: Mapping) -> Piece {
        var piece = fresh(mapping)
        piece.isNew = true
        return piece
    }
}
