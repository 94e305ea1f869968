import Synchronization

/// `net_null`: a generator and a sink. Every receive hands out a full burst of `size`-byte
/// frames (default 64); everything transmitted is counted and freed.
final class NullPort: Port {
    let id: Int
    let name: String
    let macAddress: MACAddress
    let isExhausted = false
    private let frame: GeneratedFrame

    init(id: Int, spec: VdevSpec) throws {
        self.id = id
        name = spec.name
        macAddress = .virtualPort(id)
        let size = try spec.arguments["size"].map {
            guard let size = Int($0), (14...PacketBuffer.dataRoom).contains(size) else {
                throw UsageError(message: "EAL: \(spec.name): invalid size '\($0)'")
            }
            return size
        } ?? 64
        frame = GeneratedFrame(length: size, source: macAddress)
    }

    func receive(into burst: Burst, max: Int, cache: BufferCache, counters: PortCounters) -> Int {
        var received = 0
        while received < max, let buffer = cache.allocate() {
            frame.write(into: buffer)
            burst[received] = buffer
            received += 1
        }
        return received
    }

    func transmit(_ burst: Burst, count: Int, cache: BufferCache) -> Int {
        cache.free(burst, from: 0, to: count)
        return count
    }

    func close() {}
}

/// `net_ring`: a port whose transmit side feeds its own receive side through a ring, as DPDK's
/// ring PMD does when one ring backs both. At start it is filled with `packets` frames
/// (default 512), which then circulate between paired ports for as long as l2fwd runs: a
/// throughput test with no allocation, copy or syscall per packet.
final class RingPort: Port {
    let id: Int
    let name: String
    let macAddress: MACAddress
    let isExhausted = false
    private let ring: PacketRing

    init(id: Int, spec: VdevSpec, pool: PacketPool) throws {
        self.id = id
        name = spec.name
        macAddress = .virtualPort(id)
        ring = PacketRing(capacity: 4096)
        let packets = try spec.arguments["packets"].map {
            guard let packets = Int($0), (0...1024).contains(packets) else {
                throw UsageError(message: "EAL: \(spec.name): invalid packets '\($0)' (0 to 1024)")
            }
            return packets
        } ?? 512
        let frame = GeneratedFrame(length: 64, source: macAddress)
        let filling = Burst()
        var filled = 0
        while filled < packets {
            let taken = pool.take(min(Burst.capacity, packets - filled), into: filling.buffers)
            guard taken > 0 else {
                throw UsageError(message: "EAL: \(spec.name): the packet pool cannot supply \(packets) packets")
            }
            for index in 0..<taken { frame.write(into: filling[index]) }
            filled += ring.enqueue(filling, count: taken)
        }
    }

    func receive(into burst: Burst, max: Int, cache: BufferCache, counters: PortCounters) -> Int {
        ring.dequeue(into: burst, max: max)
    }

    func transmit(_ burst: Burst, count: Int, cache: BufferCache) -> Int {
        ring.enqueue(burst, count: count)
    }

    func close() {}
}

/// A bounded single-producer, single-consumer ring of buffers. l2fwd's pairing makes the
/// producer (the core receiving on the paired port) and the consumer (the core owning this
/// port) one thread each, so two atomic indices are all the synchronisation needed.
final class PacketRing: @unchecked Sendable {  // the slots are handed over by the two indices
    private let slots: UnsafeMutablePointer<PacketBuffer>
    private let mask: Int
    private let indices = CacheLineAtomics<Int>(count: 2, initial: 0)
    /// Next slot to read; written by the consumer only.
    private var head: UnsafeMutablePointer<Atomic<Int>> { indices.atomic(0) }
    /// Next slot to write; written by the producer only.
    private var tail: UnsafeMutablePointer<Atomic<Int>> { indices.atomic(1) }

    /// `capacity` must be a power of two.
    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0)
        slots = .allocate(capacity: capacity)
        mask = capacity - 1
    }

    deinit { slots.deallocate() }

    func enqueue(_ burst: Burst, count: Int) -> Int {
        let write = tail.pointee.load(ordering: .relaxed)
        let read = head.pointee.load(ordering: .acquiring)
        let accepted = min(count, mask + 1 - (write - read))
        for index in 0..<accepted { slots[(write + index) & mask] = burst[index] }
        tail.pointee.store(write + accepted, ordering: .releasing)
        return accepted
    }

    func dequeue(into burst: Burst, max: Int) -> Int {
        let read = head.pointee.load(ordering: .relaxed)
        let write = tail.pointee.load(ordering: .acquiring)
        let taken = min(max, write - read)
        for index in 0..<taken { burst[index] = slots[(read + index) & mask] }
        head.pointee.store(read + taken, ordering: .releasing)
        return taken
    }
}

/// The frame the in-memory ports generate: to 02:00:00:00:00:00 from the port, EtherType
/// 0x88B5 (IEEE 802 local experimental), zero payload.
struct GeneratedFrame {
    private let bytes: [UInt8]

    init(length: Int, source: MACAddress) {
        var bytes = [UInt8](repeating: 0, count: length)
        bytes[0] = 0x02
        bytes.replaceSubrange(6..<12, with: source.bytes)
        bytes[12] = 0x88
        bytes[13] = 0xB5
        self.bytes = bytes
    }

    func write(into buffer: PacketBuffer) {
        bytes.withUnsafeBytes { buffer.data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        buffer.length = bytes.count
        buffer.stampNow()
    }
}
