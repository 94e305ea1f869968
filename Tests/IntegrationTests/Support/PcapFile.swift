import Foundation

/// A classic libpcap capture file of Ethernet frames (pcap-savefile(5)): a 24-byte header,
/// then per frame a 16-byte record header and the bytes. Written and read here without
/// libpcap, so the tests do not check l2fwd with the library it uses itself.
struct PcapFile: Equatable {
    /// One captured frame.
    struct Frame: Equatable {
        var seconds: UInt32
        var microseconds: UInt32
        var bytes: [UInt8]
    }

    var frames: [Frame]

    init(frames: [Frame]) {
        self.frames = frames
    }

    /// Frames one second apart from 1 700 000 000 s, with their index as microseconds.
    init(frameBytes: [[UInt8]]) {
        frames = frameBytes.enumerated().map { index, bytes in
            Frame(seconds: 1_700_000_000 + UInt32(index), microseconds: UInt32(index), bytes: bytes)
        }
    }

    /// The file's bytes: little-endian, version 2.4, snapshot length 65535, LINKTYPE_ETHERNET.
    var data: Data {
        var out = Data()
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        append(UInt32(0xa1b2_c3d4))
        append(UInt16(2))
        append(UInt16(4))
        append(Int32(0))
        append(UInt32(0))
        append(UInt32(65535))
        append(UInt32(1))
        for frame in frames {
            append(frame.seconds)
            append(frame.microseconds)
            append(UInt32(frame.bytes.count))
            append(UInt32(frame.bytes.count))
            out.append(contentsOf: frame.bytes)
        }
        return out
    }

    func write(to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Reads a little- or big-endian microsecond file of Ethernet frames.
    init(contentsOf path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count >= 24 else { throw PcapFileError("\(path): \(bytes.count) bytes, shorter than a header") }
        let magic = PcapFile.integer(bytes, at: 0, bigEndian: false) as UInt32
        let bigEndian: Bool
        switch magic {
        case 0xa1b2_c3d4: bigEndian = false
        case 0xd4c3_b2a1: bigEndian = true
        default: throw PcapFileError("\(path): magic 0x\(String(magic, radix: 16)) is not a microsecond pcap")
        }
        let linkType = PcapFile.integer(bytes, at: 20, bigEndian: bigEndian) as UInt32
        guard linkType == 1 else { throw PcapFileError("\(path): link type \(linkType), not Ethernet") }
        var frames: [Frame] = []
        var offset = 24
        while offset < bytes.count {
            guard offset + 16 <= bytes.count else { throw PcapFileError("\(path): truncated record header at \(offset)") }
            let captured = Int(PcapFile.integer(bytes, at: offset + 8, bigEndian: bigEndian) as UInt32)
            guard offset + 16 + captured <= bytes.count else { throw PcapFileError("\(path): truncated frame at \(offset)") }
            frames.append(
                Frame(
                    seconds: PcapFile.integer(bytes, at: offset, bigEndian: bigEndian),
                    microseconds: PcapFile.integer(bytes, at: offset + 4, bigEndian: bigEndian),
                    bytes: Array(bytes[(offset + 16)..<(offset + 16 + captured)])))
            offset += 16 + captured
        }
        self.frames = frames
    }

    private static func integer<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, bigEndian: Bool) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size {
            let byte = T(bytes[offset + (bigEndian ? index : MemoryLayout<T>.size - 1 - index)])
            value = value << 8 | byte
        }
        return value
    }
}

struct PcapFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Ethernet frames for tests, built byte by byte.
enum EthernetFrame {
    /// `destination`, `source`, the 802.1Q tags given (each TPID and VLAN id), `etherType`,
    /// then `payloadLength` bytes counting up from `seed`.
    static func make(
        destination: [UInt8], source: [UInt8], vlans: [(tpid: UInt16, id: UInt16)] = [],
        etherType: UInt16, payloadLength: Int, seed: UInt8 = 0
    ) -> [UInt8] {
        var bytes = destination + source
        for vlan in vlans {
            bytes += [UInt8(vlan.tpid >> 8), UInt8(vlan.tpid & 0xff), UInt8(vlan.id >> 8), UInt8(vlan.id & 0xff)]
        }
        bytes += [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
        bytes += (0..<payloadLength).map { UInt8(truncatingIfNeeded: Int(seed) + $0) }
        return bytes
    }

    /// Parses `aa:bb:cc:dd:ee:ff`.
    static func mac(_ text: some StringProtocol) -> [UInt8]? {
        let bytes = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        return bytes.count == 6 ? bytes : nil
    }

    /// `aa:bb:cc:dd:ee:ff`, lower case, as tshark prints it.
    static func text(_ mac: ArraySlice<UInt8>) -> String {
        mac.map { String(format: "%02x", $0) }.joined(separator: ":")
    }
}
