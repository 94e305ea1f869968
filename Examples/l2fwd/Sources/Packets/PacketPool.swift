import Synchronization

/// The fixed set of packet buffers carved out of the huge page memory, shared by all
/// forwarding cores.
///
/// Cores do not take buffers one at a time from here: each has a ``BufferCache`` and comes to
/// the pool only to refill or spill half a cache, as DPDK's per-lcore mempool caches do, so the
/// lock is taken about once per hundred packets and never on a syscall path.
final class PacketPool: Sendable {
    /// DPDK l2fwd's NB_MBUF: more buys nothing for the ports we have.
    static let maximumBuffers = 8192

    /// How many buffers the pool holds in all.
    let capacity: Int
    private let freeList: Mutex<FreeList>

    /// Carves buffers out of `memory`'s mappings, whole buffers per mapping, at most
    /// ``maximumBuffers``, and writes each one's header (which also proves the pages are there).
    init(memory: HugepageMemory) {
        var addresses: [UnsafeMutableRawPointer] = []
        for mapping in memory.mappings {
            let fitting = min(mapping.length / PacketBuffer.stride, PacketPool.maximumBuffers - addresses.count)
            for index in 0..<fitting {
                let buffer = PacketBuffer(base: mapping.address + index * PacketBuffer.stride)
                buffer.length = 0
                addresses.append(buffer.base)
            }
        }
        capacity = addresses.count
        freeList = Mutex(FreeList(addresses))
    }

    /// Moves up to `count` free buffers into `destination`; returns how many.
    func take(_ count: Int, into destination: UnsafeMutablePointer<PacketBuffer>) -> Int {
        freeList.withLock { $0.pop(count, into: destination) }
    }

    /// Returns `count` buffers to the pool.
    func give(_ count: Int, from source: UnsafeMutablePointer<PacketBuffer>) {
        freeList.withLock { $0.push(count, from: source) }
    }

    /// Buffers not held by any cache, port or burst right now.
    var freeCount: Int { freeList.withLock { $0.count } }
}

/// A stack of free buffer addresses, in ordinary memory allocated once. Unchecked Sendable:
/// it lives inside the pool's Mutex and is only touched under the lock.
private struct FreeList: ~Copyable, @unchecked Sendable {
    private let slots: UnsafeMutablePointer<PacketBuffer>
    private(set) var count: Int

    init(_ addresses: [UnsafeMutableRawPointer]) {
        slots = .allocate(capacity: max(addresses.count, 1))
        for (index, address) in addresses.enumerated() { slots[index] = PacketBuffer(base: address) }
        count = addresses.count
    }

    deinit { slots.deallocate() }

    mutating func pop(_ wanted: Int, into destination: UnsafeMutablePointer<PacketBuffer>) -> Int {
        let taken = min(wanted, count)
        count -= taken
        destination.update(from: slots + count, count: taken)
        return taken
    }

    mutating func push(_ returned: Int, from source: UnsafeMutablePointer<PacketBuffer>) {
        (slots + count).update(from: source, count: returned)
        count += returned
    }
}

/// One forwarding core's private stock of free buffers.
final class BufferCache {
    /// Buffers a cache holds at most; it refills or spills half of this at a time.
    static let size = 256

    private let pool: PacketPool
    private let slots: UnsafeMutablePointer<PacketBuffer>
    private var count = 0

    init(pool: PacketPool) {
        self.pool = pool
        slots = .allocate(capacity: BufferCache.size)
    }

    deinit {
        drain()
        slots.deallocate()
    }

    /// A free buffer, or nil when the whole pool is in use.
    @inline(__always)
    func allocate() -> PacketBuffer? {
        if count == 0 {
            count = pool.take(BufferCache.size / 2, into: slots)
            if count == 0 { return nil }
        }
        count -= 1
        return slots[count]
    }

    /// Takes a buffer back.
    @inline(__always)
    func free(_ buffer: PacketBuffer) {
        if count == BufferCache.size {
            count -= BufferCache.size / 2
            pool.give(BufferCache.size / 2, from: slots + count)
        }
        slots[count] = buffer
        count += 1
    }

    /// Takes back the buffers `burst[start..<end]`.
    func free(_ burst: Burst, from start: Int, to end: Int) {
        for index in start..<end { free(burst[index]) }
    }

    /// Gives everything back to the pool (at exit, so that the pool's count is whole again).
    func drain() {
        pool.give(count, from: slots)
        count = 0
    }
}
