import CPcap
import Glibc

/// `net_pcap`: frames come from the `rx_pcap` file and go to the `tx_pcap` file, through
/// libpcap, as DPDK's pcap PMD does. Either side may be absent: with no `rx_pcap` the port
/// receives nothing, with no `tx_pcap` what it is given is dropped.
final class PcapPort: Port {
    let id: Int
    let name: String
    let macAddress: MACAddress
    private(set) var isExhausted: Bool
    private let input: OpaquePointer?
    private let capture: OpaquePointer?
    private let output: OpaquePointer?

    init(id: Int, spec: VdevSpec) throws {
        self.id = id
        name = spec.name
        macAddress = .virtualPort(id)
        guard spec.arguments["rx_pcap"] != nil || spec.arguments["tx_pcap"] != nil else {
            throw UsageError(message: "EAL: \(spec.name): needs rx_pcap=FILE or tx_pcap=FILE")
        }
        var message = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        if let path = spec.arguments["rx_pcap"] {
            guard let handle = pcap_open_offline(path, &message) else {
                throw UsageError(message: "EAL: \(spec.name): cannot open rx_pcap: \(message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })")
            }
            guard pcap_datalink(handle) == DLT_EN10MB else {
                pcap_close(handle)
                throw UsageError(message: "EAL: \(spec.name): \(path) does not hold Ethernet frames")
            }
            input = handle
        } else {
            input = nil
        }
        isExhausted = input == nil
        if let path = spec.arguments["tx_pcap"] {
            // A "dead" handle only describes the file's link type and snapshot length.
            guard let dead = pcap_open_dead(DLT_EN10MB, 65535) else {
                throw UsageError(message: "EAL: \(spec.name): libpcap cannot describe an Ethernet file")
            }
            guard let dumper = pcap_dump_open(dead, path) else {
                let reason = String(cString: pcap_geterr(dead))
                pcap_close(dead)
                if let input { pcap_close(input) }
                throw UsageError(message: "EAL: \(spec.name): cannot create tx_pcap: \(reason)")
            }
            capture = dead
            output = dumper
        } else {
            capture = nil
            output = nil
        }
    }

    func receive(into burst: Burst, max: Int, cache: BufferCache, counters: PortCounters) -> Int {
        guard let input, !isExhausted else { return 0 }
        var received = 0
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var bytes: UnsafePointer<UInt8>?
        while received < max {
            let status = pcap_next_ex(input, &header, &bytes)
            if status == 0 { break }  // only live captures time out; an offline read never does
            guard status == 1, let header, let bytes else {
                isExhausted = true  // -2 at the end of the file; -1 on a damaged file ends it too
                if status == -1 { Console.error("L2FWD: \(name): \(String(cString: pcap_geterr(input)))") }
                break
            }
            let length = Int(header.pointee.caplen)
            guard length <= PacketBuffer.dataRoom, length >= 14 else {
                counters.countDropped(1)
                continue
            }
            guard let buffer = cache.allocate() else { break }  // pool empty: the frame is lost
            buffer.data.copyMemory(from: bytes, byteCount: length)
            buffer.length = length
            buffer.timestamp = header.pointee.ts
            burst[received] = buffer
            received += 1
        }
        return received
    }

    func transmit(_ burst: Burst, count: Int, cache: BufferCache) -> Int {
        guard let output else { return 0 }
        let user = UnsafeMutableRawPointer(output).assumingMemoryBound(to: UInt8.self)
        for index in 0..<count {
            let buffer = burst[index]
            var header = pcap_pkthdr(
                ts: buffer.timestamp, caplen: UInt32(buffer.length), len: UInt32(buffer.length))
            pcap_dump(user, &header, buffer.data.assumingMemoryBound(to: UInt8.self))
            cache.free(buffer)
        }
        return count
    }

    func close() {
        if let output {
            pcap_dump_flush(output)
            pcap_dump_close(output)
        }
        if let capture { pcap_close(capture) }
        if let input { pcap_close(input) }
    }
}
