import CMapTrace
import Glibc

/// Asks the kernel about single areas of a process (PROCMAP_QUERY on /proc/PID/maps, Linux 6.11
/// and later): O(log n) per area, so the tracer checks the few areas a call changed instead of
/// re-reading the whole file. The open file belongs to one mm: reopen it after an exec.
final class AreaQuery {
    private let fd: Int32
    private var nameBuffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)

    /// nil when the file cannot be opened or the kernel has no PROCMAP_QUERY.
    init?(pid: Int32) {
        fd = open("/proc/\(pid)/maps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var area = mt_area()
        let rc = mt_procmap_query(fd, 0, &area)
        if rc == -ENOTTY || rc == -EINVAL || rc == -EPERM || rc == -EACCES {
            close(fd)
            return nil
        }
    }

    deinit { close(fd) }

    /// The area covering `address` or the first one above it: (start, end, prot); nil above the
    /// last area. Throws when the kernel would not answer (the process is gone).
    func area(atOrAbove address: UInt64) throws -> (start: UInt64, end: UInt64, prot: UInt32)? {
        var area = mt_area()
        let rc = mt_procmap_query(fd, address, &area)
        if rc == -ENOENT { return nil }
        guard rc == 0 else { throw MapTraceError.io(path: "PROCMAP_QUERY", reason: errnoMessage(-rc)) }
        // PROCMAP_QUERY_VMA_READABLE 1, WRITABLE 2, EXECUTABLE 4: the PROT_ bits
        return (area.start, area.end, UInt32(truncatingIfNeeded: area.flags & 7))
    }

    /// The file-backed area covering `address`: its file's name as maps shows it, and its page
    /// size (the huge page size of a hugetlb area). nil when no file-backed area covers it, or
    /// the kernel would not say.
    func file(at address: UInt64) -> (name: String, pageSize: UInt64)? {
        var area = mt_area_file()
        let rc = nameBuffer.withUnsafeMutableBufferPointer { mt_procmap_file(fd, address, &area, $0.baseAddress, UInt32($0.count)) }
        guard rc == 0, area.name_size > 1, Int(area.name_size) <= nameBuffer.count else { return nil }
        let name = nameBuffer.withUnsafeBufferPointer {
            String(decoding: UnsafeRawBufferPointer($0).prefix(Int(area.name_size) - 1), as: UTF8.self)
        }
        return (name, area.page_size)
    }

    /// The kernel's areas from the one covering `low` (or the next) up to the first that ends
    /// at or past `high`.
    func areas(from low: UInt64, to high: UInt64) throws -> [(start: UInt64, end: UInt64, prot: UInt32)] {
        // Each answer is one area as it is at that instant: another thread's call between two
        // of them can make them overlap (an area grown below where the last one ended). Such a
        // read is taken again.
        for _ in 0..<8 {
            var result: [(start: UInt64, end: UInt64, prot: UInt32)] = []
            var address = low
            var consistent = true
            while let area = try area(atOrAbove: address), area.start < high {
                if let last = result.last, area.start < last.end {
                    consistent = false
                    break
                }
                result.append(area)
                if area.end >= high { break }
                address = area.end
            }
            if consistent { return result }
        }
        throw MapTraceError.io(path: "PROCMAP_QUERY", reason: "the areas kept changing while read")
    }
}
