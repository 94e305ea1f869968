import CMapTrace
import Glibc

/// Reads what a stopped tracee's call points at: strings, argv, struct open_how, fd paths,
/// and whether a file lies on hugetlbfs. Reuses one buffer, so a stop allocates only the result.
final class TraceeReader {
    private var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)

    /// A NUL-terminated string at `address`, or nil when the memory is unreadable.
    func string(pid: Int32, at address: UInt64) -> String? {
        guard address != 0 else { return nil }
        let length = buffer.withUnsafeMutableBufferPointer { mt_read_string(pid, address, $0.baseAddress, $0.count) }
        guard length >= 0 else { return nil }
        return buffer.withUnsafeBufferPointer {
            String(decoding: UnsafeRawBufferPointer($0).prefix(length), as: UTF8.self)
        }
    }

    /// execve's argv: up to 64 strings.
    func argv(pid: Int32, at address: UInt64) -> [String]? {
        guard address != 0 else { return nil }
        var pointers = [UInt64](repeating: 0, count: 64)
        let got = pointers.withUnsafeMutableBytes { mt_read_mem(pid, address, $0.baseAddress, $0.count) }
        guard got > 0 else { return nil }
        var result: [String] = []
        for p in pointers.prefix(got / 8) {
            if p == 0 { break }
            result.append(string(pid: pid, at: p) ?? "")
        }
        return result
    }

    /// openat2's struct open_how { u64 flags, mode, resolve }.
    func openHow(pid: Int32, at address: UInt64) -> (flags: UInt64, mode: UInt64, resolve: UInt64)? {
        var how: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let got = withUnsafeMutableBytes(of: &how) { mt_read_mem(pid, address, $0.baseAddress, 24) }
        return got == 24 ? (how.0, how.1, how.2) : nil
    }

    /// The first seven fields of x86_64's struct statfs (f_type … f_ffree, eight bytes each).
    func statfs(pid: Int32, at address: UInt64) -> StatfsResult? {
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
        let got = withUnsafeMutableBytes(of: &words) { mt_read_mem(pid, address, $0.baseAddress, 56) }
        guard got == 56 else { return nil }
        return StatfsResult(type: words.0, blockSize: Int64(bitPattern: words.1), blocks: words.2, blocksFree: words.3,
                            blocksAvailable: words.4, files: words.5, filesFree: words.6)
    }

    /// mbind's node mask: `bits` bits from `address`, as 64-bit words (at most 1024 nodes).
    func nodeMask(pid: Int32, at address: UInt64, bits: UInt64) -> [UInt64]? {
        guard address != 0 else { return [] }
        let count = Int(min((bits + 63) / 64, 16))
        var words = [UInt64](repeating: 0, count: count)
        let got = words.withUnsafeMutableBytes { mt_read_mem(pid, address, $0.baseAddress, $0.count) }
        return got == count * 8 ? words : nil
    }

    /// The target of a /proc symlink: an fd's path, a process's cwd.
    func link(_ path: String) -> String? {
        let n = buffer.withUnsafeMutableBufferPointer { readlink(path, $0.baseAddress!, $0.count - 1) }
        guard n >= 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(decoding: UnsafeRawBufferPointer($0).prefix(n), as: UTF8.self) }
    }

    func fdPath(pid: Int32, fd: UInt64) -> String? {
        let number = Int32(truncatingIfNeeded: fd)
        if number == -100 { return link("/proc/\(pid)/cwd") }
        guard number >= 0 else { return nil }
        return link("/proc/\(pid)/fd/\(number)")
    }

    /// The huge page size when the fd's file lies on hugetlbfs (memfd MFD_HUGETLB files too), else nil.
    func hugePageSize(pid: Int32, fd: UInt64) -> UInt64? {
        let number = Int32(truncatingIfNeeded: fd)
        guard number >= 0 else { return nil }
        return hugePageSize(ofPath: "/proc/\(pid)/fd/\(number)")
    }

    /// The huge page size of the hugetlbfs mount holding the directory of a path the tracee
    /// named (resolved in its own root and against `base`, its cwd or dirfd), else nil.
    func hugePageSize(pid: Int32, path: String, base: String?) -> UInt64? {
        hugePageSize(ofPath: "/proc/\(pid)/root" + TraceeReader.directory(of: path, base: base))
    }

    /// The absolute directory of a path the tracee named, as written ("/" for a file at the root).
    static func directory(of path: String, base: String?) -> String {
        var absolute = path.hasPrefix("/") ? path : (base ?? "/") + "/" + path
        if let slash = absolute.lastIndex(of: "/") { absolute = String(absolute[..<slash]) }
        return absolute.isEmpty ? "/" : absolute
    }

    private func hugePageSize(ofPath path: String) -> UInt64? {
        guard let fs = fileSystem(ofPath: path), fs.type == hugetlbfsMagic else { return nil }
        return fs.blockSize
    }

    /// statfs of a path: the filesystem's magic number and block size (a huge page size on hugetlbfs).
    func fileSystem(ofPath path: String) -> (type: UInt64, blockSize: UInt64)? {
        var fs = mt_fsinfo()
        guard mt_statfs(path, &fs) == 0 else { return nil }
        return (fs.type & 0xffff_ffff, fs.bsize)
    }
}

extension TraceeReader {
    /// The stopped thread's stack as "function (file)" frames, innermost first: libunwind's
    /// remote unwinder, with the file and offset from the process's maps where no symbol covers a
    /// frame, and Swift names demangled.
    func stack(tid: Int32, maps: [Mapping], limit: Int = 12) -> [String] {
        let nameSize = 256
        var ips = [UInt64](repeating: 0, count: limit)
        var names = [CChar](repeating: 0, count: limit * nameSize)
        let count = Int(mt_backtrace(tid, &ips, &names, nameSize, Int32(limit)))
        guard count > 0 else { return [] }
        return (0..<count).map { i in
            let symbol = names.withUnsafeBufferPointer { buffer in
                String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[(i * nameSize)..<((i + 1) * nameSize)])
                    .prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            let mapping = maps.first { $0.start <= ips[i] && ips[i] < $0.end }
            let file = mapping?.path.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "?"
            if symbol.isEmpty {
                let offset = mapping.map { ips[i] - $0.start + $0.offset } ?? ips[i]
                return "\(file)+0x\(String(offset, radix: 16))"
            }
            return "\(Demangle.name(symbol)) (\(file))"
        }
    }
}

/// Swift symbol names as people read them, through the runtime's own demangler.
enum Demangle {
    @_silgen_name("swift_demangle")
    private static func swiftDemangle(_ name: UnsafePointer<CChar>?, _ length: Int, _ buffer: UnsafeMutablePointer<CChar>?,
                                      _ bufferSize: UnsafeMutablePointer<Int>?, _ flags: UInt32) -> UnsafeMutablePointer<CChar>?

    /// "$s5l2fwd13HugepageMemoryV3mapyyF+0x2a" → "l2fwd.HugepageMemory.map() + 0x2a"; C names unchanged.
    static func name(_ symbol: String) -> String {
        var base = symbol, offset = ""
        if let plus = symbol.lastIndex(of: "+") {
            base = String(symbol[..<plus])
            offset = "+" + symbol[symbol.index(after: plus)...]
        }
        guard base.hasPrefix("$s") || base.hasPrefix("_$s") else { return symbol }
        guard let demangled = base.withCString({ swiftDemangle($0, strlen($0), nil, nil, 0) }) else { return symbol }
        defer { free(demangled) }
        var text = String(cString: demangled)
        // an optimised build's "function signature specialization <Arg[1] = Dead> of f": keep f
        while text.contains("specialization <"), let of = text.range(of: "> of ") { text = String(text[of.upperBound...]) }
        // a private declaration reads "Type.(name in _4F3A…)": keep the name
        while let open = text.range(of: ".("), let inRange = text.range(of: " in _", range: open.upperBound..<text.endIndex),
              let close = text[inRange.upperBound...].firstIndex(of: ")") {
            text.replaceSubrange(open.lowerBound...close, with: "." + text[open.upperBound..<inRange.lowerBound])
        }
        // the signature is noise in a stack line: keep the name up to its argument list
        if let paren = text.firstIndex(of: "(") { text = String(text[..<paren]) }
        return text + offset
    }
}

/// HUGETLBFS_MAGIC from include/uapi/linux/magic.h.
let hugetlbfsMagic: UInt64 = 0x9584_58f6
