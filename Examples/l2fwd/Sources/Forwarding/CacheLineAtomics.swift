import Synchronization

/// Atomics that different cores write, each on 128 bytes of its own: a cache line and the one
/// the adjacent-line prefetcher pulls in with it. DPDK aligns its ring indices and per-port
/// statistics the same way. Beside one another (or beside whatever malloc put next to them),
/// a write by one core takes the line away from the other at every burst.
final class CacheLineAtomics<Value: AtomicRepresentable>: @unchecked Sendable {  // the atomics are the shared state
    private static var spacing: Int { 128 }
    private let base: UnsafeMutableRawPointer
    private let count: Int

    init(count: Int, initial: Value) {
        precondition(MemoryLayout<Atomic<Value>>.size <= CacheLineAtomics.spacing)
        self.count = count
        base = .allocate(byteCount: count * CacheLineAtomics.spacing, alignment: CacheLineAtomics.spacing)
        for index in 0..<count { atomic(index).initialize(to: Atomic(initial)) }
    }

    deinit {
        for index in 0..<count { atomic(index).deinitialize(count: 1) }
        base.deallocate()
    }

    /// The atomic at `index`; its address is fixed for the life of this object.
    @inline(__always)
    func atomic(_ index: Int) -> UnsafeMutablePointer<Atomic<Value>> {
        (base + index * CacheLineAtomics.spacing).assumingMemoryBound(to: Atomic<Value>.self)
    }
}
