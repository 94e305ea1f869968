/// /proc/PID/maps and /proc/PID/smaps.
public enum MapsFile {
    /// Parses maps lines ("START-END PERMS OFFSET MAJ:MIN INODE   PATH"); malformed lines are
    /// skipped. hugePageSize stays nil: maps alone does not show it.
    public static func parse(_ text: String) -> [Mapping] { parse(text, mounts: nil) }

    /// Parses maps lines; with `mounts`, lines whose path lies on a hugetlbfs mount get that
    /// mount's page size, and "/anon_hugepage (deleted)" (MAP_HUGETLB) the default huge page
    /// size (a MAP_HUGE_1GB mapping would need smaps to be exact: see `parseSmaps`). SysV and
    /// memfd hugetlb segments live on internal mounts and look like any other deleted file
    /// in maps; only smaps tells them apart.
    public static func parse(_ text: String, mounts: MountTable?) -> [Mapping] {
        var text = text
        return text.withUTF8 { bytes in
            var result: [Mapping] = []
            result.reserveCapacity(bytes.count / 80)
            forEachLine(bytes) { line in
                if var mapping = parseLine(line) {
                    if let mounts { mapping.hugePageSize = hugePageSize(of: mapping.path, mounts: mounts) }
                    result.append(mapping)
                }
            }
            return result
        }
    }

    /// Reads and parses /proc/PID/maps (pid 0: the calling process).
    public static func read(pid: Int32, mounts: MountTable? = nil) throws -> [Mapping] {
        parse(try ProcFile.read(ProcFile.path(pid: pid, "maps")), mounts: mounts)
    }

    /// The kernel's own map_count: lines of /proc/PID/maps, less a [vsyscall] line (the gate
    /// VMA is shown but not counted).
    public static func kernelCount(pid: Int32) throws -> Int {
        kernelCount(try ProcFile.read(ProcFile.path(pid: pid, "maps")))
    }

    /// map_count from maps text already read: its lines, less a [vsyscall] line.
    public static func kernelCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            var lines = 0
            var gate = 0
            forEachLine(bytes) { line in
                lines += 1
                if endsWith(line, vsyscall) { gate = 1 }
            }
            return lines - gate
        }
    }

    /// Parses /proc/PID/smaps: the maps header of each area, with hugePageSize set from
    /// "KernelPageSize:" for areas whose "VmFlags:" include "ht" (hugetlb). Exact for every
    /// kind of hugetlb memory, at the price of a file about twenty times larger than maps.
    public static func parseSmaps(_ text: String) -> [Mapping] {
        var text = text
        return text.withUTF8 { bytes in
            var result: [Mapping] = []
            var kernelPageSize: UInt64?
            forEachLine(bytes) { line in
                guard let first = line.first else { return }
                if isLowerHexDigit(first), var mapping = parseLine(line) {
                    mapping.traits = AreaTraits(flags: [], lineage: 0)
                    result.append(mapping)
                    kernelPageSize = nil
                } else if startsWith(line, kernelPageSizeKey) {
                    kernelPageSize = decimal(line, from: kernelPageSizeKey.count).map { $0 * 1024 }
                } else if startsWith(line, protectionKeyKey), !result.isEmpty {
                    result[result.count - 1].traits?.pkey = UInt32(decimal(line, from: protectionKeyKey.count) ?? 0)
                } else if startsWith(line, vmFlagsKey), !result.isEmpty {
                    let flags = String(decoding: line[(line.startIndex + vmFlagsKey.count)...], as: UTF8.self)
                    result[result.count - 1].traits?.flags = VMFlags(smaps: Substring(flags))
                    if flags.split(separator: " ").contains("ht") {
                        result[result.count - 1].hugePageSize = kernelPageSize ?? MountTable.defaultHugePageSize()
                    }
                }
            }
            return result
        }
    }

    /// Reads and parses /proc/PID/smaps (pid 0: the calling process).
    public static func readSmaps(pid: Int32) throws -> [Mapping] {
        parseSmaps(try ProcFile.read(ProcFile.path(pid: pid, "smaps")))
    }

    // MARK: Lines

    private static let vsyscall = Array(" [vsyscall]".utf8)
    private static let kernelPageSizeKey = Array("KernelPageSize:".utf8)
    private static let vmFlagsKey = Array("VmFlags:".utf8)
    private static let protectionKeyKey = Array("ProtectionKey:".utf8)
    /// hugetlb_file_setup (fs/hugetlbfs/inode.c) names MAP_HUGETLB memory this way.
    static let anonymousHugetlbPath = "/anon_hugepage (deleted)"

    private static func hugePageSize(of path: String?, mounts: MountTable) -> UInt64? {
        guard let path, path.hasPrefix("/") else { return nil }
        if path == anonymousHugetlbPath { return mounts.defaultHugePageSize }
        return mounts.hugetlbfsMount(containing: path)?.pageSize
    }

    private static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Slice<UnsafeBufferPointer<UInt8>>) -> Void) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end > start { body(bytes[start..<end]) }
            start = end + 1
        }
    }

    /// One maps line, or nil when it does not have the maps shape.
    static func parseLine(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> Mapping? {
        var i = line.startIndex
        let end = line.endIndex
        func hex(until terminator: UInt8) -> UInt64? {
            var value: UInt64 = 0
            let first = i
            while i < end, line[i] != terminator {
                guard let digit = hexValue(line[i]), value >> 60 == 0 else { return nil }
                value = value << 4 | digit
                i += 1
            }
            guard i > first, i < end else { return nil }
            i += 1
            return value
        }
        func skipField() -> Bool {
            let first = i
            while i < end, line[i] != UInt8(ascii: " ") { i += 1 }
            guard i > first else { return false }
            while i < end, line[i] == UInt8(ascii: " ") { i += 1 }
            return true
        }
        guard let start = hex(until: UInt8(ascii: "-")), let stop = hex(until: UInt8(ascii: " ")),
              i + 5 <= end, line[i + 4] == UInt8(ascii: " ") else { return nil }
        var prot: UInt32 = 0
        if line[i] == UInt8(ascii: "r") { prot |= 1 }
        if line[i + 1] == UInt8(ascii: "w") { prot |= 2 }
        if line[i + 2] == UInt8(ascii: "x") { prot |= 4 }
        let shared = line[i + 3] == UInt8(ascii: "s")
        i += 5
        guard let offset = hex(until: UInt8(ascii: " ")), skipField(), skipField() || i == end else { return nil }
        let path: String? = i < end ? String(decoding: line[i..<end], as: UTF8.self) : nil
        return Mapping(start: start, end: stop, prot: prot, shared: shared, offset: offset, path: path)
    }

    private static func hexValue(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private static func isLowerHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func startsWith(_ line: Slice<UnsafeBufferPointer<UInt8>>, _ prefix: [UInt8]) -> Bool {
        line.count >= prefix.count && line.prefix(prefix.count).elementsEqual(prefix)
    }

    private static func endsWith(_ line: Slice<UnsafeBufferPointer<UInt8>>, _ suffix: [UInt8]) -> Bool {
        line.count >= suffix.count && line.suffix(suffix.count).elementsEqual(suffix)
    }

    /// The first decimal number at or after `offset` in the line.
    private static func decimal(_ line: Slice<UnsafeBufferPointer<UInt8>>, from offset: Int) -> UInt64? {
        var i = line.startIndex + offset
        while i < line.endIndex, line[i] == UInt8(ascii: " ") { i += 1 }
        var value: UInt64?
        while i < line.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[i]) {
            value = (value ?? 0) * 10 + UInt64(line[i] - UInt8(ascii: "0"))
            i += 1
        }
        return value
    }
}
