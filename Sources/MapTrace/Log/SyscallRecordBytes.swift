import Glibc

/// The syscall record of the calls that make most of a log (mmap, munmap, mprotect, brk),
/// written byte by byte into one reused buffer: the general path (`CallFields` into a
/// dictionary, `CallText` through strings, `JSONLine`) allocated some forty times and cost
/// about 10 µs a record, most of what `--log` added to a run. The bytes are exactly those of the
/// general path (a unit test holds the two together); flags are rendered by the general code
/// once per distinct value and kept.
final class SyscallRecordBytes {
    /// The buffer of its own, allocated once: where a record is made when the caller gives none.
    private let own: UnsafeMutablePointer<UInt8>
    /// Where the record is being made (`own`, or the caller's: the log file's mapping) and how
    /// far it has got, behind a pointer: a stored property of a class is checked for exclusive
    /// access at run time at every `count += n` (swift_beginAccess), which was a fifth of a
    /// record's cost; memory behind a pointer is not. Bytes go through the pointer with no
    /// bounds checks: a record is at most `capacity` (its one string of any length, an fd path,
    /// is at most `longestPath` bytes, each escaped in at most 6, in the text and in fd_path).
    private let cursor: UnsafeMutablePointer<Cursor>
    private struct Cursor {
        var base: UnsafeMutablePointer<UInt8>
        var count = 0
        /// The arena has reached its limit: emptied before the next record.
        var arenaFull = false
        /// Where the text's value starts in `bytes`, and how many more bytes its escaped form
        /// has than the unescaped one (escapes in a path make it longer).
        var textStart = 0
        var escapedExtra = 0
    }

    private(set) var count: Int {
        get { cursor.pointee.count }
        set { cursor.pointee.count = newValue }
    }
    private var base: UnsafeMutablePointer<UInt8> { cursor.pointee.base }
    /// The most bytes a record takes: what a caller's buffer must hold.
    static let capacity = 1 << 16
    private static let longestPath = Int(PATH_MAX)
    private var protCache: [UInt64: RenderedFlags] = [:]
    private var mapFlagsCache: [UInt64: RenderedFlags] = [:]
    /// The last flag words rendered: a loop's calls repeat theirs, and a hash per lookup cost
    /// more than the rest of the flags' work.
    private var lastProt: (value: UInt64, flags: RenderedFlags)?
    private var lastMapFlags: (value: UInt64, flags: RenderedFlags)?
    private static let cacheLimit = 256
    /// The rendered flags' bytes, kept until the formatter goes (at most 2 × `cacheLimit`
    /// renderings of a few dozen bytes): a pointer into them costs no reference counting.
    private var arena: [UnsafeMutableBufferPointer<UInt8>] = []

    /// A flag word as the text shows it (`PROT_READ|PROT_WRITE`, already JSON-escaped) and as
    /// the fields list it (`["PROT_READ","PROT_WRITE"]`).
    private struct RenderedFlags {
        var text: UnsafeBufferPointer<UInt8>
        var names: UnsafeBufferPointer<UInt8>
    }

    init() {
        own = .allocate(capacity: Self.capacity)
        cursor = .allocate(capacity: 1)
        cursor.initialize(to: Cursor(base: own))
    }

    deinit {
        own.deallocate()
        cursor.deinitialize(count: 1)
        cursor.deallocate()
        for block in arena { block.deallocate() }
    }

    /// The record's bytes, valid until the next `format`.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Formats the record of E at `destination` (at least `capacity` bytes; nil: into a buffer
    /// of its own), `count` bytes long. False for a call this fast path does not cover (the
    /// caller then uses the general one): nothing is written then.
    func format(_ e: SyscallEvent, later: Bool?, into destination: UnsafeMutablePointer<UInt8>? = nil) -> Bool {
        let call = e.call
        // the names as constants: `Syscall.name` goes through reflection (String(describing:))
        let name: StaticString
        switch call.syscall {
        case .mmap: name = "mmap"
        case .munmap: name = "munmap"
        case .mprotect: name = "mprotect"
        case .brk: name = "brk"
        default: return false
        }
        // an injected result: the general path writes what it adds (a duration and a stack are
        // not in the record: every call has a duration, and requiring none kept every record
        // off this path)
        guard call.string == nil, call.resultPath == nil, !call.injected,
              (call.fdPath?.utf8.count ?? 0) <= Self.longestPath else { return false }
        let a = call.args
        if cursor.pointee.arenaFull { trimArena() }
        cursor.pointee.base = destination ?? own
        count = 0
        raw(#"{"type":"syscall","time":"#)
        JSONLine.seconds(e.time) { (base + count).update(from: $0.baseAddress!, count: $0.count); count += $0.count }
        raw(#","pid":"#); int(Int64(e.pid))
        raw(#","tid":"#); int(Int64(e.tid))
        raw(#","name":""#); raw(name)
        raw(#"","args":["#)
        uint(a.a0); comma(); uint(a.a1); comma(); uint(a.a2); comma(); uint(a.a3); comma(); uint(a.a4); comma(); uint(a.a5)
        raw(#"],"fields":{"#)
        // keys in sorted order, as the general path sorts them
        switch call.syscall {
        case .mmap:
            let prot = flags(a.a2, prot: true), mapFlags = flags(a.a3, prot: false)
            raw(#""addr":"#); int(Int64(bitPattern: a.a0))
            raw(#","fd":"#); int(Int64(Int32(truncatingIfNeeded: a.a4)))
            raw(#","flags":"#); put(mapFlags.names)
            raw(#","length":"#); int(Int64(bitPattern: a.a1))
            raw(#","offset":"#); int(Int64(bitPattern: a.a5))
            raw(#","prot":"#); put(prot.names)
            raw(#"},"text":""#); markText(); raw("mmap(")
            pointer(a.a0); raw(", "); uint(a.a1); raw(", "); put(prot.text); raw(", "); put(mapFlags.text); raw(", ")
            fd(a.a4, path: call.fdPath); raw(", ")
            if a.a5 == 0 { raw("0") } else { hex(a.a5) }
        case .munmap, .mprotect:
            raw(#""addr":"#); int(Int64(bitPattern: a.a0))
            raw(#","length":"#); int(Int64(bitPattern: a.a1))
            let prot = call.syscall == .mprotect ? flags(a.a2, prot: true) : nil
            if let prot { raw(#","prot":"#); put(prot.names) }
            raw(#"},"text":""#); markText(); raw(name); raw("(")
            pointer(a.a0); raw(", "); uint(a.a1)
            if let prot { raw(", "); put(prot.text) }
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
        if width < 39 {
            (base + count).initialize(repeating: UInt8(ascii: " "), count: 39 - width)
            count += 39 - width
        }
        raw(" = ")
        if call.neverReturned {
            raw("?")
        } else if call.failed {
            raw("-1 "); rawString(errnoName(call.errno)); raw(" ("); string(errnoMessage(call.errno), quoted: false); raw(")")
        } else if call.syscall == .mmap || call.syscall == .brk {
            hex(UInt64(bitPattern: call.result))
        } else {
            int(call.result)
        }
        raw("\"")
        raw(#","result":"#)
        if call.failed || call.neverReturned { raw("null") } else { int(call.result) }
        raw(#","errno":"#)
        if call.failed {
            raw(#"{"name":""#); rawString(errnoName(call.errno)); raw(#"","number":"#); int(Int64(call.errno)); put(UInt8(ascii: "}"))
        } else {
            raw("null")
        }
        if let path = call.fdPath { raw(#","fd_path":"#); string(path, quoted: true) }
        raw(#","hugetlb":"#); bool(e.touchesHugetlb)
        if let size = e.hugePageSize { raw(#","page_size":"#); uint(size) }
        raw(#","map_count":"#); int(Int64(e.mapCount))
        raw(#","max_map_count":"#); int(Int64(e.maxMapCount))
        raw(#","hugetlb_map_count":"#); int(Int64(e.hugetlbMapCount))
        raw(#","refused":"#); bool(e.refused)
        if let later { raw(#","later":"#); bool(later) }
        raw("}\n")
        return true
    }

    // MARK: - the text's width

    /// The UTF-8 length the text's unescaped form has so far.
    private var textWidth: Int {
        cursor.pointee.count - cursor.pointee.textStart - cursor.pointee.escapedExtra
    }

    // MARK: - pieces

    private func flags(_ value: UInt64, prot: Bool) -> RenderedFlags {
        if prot, let last = lastProt, last.value == value { return last.flags }
        if !prot, let last = lastMapFlags, last.value == value { return last.flags }
        let found = prot ? protCache[value] : mapFlagsCache[value]
        let rendered = found ?? render(value, prot: prot)
        if prot { lastProt = (value, rendered) } else { lastMapFlags = (value, rendered) }
        return rendered
    }

    private func render(_ value: UInt64, prot: Bool) -> RenderedFlags {
        let text = prot ? protFlags.render(value, zero: "PROT_NONE") : renderMapFlags(value)
        // rendered through this formatter's own escaping, into a scratch one
        let scratch = SyscallRecordBytes()
        scratch.put(UInt8(ascii: "["))
        for (i, name) in (text == "0" ? [] : text.split(separator: "|")).enumerated() {
            if i > 0 { scratch.comma() }
            scratch.string(String(name), quoted: true)
        }
        scratch.put(UInt8(ascii: "]"))
        let names = keep(scratch.bytes)
        scratch.count = 0
        scratch.string(text, quoted: false)
        let rendered = RenderedFlags(text: keep(scratch.bytes), names: names)
        if prot {
            if protCache.count < Self.cacheLimit { protCache[value] = rendered }
        } else if mapFlagsCache.count < Self.cacheLimit {
            mapFlagsCache[value] = rendered
        }
        return rendered
    }

    /// A program with very many distinct flag words: the arena is emptied with the caches and
    /// memos that point into it, between records (never while one holds a rendering).
    private func trimArena() {
        cursor.pointee.arenaFull = false
        protCache.removeAll()
        mapFlagsCache.removeAll()
        lastProt = nil
        lastMapFlags = nil
        for block in arena { block.deallocate() }
        arena.removeAll()
    }

    /// A copy of `bytes` in the arena, freed with the formatter or by `trimArena`.
    private func keep(_ bytes: UnsafeRawBufferPointer) -> UnsafeBufferPointer<UInt8> {
        let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = block.initialize(from: bytes)
        arena.append(block)
        if arena.count >= 4 * Self.cacheLimit { cursor.pointee.arenaFull = true }
        return UnsafeBufferPointer(rebasing: block[..<bytes.count])
    }

    @inline(__always) private func put(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always) private func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        (base + count).update(from: bytes.baseAddress!, count: bytes.count)
        count += bytes.count
    }

    /// A constant: copied byte by byte when short (the loop unrolls for a known length; a
    /// memmove call per piece cost more than the copy).
    @inline(__always) private func raw(_ s: StaticString) {
        let n = s.utf8CodeUnitCount, from = s.utf8Start, to = base + count
        if n <= 24 {
            for i in 0..<n { to[i] = from[i] }
        } else {
            to.update(from: from, count: n)
        }
        count += n
    }

    @inline(__always) private func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// The text's value starts here.
    private func markText() {
        cursor.pointee.textStart = count
        cursor.pointee.escapedExtra = 0
    }

    /// A string's bytes as they are (an errno's name). Named apart from `raw`: with two
    /// overloads, Swift gave every literal to the String one (a copy and a memmove each).
    private func rawString(_ s: String) {
        var s = s
        s.withUTF8 { (base + count).update(from: $0.baseAddress!, count: $0.count); count += $0.count }
    }

    @inline(__always) private func comma() { put(UInt8(ascii: ",")) }

    /// Two digits at a time from a table: half the divisions of one at a time.
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// 10^0 … 10^19, for the digit count.
    nonisolated(unsafe) private static let powersOf10: UnsafeMutablePointer<UInt64> = {  // written once, then only read
        let powers = UnsafeMutablePointer<UInt64>.allocate(capacity: 20)
        var power: UInt64 = 1
        for i in 0..<20 {
            powers[i] = power
            if i < 19 { power &*= 10 }
        }
        return powers
    }()

    private func uint(_ value: UInt64) {
        // the digit count from the bit count (log10 2 ≈ 1233 / 4096), corrected by one compare
        let t = ((64 - (value | 1).leadingZeroBitCount) &* 1233) >> 12
        let digits = max(1, t + (value >= Self.powersOf10[t] ? 1 : 0))
        let out = base + count
        var v = value
        var i = digits
        let pairs = Self.digitPairs.utf8Start
        while v >= 100 {
            let pair = Int(v % 100) &* 2
            v /= 100
            i -= 2
            out[i] = pairs[pair]
            out[i + 1] = pairs[pair + 1]
        }
        if v >= 10 {
            out[i - 2] = pairs[Int(v) &* 2]
            out[i - 1] = pairs[Int(v) &* 2 + 1]
        } else {
            out[i - 1] = UInt8(ascii: "0") + UInt8(v)
        }
        count += digits
    }

    private func int(_ value: Int64) {
        if value < 0 { put(UInt8(ascii: "-")) }
        uint(value.magnitude)
    }

    private func hex(_ value: UInt64) {
        put(UInt8(ascii: "0")); put(UInt8(ascii: "x"))
        var shift = 60
        while shift > 0 && (value >> UInt64(shift)) & 0xF == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8((value >> UInt64(shift)) & 0xF)
            put(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
            shift -= 4
        }
    }

    private func pointer(_ value: UInt64) {
        if value == 0 { raw("NULL") } else { hex(value) }
    }

    /// `fdText`: the signed fd, with `<path>` when it is open (strace -y).
    private func fd(_ value: UInt64, path: String?) {
        let fd = Int32(truncatingIfNeeded: value)
        if fd == -100 { raw("AT_FDCWD") } else { int(Int64(fd)) }
        guard let path, fd >= 0 || fd == -100 else { return }
        let suffix = " (deleted)"
        put(UInt8(ascii: "<"))
        if path.hasSuffix(suffix) {
            string(String(path.dropLast(suffix.count)), quoted: false)
            raw(">(deleted)")
        } else {
            string(path, quoted: false)
            put(UInt8(ascii: ">"))
        }
    }

    /// JSON string escaping, as `JSONLine` does it.
    private func string(_ s: String, quoted: Bool) {
        if quoted { put(UInt8(ascii: "\"")) }
        let before = count
        var length = 0
        for byte in s.utf8 {
            length += 1
            switch byte {
            case UInt8(ascii: "\""): put(0x5C); put(0x22)
            case UInt8(ascii: "\\"): put(0x5C); put(0x5C)
            case 0x0A: put(0x5C); put(UInt8(ascii: "n"))
            case 0x09: put(0x5C); put(UInt8(ascii: "t"))
            case 0x0D: put(0x5C); put(UInt8(ascii: "r"))
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                put(0x5C); put(UInt8(ascii: "u")); put(0x30); put(0x30)
                put(hex.utf8Start[Int(byte >> 4)]); put(hex.utf8Start[Int(byte & 0xF)])
            default: put(byte)
            }
        }
        cursor.pointee.escapedExtra += (count - before) - length
        if quoted { put(UInt8(ascii: "\"")) }
    }
}
