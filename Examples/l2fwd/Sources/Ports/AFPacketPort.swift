import Glibc

/// `net_af_packet`: a live interface through one AF_PACKET raw socket, frames copied straight
/// into and out of the huge page buffers.
///
/// DPDK's PMD uses PACKET_MMAP rings; plain non-blocking recv/send keeps this port small and
/// still makes no memory syscall per packet. The kernel hands VLAN-tagged frames to packet
/// sockets with the tag moved to metadata (net/core/dev.c, __netif_receive_skb_core calls
/// skb_vlan_untag before the taps), so tagged frames arrive here untagged; pcap ports keep tags.
final class AFPacketPort: Port {
    let id: Int
    let name: String
    let macAddress: MACAddress
    let isExhausted = false
    private let socket: Int32
    private let interface: String

    init(id: Int, spec: VdevSpec) throws {
        self.id = id
        name = spec.name
        guard let interface = spec.arguments["iface"], !interface.isEmpty else {
            throw UsageError(message: "EAL: \(spec.name): needs iface=NAME")
        }
        self.interface = interface
        let index = if_nametoindex(interface)
        guard index != 0 else {
            throw UsageError(message: "EAL: \(spec.name): no interface '\(interface)'")
        }
        let address = readText("/sys/class/net/\(interface)/address")
        macAddress =
            address.flatMap { MACAddress(parsing: $0.trimmingWhitespace()) } ?? .virtualPort(id)

        let allProtocols = Int32(UInt16(PacketSocket.ethernetAllProtocols).bigEndian)
        socket = Glibc.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), allProtocols)
        guard socket >= 0 else {
            throw UsageError(message: "EAL: \(spec.name): socket(AF_PACKET): \(Console.describe(errno: errno))")
        }
        do {
            try PacketSocket.bind(socket, interfaceIndex: Int32(index))
            // Our own transmissions must not come back as receptions on the same interface.
            try PacketSocket.setOption(socket, PacketSocket.ignoreOutgoing, value: 1)
            // l2fwd turns promiscuous mode on: frames for any address are forwarded. The
            // membership ends with the socket, leaving the interface as it was.
            try PacketSocket.enablePromiscuous(socket, interfaceIndex: Int32(index))
        } catch {
            Glibc.close(socket)
            throw UsageError(message: "EAL: \(spec.name) on \(interface): \(error)")
        }
    }

    func receive(into burst: Burst, max: Int, cache: BufferCache, counters: PortCounters) -> Int {
        var received = 0
        while received < max {
            guard let buffer = cache.allocate() else { break }
            // MSG_TRUNC makes recv return the frame's real length, so an oversized frame is
            // seen and dropped rather than forwarded cut short.
            let length = recv(socket, buffer.data, PacketBuffer.dataRoom, Int32(MSG_DONTWAIT | MSG_TRUNC))
            if length < 0 {  // EAGAIN: nothing waiting; anything else ends this poll the same way
                cache.free(buffer)
                break
            }
            guard length >= 14, length <= PacketBuffer.dataRoom else {
                cache.free(buffer)
                counters.countDropped(1)
                continue
            }
            buffer.length = length
            buffer.stampNow()
            burst[received] = buffer
            received += 1
        }
        return received
    }

    func transmit(_ burst: Burst, count: Int, cache: BufferCache) -> Int {
        var sent = 0
        while sent < count {
            let buffer = burst[sent]
            // A full device queue (ENOBUFS, EAGAIN) ends the burst; the rest are dropped.
            guard send(socket, buffer.data, buffer.length, Int32(MSG_DONTWAIT)) == buffer.length else { break }
            cache.free(buffer)
            sent += 1
        }
        return sent
    }

    func close() {
        Glibc.close(socket)
    }
}

/// The AF_PACKET pieces Glibc's Swift module does not carry (<linux/if_packet.h> and
/// <linux/if_ether.h> are not in it), declared here from those headers.
enum PacketSocket {
    static let ethernetAllProtocols = 0x0003  // ETH_P_ALL
    static let level: Int32 = 263  // SOL_PACKET
    static let addMembership: Int32 = 1  // PACKET_ADD_MEMBERSHIP
    static let ignoreOutgoing: Int32 = 23  // PACKET_IGNORE_OUTGOING, Linux 4.20
    static let promiscuous: UInt16 = 1  // PACKET_MR_PROMISC

    /// struct sockaddr_ll: 20 bytes.
    private struct LinkLayerAddress {
        var family = UInt16(AF_PACKET)
        var protocolNumber = UInt16(ethernetAllProtocols).bigEndian
        var interfaceIndex: Int32
        var hardwareType: UInt16 = 0
        var packetType: UInt8 = 0
        var addressLength: UInt8 = 0
        var address: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// struct packet_mreq: 16 bytes.
    private struct Membership {
        var interfaceIndex: Int32
        var type: UInt16
        var addressLength: UInt16 = 0
        var address: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    static func bind(_ socket: Int32, interfaceIndex: Int32) throws {
        var address = LinkLayerAddress(interfaceIndex: interfaceIndex)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(socket, $0, socklen_t(MemoryLayout<LinkLayerAddress>.size))
            }
        }
        guard result == 0 else { throw Errno(call: "bind", code: errno) }
    }

    static func setOption(_ socket: Int32, _ option: Int32, value: Int32) throws {
        var value = value
        guard setsockopt(socket, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw Errno(call: "setsockopt", code: errno)
        }
    }

    static func enablePromiscuous(_ socket: Int32, interfaceIndex: Int32) throws {
        var membership = Membership(interfaceIndex: interfaceIndex, type: promiscuous)
        guard setsockopt(socket, level, addMembership, &membership, socklen_t(MemoryLayout<Membership>.size)) == 0
        else { throw Errno(call: "setsockopt(PACKET_ADD_MEMBERSHIP)", code: errno) }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
