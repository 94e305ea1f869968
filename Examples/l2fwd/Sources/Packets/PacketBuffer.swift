import Glibc

/// One packet buffer in huge page memory, mbuf-like: a small header, headroom, then the
/// frame. A `PacketBuffer` is only the address; the bytes live in the pool's mappings.
///
/// Layout of each 2 KiB slot:
///
///     0   UInt16  frame length in bytes
///     8   Int64   receive time, seconds (pcap ports keep the capture's time)
///     16  Int64   receive time, microseconds
///     128 …       the frame, up to `dataRoom` bytes
struct PacketBuffer {
    /// Bytes per buffer; 1024 fit in a 2 MB page exactly, so no buffer straddles two pages.
    static let stride = 2048
    /// Where the frame starts in the slot.
    static let headroom = 128
    /// The largest frame a buffer holds: a 1518-byte frame plus VLAN tags fits, jumbo frames
    /// do not.
    static let dataRoom = stride - headroom

    let base: UnsafeMutableRawPointer

    /// The first byte of the frame.
    var data: UnsafeMutableRawPointer { base + PacketBuffer.headroom }

    /// The frame length in bytes.
    var length: Int {
        get { Int(base.load(as: UInt16.self)) }
        nonmutating set { base.storeBytes(of: UInt16(truncatingIfNeeded: newValue), as: UInt16.self) }
    }

    /// When the frame was received (or captured, for frames read from a pcap file).
    var timestamp: timeval {
        get {
            timeval(
                tv_sec: Int(base.load(fromByteOffset: 8, as: Int64.self)),
                tv_usec: Int(base.load(fromByteOffset: 16, as: Int64.self)))
        }
        nonmutating set {
            base.storeBytes(of: Int64(newValue.tv_sec), toByteOffset: 8, as: Int64.self)
            base.storeBytes(of: Int64(newValue.tv_usec), toByteOffset: 16, as: Int64.self)
        }
    }

    /// Stamps the buffer with the current time (clock_gettime is a vDSO call, no syscall).
    func stampNow() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        timestamp = timeval(tv_sec: now.tv_sec, tv_usec: now.tv_nsec / 1000)
    }
}

/// A fixed array of buffer addresses for one burst, allocated once per forwarding core.
final class Burst {
    /// DPDK l2fwd's MAX_PKT_BURST.
    static let capacity = 32

    let buffers: UnsafeMutablePointer<PacketBuffer>

    init() {
        buffers = .allocate(capacity: Burst.capacity)
    }

    deinit { buffers.deallocate() }

    subscript(index: Int) -> PacketBuffer {
        get { buffers[index] }
        set { buffers[index] = newValue }
    }
}
