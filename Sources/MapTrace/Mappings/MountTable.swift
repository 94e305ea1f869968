/// A hugetlbfs mount and the limits its options set (docs/causes.md).
public struct HugetlbfsMount: Codable, Sendable, Equatable {
    /// Where it is mounted, unescaped.
    public var mountPoint: String
    /// Huge page size in bytes: `pagesize=`, or the default huge page size.
    public var pageSize: UInt64
    /// `size=` in bytes; nil when the mount has none (no limit).
    public var sizeLimit: UInt64?
    /// `min_size=` in bytes.
    public var minSize: UInt64?
    /// `nr_inodes=`.
    public var inodeLimit: UInt64?
    /// The raw super options, e.g. "rw,nr_inodes=4,pagesize=2M,size=8388608".
    public var options: String

    public init(mountPoint: String, pageSize: UInt64, sizeLimit: UInt64? = nil, minSize: UInt64? = nil,
                inodeLimit: UInt64? = nil, options: String = "") {
        self.mountPoint = mountPoint
        self.pageSize = pageSize
        self.sizeLimit = sizeLimit
        self.minSize = minSize
        self.inodeLimit = inodeLimit
        self.options = options
    }
}

/// The hugetlbfs mounts a process sees, from /proc/PID/mountinfo.
public struct MountTable: Sendable {
    /// hugetlbfs mounts in mountinfo order.
    public var hugetlbfs: [HugetlbfsMount]
    /// The default huge page size the table was read with (for "/anon_hugepage" mappings).
    public var defaultHugePageSize: UInt64
    /// Mount points of every other file system, in mountinfo order, with their line numbers:
    /// a later mount on or below a hugetlbfs mount point hides it.
    var otherMountPoints: [(line: Int, path: String)] = []
    /// The line number of each hugetlbfs mount, parallel to `hugetlbfs`.
    var hugetlbfsLines: [Int] = []

    /// A table of just these mounts (later entries hide earlier ones on the same mount point).
    public init(hugetlbfs: [HugetlbfsMount], defaultHugePageSize: UInt64 = 2 << 20) {
        self.hugetlbfs = hugetlbfs
        self.defaultHugePageSize = defaultHugePageSize
        hugetlbfsLines = Array(hugetlbfs.indices)
    }

    /// Parses /proc/PID/mountinfo text: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS…] - FSTYPE
    /// SOURCE SUPEROPTS", with spaces, tabs, newlines and backslashes octal-escaped ("\040").
    public static func parse(mountinfo: String, defaultHugePageSize: UInt64) -> MountTable {
        var table = MountTable(hugetlbfs: [], defaultHugePageSize: defaultHugePageSize)
        var lineNumber = 0
        for line in mountinfo.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 7, let dash = fields[6...].firstIndex(of: "-"), dash + 1 < fields.count
            else { continue }
            lineNumber += 1
            let mountPoint = unescape(fields[4])
            guard fields[dash + 1] == "hugetlbfs" else {
                table.otherMountPoints.append((lineNumber, mountPoint))
                continue
            }
            let options = dash + 3 < fields.count ? String(fields[dash + 3]) : ""
            table.hugetlbfs.append(mount(at: mountPoint, options: options, defaultHugePageSize: defaultHugePageSize))
            table.hugetlbfsLines.append(lineNumber)
        }
        return table
    }

    /// Reads /proc/PID/mountinfo (pid 0: the calling process) and /proc/meminfo.
    public static func read(pid: Int32) throws -> MountTable {
        let text = try ProcFile.read(ProcFile.path(pid: pid, "mountinfo"))
        return parse(mountinfo: text, defaultHugePageSize: defaultHugePageSize())
    }

    /// The hugetlbfs mount a path lies on: the longest mount point that is the path or a
    /// prefix of it at a "/" boundary, of any file system, must be a hugetlbfs one; on equal
    /// mount points the later line wins (it is mounted on top). A " (deleted)" suffix, as maps
    /// shows it, is ignored. Not modelled: a later mount over a parent directory that hides
    /// a deeper hugetlbfs mount (that needs the tree of parent ids).
    public func hugetlbfsMount(containing path: String) -> HugetlbfsMount? {
        let path = path.hasSuffix(Self.deletedSuffix) ? String(path.dropLast(Self.deletedSuffix.count)) : path
        var best: (length: Int, line: Int, index: Int?)?
        func consider(_ mountPoint: String, line: Int, index: Int?) {
            guard Self.contains(mountPoint, path) else { return }
            let length = mountPoint == "/" ? 0 : mountPoint.utf8.count
            if let current = best, current.length > length || (current.length == length && current.line > line) {
                return
            }
            best = (length, line, index)
        }
        for (index, mount) in hugetlbfs.enumerated() {
            consider(mount.mountPoint, line: hugetlbfsLines[index], index: index)
        }
        guard best != nil else { return nil }
        for other in otherMountPoints { consider(other.path, line: other.line, index: nil) }
        return best?.index.map { hugetlbfs[$0] }
    }

    /// The default huge page size in bytes (/proc/meminfo "Hugepagesize:"); 2 MiB, the x86-64
    /// default, when the kernel has no hugetlb support or the file cannot be read.
    public static func defaultHugePageSize() -> UInt64 {
        guard let text = try? ProcFile.read("/proc/meminfo") else { return 2 << 20 }
        for line in text.split(separator: "\n") where line.hasPrefix("Hugepagesize:") {
            let words = line.split(separator: " ")
            if words.count >= 2, let kilobytes = UInt64(words[1]) { return kilobytes * 1024 }
        }
        return 2 << 20
    }

    static let deletedSuffix = " (deleted)"

    /// Whether `path` is `mountPoint` or lies below it.
    static func contains(_ mountPoint: String, _ path: String) -> Bool {
        if mountPoint == "/" { return path.hasPrefix("/") }
        return path == mountPoint || path.hasPrefix(mountPoint + "/")
    }

    /// A hugetlbfs mount from its super options. hugetlbfs_show_options (fs/hugetlbfs/inode.c)
    /// prints pagesize= with a K or M suffix ("2M", "1024M") and size=, min_size= in bytes; the
    /// K/M/G/T suffixes of memparse are accepted everywhere. A percentage (a mount option, never
    /// printed back) cannot be resolved without the pool size and is left nil.
    static func mount(at mountPoint: String, options: String, defaultHugePageSize: UInt64) -> HugetlbfsMount {
        var mount = HugetlbfsMount(mountPoint: mountPoint, pageSize: defaultHugePageSize, options: options)
        for option in options.split(separator: ",") {
            let parts = option.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parseSize(parts[1])
            switch parts[0] {
            case "pagesize": if let value, value > 0 { mount.pageSize = value }
            case "size": mount.sizeLimit = value
            case "min_size": mount.minSize = value
            case "nr_inodes": mount.inodeLimit = value
            default: break
            }
        }
        return mount
    }

    /// "8388608", "2M", "1G", "512k" → bytes (or a plain count for nr_inodes); nil for "50%".
    static func parseSize(_ text: Substring) -> UInt64? {
        guard let last = text.last else { return nil }
        let shifts: [Character: UInt64] = ["k": 10, "K": 10, "m": 20, "M": 20, "g": 30, "G": 30, "t": 40, "T": 40]
        if let shift = shifts[last] {
            guard let number = UInt64(text.dropLast()) else { return nil }
            let (bytes, overflow) = number.multipliedReportingOverflow(by: 1 << shift)
            return overflow ? nil : bytes
        }
        return UInt64(text)
    }

    /// Decodes mountinfo's octal escapes ("\040" → " ").
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count, let value = octal(utf8[(i + 1)...(i + 3)]) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var value: UInt32 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + UInt32(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
