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
        var absolute = path.hasPrefix("/") ? path : (base ?? "/") + "/" + path
        if let slash = absolute.lastIndex(of: "/") { absolute = String(absolute[..<slash]) }
        return hugePageSize(ofPath: "/proc/\(pid)/root" + (absolute.isEmpty ? "/" : absolute))
    }

    private func hugePageSize(ofPath path: String) -> UInt64? {
        var fs = mt_fsinfo()
        guard mt_statfs(path, &fs) == 0, fs.type & 0xffff_ffff == hugetlbfsMagic else { return nil }
        return fs.bsize
    }
}

/// HUGETLBFS_MAGIC from include/uapi/linux/magic.h.
let hugetlbfsMagic: UInt64 = 0x9584_58f6
