/// A port l2fwd receives frames on and transmits frames to.
///
/// Threading contract: `receive` is called by the one forwarding core that owns the port;
/// `transmit` by the one core that owns the paired port (l2fwd's pairing is one-to-one, so
/// that is also a single core); `close` by the main thread after every core has stopped.
/// Implementations keep their receive and transmit state apart and need no locks.
protocol Port: AnyObject {
    /// The port number (its position among the `--vdev`s).
    var id: Int { get }
    /// The vdev name, e.g. `net_pcap0`.
    var name: String { get }
    /// The address written as the source of frames this port transmits.
    var macAddress: MACAddress { get }
    /// True once `receive` will never return a frame again (the end of a pcap file).
    var isExhausted: Bool { get }

    /// Receives up to `max` frames into buffers from `cache`, placed at `burst[0..<n]`;
    /// returns n. Frames it cannot take (too long for a buffer) are counted in `counters`.
    func receive(into burst: Burst, max: Int, cache: BufferCache, counters: PortCounters) -> Int

    /// Transmits `burst[0..<count]`; returns how many it took. Taken buffers belong to the
    /// port (which returns them to `cache` when done); the caller frees the rest.
    func transmit(_ burst: Burst, count: Int, cache: BufferCache) -> Int

    /// Flushes what is buffered and releases the port's resources.
    func close()
}

/// A 48-bit Ethernet address.
struct MACAddress: Equatable, CustomStringConvertible {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        precondition(bytes.count == 6)
        self.bytes = bytes
    }

    /// The address l2fwd writes as the destination of frames sent out of port `port`:
    /// 02:00:00:00:00:<port>, a locally administered unicast address.
    static func l2fwdDestination(port: Int) -> MACAddress {
        MACAddress([0x02, 0, 0, 0, 0, UInt8(truncatingIfNeeded: port)])
    }

    /// The address of a port with no hardware behind it (pcap, null, ring):
    /// 02:00:00:00:10:<port>.
    static func virtualPort(_ port: Int) -> MACAddress {
        MACAddress([0x02, 0, 0, 0, 0x10, UInt8(truncatingIfNeeded: port)])
    }

    /// Parses `aa:bb:cc:dd:ee:ff`.
    init?(parsing text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        let bytes = parts.compactMap { UInt8($0, radix: 16) }
        guard bytes.count == 6 else { return nil }
        self.init(bytes)
    }

    var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}

/// A `--vdev` argument: `driver<N>[,key=value…]`, checked against the drivers l2fwd has.
struct VdevSpec {
    /// The drivers and the keys each takes.
    static let drivers: [String: Set<String>] = [
        "net_pcap": ["rx_pcap", "tx_pcap"],
        "net_af_packet": ["iface"],
        "net_null": ["size"],
        "net_ring": ["packets"],
    ]

    /// The whole name, e.g. `net_pcap0`.
    let name: String
    /// The driver, e.g. `net_pcap` (DPDK's older `eth_` spelling is taken as `net_`).
    let driver: String
    let arguments: [String: String]

    /// Parses and checks `text`, so that a typo is an error before any memory is set up.
    init(parsing text: String) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        name = parts[0]
        var base = Substring(name)
        while let last = base.last, last.isNumber { base.removeLast() }
        driver = base.hasPrefix("eth_") ? "net_" + base.dropFirst(4) : String(base)
        guard let keys = VdevSpec.drivers[driver] else {
            throw UsageError(message: "EAL: invalid --vdev '\(text)': unknown driver '\(driver)'")
        }
        var arguments: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: "="), keys.contains(String(part[..<equals])) else {
                throw UsageError(message: "EAL: invalid --vdev '\(text)': \(driver) takes no '\(part)'")
            }
            arguments[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        self.arguments = arguments
    }

    /// Opens the port this spec describes as port number `id`.
    func makePort(id: Int, pool: PacketPool) throws -> Port {
        switch driver {
        case "net_pcap": return try PcapPort(id: id, spec: self)
        case "net_af_packet": return try AFPacketPort(id: id, spec: self)
        case "net_null": return try NullPort(id: id, spec: self)
        case "net_ring": return try RingPort(id: id, spec: self, pool: pool)
        default: preconditionFailure("init(parsing:) admits only the drivers in VdevSpec.drivers")
        }
    }
}
