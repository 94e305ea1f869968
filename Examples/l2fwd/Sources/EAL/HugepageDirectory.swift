import Glibc

/// A hugetlbfs mount the EAL takes its pages from, and the page pool behind it.
struct HugepageDirectory {
    /// The mount point.
    let path: String
    /// The mount's page size in bytes.
    let pageSize: Int

    /// The page size as DPDK prints it: "2 MB", "1024 MB".
    var pageSizeText: String { "\(pageSize >> 20) MB" }

    /// The pool directory of this page size under /sys.
    var poolDirectory: String { "/sys/kernel/mm/hugepages/hugepages-\(pageSize >> 10)kB" }

    /// Pages a new mapping can still get: free_hugepages counts pages promised to existing
    /// mappings but not yet faulted in, so those (resv_hugepages) are taken off
    /// (Documentation/admin-guide/mm/hugetlbpage.rst).
    func freePages() -> Int {
        let free = readInteger(poolDirectory + "/free_hugepages") ?? 0
        let reserved = readInteger(poolDirectory + "/resv_hugepages") ?? 0
        return max(0, free - reserved)
    }

    /// Pages the mount's own size= still allows, from statvfs (glibc's statfs call; hugetlbfs
    /// counts blocks in huge pages and reports 0 blocks when it has no size=); nil when the
    /// mount has no such limit.
    func mountFreePages() -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0, info.f_blocks > 0, info.f_blocks != UInt.max else { return nil }
        return Int(info.f_bfree)
    }

    /// Finds the directory: `requested` when given (it must be on a hugetlbfs mount), else the
    /// first hugetlbfs mount, in /proc/self/mountinfo order, whose page size is the default.
    static func find(requested: String?) throws -> HugepageDirectory {
        let defaultSize = (readMeminfo("Hugepagesize") ?? 2048) << 10
        let mounts = hugetlbfsMounts(defaultPageSize: defaultSize)
        if let requested {
            let path = normalized(requested)
            // The longest mount point that contains the path: a subdirectory of a mount is fine.
            let owner = mounts.filter { path == $0.path || path.hasPrefix($0.path == "/" ? "/" : $0.path + "/") }
                .max { $0.path.count < $1.path.count }
            guard let owner else { throw UsageError(message: "EAL: invalid --huge-dir '\(requested)': not on a hugetlbfs mount") }
            return HugepageDirectory(path: path, pageSize: owner.pageSize)
        }
        guard let mount = mounts.first(where: { $0.pageSize == defaultSize }) else {
            throw UsageError(message: "EAL: no hugetlbfs mount of \(defaultSize >> 20) MB pages found (mount one or pass --huge-dir)")
        }
        return mount
    }

    /// hugetlbfs mounts from /proc/self/mountinfo. A line is
    /// `id parent major:minor root mountpoint options [optional…] - fstype source superoptions`
    /// (proc(5)); the page size is the `pagesize=` super option, absent meaning the default.
    private static func hugetlbfsMounts(defaultPageSize: Int) -> [HugepageDirectory] {
        guard let text = readText("/proc/self/mountinfo") else { return [] }
        var mounts: [HugepageDirectory] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash > 5, dash + 3 < fields.count,
                fields[dash + 1] == "hugetlbfs"
            else { continue }
            var size = defaultPageSize
            for option in fields[dash + 3].split(separator: ",") where option.hasPrefix("pagesize=") {
                size = parseSize(option.dropFirst("pagesize=".count)) ?? size
            }
            mounts.append(HugepageDirectory(path: unescape(fields[4]), pageSize: size))
        }
        return mounts
    }

    /// `2M`, `1G`, `2048k`, `2097152` to bytes.
    private static func parseSize(_ text: Substring) -> Int? {
        let units: [Character: Int] = ["k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30]
        if let last = text.last, let unit = units[last] {
            return Int(text.dropLast()).map { $0 * unit }
        }
        return Int(text)
    }

    /// mountinfo writes space, tab, newline and backslash in paths as `\ooo` octal.
    private static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 4 <= raw.count,
                let value = UInt8(String(decoding: raw[(index + 1)..<(index + 4)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func normalized(_ path: String) -> String {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }

    private static func readMeminfo(_ key: String) -> Int? {
        guard let text = readText("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.dropFirst(key.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }
}

/// The whole of a small /proc or /sys file.
func readText(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 8192)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        bytes.append(contentsOf: chunk[..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A /proc or /sys file holding one integer.
func readInteger(_ path: String) -> Int? {
    readText(path).flatMap { Int($0.split(whereSeparator: \.isWhitespace).first ?? "") }
}
