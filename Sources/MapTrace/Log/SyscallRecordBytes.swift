/// The syscall record of the calls that make most of a log (mmap, munmap, mprotect, brk),
/// written byte by byte into one reused buffer: the general path (`CallFields` into a
/// dictionary, `CallText` through strings, `JSONLine`) allocated some forty times and cost
/// about 10 µs a record, most of what `--log` added to a run. The bytes are exactly those of the
/// general path (a unit test holds the two together); flags are rendered by the general code
/// once per distinct value and kept.
struct SyscallRecordBytes {
    private(set) var bytes: [UInt8] = []
    private var protCache: [UInt64: RenderedFlags] = [:]
    private var mapFlagsCache: [UInt64: RenderedFlags] = [:]
    private static let cacheLimit = 256

    /// A flag word as the text shows it (`PROT_READ|PROT_WRITE`, already JSON-escaped) and as
    /// the fields list it (`["PROT_READ","PROT_WRITE"]`).
    private struct RenderedFlags {
        var text: [UInt8]
        var names: [UInt8]
    }

    init() { bytes.reserveCapacity(1024) }

    /// Formats the record of E into `bytes`. False for a call this fast path does not cover
    /// (the caller then uses the general one).
    mutating func format(_ e: SyscallEvent, later: Bool?) -> Bool {
        let call = e.call
        switch call.syscall {
        case .mmap, .munmap, .mprotect, .brk: break
        default: return false
        }
        guard call.string == nil, call.resultPath == nil else { return false }
        let a = call.args
        bytes.removeAll(keepingCapacity: true)
        raw(#"{"type":"syscall","time":"#)
        raw(e.time.description)
        raw(#","pid":"#); int(Int64(e.pid))
        raw(#","tid":"#); int(Int64(e.tid))
        raw(#","name":""#); raw(call.syscall.name)
        raw(#"","args":["#)
        uint(a.a0); comma(); uint(a.a1); comma(); uint(a.a2); comma(); uint(a.a3); comma(); uint(a.a4); comma(); uint(a.a5)
        raw(#"],"fields":{"#)
        // keys in sorted order, as the general path sorts them
        switch call.syscall {
        case .mmap:
            let prot = flags(a.a2, prot: true), mapFlags = flags(a.a3, prot: false)
            raw(#""addr":"#); int(Int64(bitPattern: a.a0))
            raw(#","fd":"#); int(Int64(Int32(truncatingIfNeeded: a.a4)))
            raw(#","flags":"#); bytes += mapFlags.names
            raw(#","length":"#); int(Int64(bitPattern: a.a1))
            raw(#","offset":"#); int(Int64(bitPattern: a.a5))
            raw(#","prot":"#); bytes += prot.names
            raw(#"},"text":""#); markText(); raw("mmap(")
            pointer(a.a0); raw(", "); uint(a.a1); raw(", "); bytes += prot.text; raw(", "); bytes += mapFlags.text; raw(", ")
            fd(a.a4, path: call.fdPath); raw(", ")
            if a.a5 == 0 { raw("0") } else { hex(a.a5) }
        case .munmap, .mprotect:
            raw(#""addr":"#); int(Int64(bitPattern: a.a0))
            raw(#","length":"#); int(Int64(bitPattern: a.a1))
            let prot = call.syscall == .mprotect ? flags(a.a2, prot: true) : nil
            if let prot { raw(#","prot":"#); bytes += prot.names }
            raw(#"},"text":""#); markText(); raw(call.syscall.name); raw("(")
            pointer(a.a0); raw(", "); uint(a.a1)
            if let prot { raw(", "); bytes += prot.text }
        default:  // brk
            raw(#""addr":"#); int(Int64(bitPattern: a.a0))
            raw(#"},"text":""#); markText(); raw("brk(")
            pointer(a.a0)
        }
        raw(")")
        // strace's column: the call padded to 39 characters before " = "; the text written so
        // far since `"text":"` is ASCII except for a path, whose escaped bytes count as they are
        // counted by the general path (its UTF-8 length before escaping)
        let width = textWidth
        if width < 39 { bytes += repeatElement(UInt8(ascii: " "), count: 39 - width) }
        raw(" = ")
        if call.neverReturned {
            raw("?")
        } else if call.failed {
            raw("-1 "); raw(errnoName(call.errno)); raw(" ("); string(errnoMessage(call.errno), quoted: false); raw(")")
        } else if call.syscall == .mmap || call.syscall == .brk {
            hex(UInt64(bitPattern: call.result))
        } else {
            int(call.result)
        }
        raw("\"")
        if !(call.failed || call.neverReturned) { raw(#","result":"#); int(call.result) }
        if call.failed { raw(#","errno":""#); raw(errnoName(call.errno)); raw("\"") }
        if let path = call.fdPath { raw(#","fd_path":"#); string(path, quoted: true) }
        raw(#","hugetlb":"#); raw(e.touchesHugetlb ? "true" : "false")
        if let size = e.hugePageSize { raw(#","page_size":"#); uint(size) }
        raw(#","map_count":"#); int(Int64(e.mapCount))
        raw(#","max_map_count":"#); int(Int64(e.maxMapCount))
        raw(#","hugetlb_map_count":"#); int(Int64(e.hugetlbMapCount))
        raw(#","refused":"#); raw(e.refused ? "true" : "false")
        if let later { raw(#","later":"#); raw(later ? "true" : "false") }
        raw("}\n")
        return true
    }

    // MARK: - the text's width

    /// Where the text's value starts in `bytes`, and the UTF-8 length its unescaped form has
    /// so far (escapes in a path make the escaped form longer).
    private var textStart = 0
    private var escapedExtra = 0

    private var textWidth: Int {
        bytes.count - textStart - escapedExtra
    }

    // MARK: - pieces

    private mutating func flags(_ value: UInt64, prot: Bool) -> RenderedFlags {
        if let cached = prot ? protCache[value] : mapFlagsCache[value] { return cached }
        let text = prot ? protFlags.render(value, zero: "PROT_NONE") : renderMapFlags(value)
        // rendered through this formatter's own escaping, into a scratch copy of it
        var scratch = SyscallRecordBytes()
        scratch.bytes.append(UInt8(ascii: "["))
        for (i, name) in (text == "0" ? [] : text.split(separator: "|")).enumerated() {
            if i > 0 { scratch.comma() }
            scratch.string(String(name), quoted: true)
        }
        scratch.bytes.append(UInt8(ascii: "]"))
        let names = scratch.bytes
        scratch.bytes.removeAll()
        scratch.string(text, quoted: false)
        let rendered = RenderedFlags(text: scratch.bytes, names: names)
        if prot {
            if protCache.count < Self.cacheLimit { protCache[value] = rendered }
        } else if mapFlagsCache.count < Self.cacheLimit {
            mapFlagsCache[value] = rendered
        }
        return rendered
    }

    @inline(__always) private mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// The text's value starts here.
    private mutating func markText() {
        textStart = bytes.count
        escapedExtra = 0
    }

    @inline(__always) private mutating func raw(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    @inline(__always) private mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    private mutating func uint(_ value: UInt64) {
        var v = value
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, no allocation
        withUnsafeMutableBytes(of: &digits) { buffer in
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v != 0
            bytes.append(contentsOf: buffer[i...])
        }
    }

    private mutating func int(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        uint(value.magnitude)
    }

    private mutating func hex(_ value: UInt64) {
        bytes.append(UInt8(ascii: "0")); bytes.append(UInt8(ascii: "x"))
        var shift = 60
        while shift > 0 && (value >> UInt64(shift)) & 0xF == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8((value >> UInt64(shift)) & 0xF)
            bytes.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
            shift -= 4
        }
    }

    private mutating func pointer(_ value: UInt64) {
        if value == 0 { raw("NULL") } else { hex(value) }
    }

    /// `fdText`: the signed fd, with `<path>` when it is open (strace -y).
    private mutating func fd(_ value: UInt64, path: String?) {
        let fd = Int32(truncatingIfNeeded: value)
        if fd == -100 { raw("AT_FDCWD") } else { int(Int64(fd)) }
        guard let path, fd >= 0 || fd == -100 else { return }
        let suffix = " (deleted)"
        bytes.append(UInt8(ascii: "<"))
        if path.hasSuffix(suffix) {
            string(String(path.dropLast(suffix.count)), quoted: false)
            raw(">(deleted)")
        } else {
            string(path, quoted: false)
            bytes.append(UInt8(ascii: ">"))
        }
    }

    /// JSON string escaping, as `JSONLine` does it.
    private mutating func string(_ s: String, quoted: Bool) {
        if quoted { bytes.append(UInt8(ascii: "\"")) }
        let before = bytes.count
        var count = 0
        for byte in s.utf8 {
            count += 1
            switch byte {
            case UInt8(ascii: "\""): bytes.append(0x5C); bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        escapedExtra += (bytes.count - before) - count
        if quoted { bytes.append(UInt8(ascii: "\"")) }
    }
}
