/// Reads the hugetlb controller files of a process's cgroup and of every ancestor, for cgroup v2
/// and, when mounted, the v1 hugetlb hierarchy.
enum CgroupReader {
    /// Mount points of the cgroup2 hierarchy and of the v1 hierarchy carrying `hugetlb`,
    /// from mountinfo (on hybrid systems cgroup2 sits at /sys/fs/cgroup/unified).
    struct Mounts: Equatable {
        var v2: String?
        var v1Hugetlb: String?
    }

    static func mounts(mountinfo: String) -> Mounts {
        var found = Mounts()
        for line in mountinfo.split(separator: "\n") {
            // id parent dev root mountpoint options [optional…] - fstype source superoptions
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash >= 5 else { continue }
            let left = fields[..<dash]
            let right = Array(fields[(dash + 1)...])
            guard !right.isEmpty else { continue }
            let mountPoint = MountTable.unescape(left[4])
            if right[0] == "cgroup2", found.v2 == nil { found.v2 = mountPoint }
            if right[0] == "cgroup", right.count >= 3,
               right[2].split(separator: ",").contains("hugetlb"), found.v1Hugetlb == nil {
                found.v1Hugetlb = mountPoint
            }
        }
        return found
    }

    /// (v2 path, v1 hugetlb path) from /proc/PID/cgroup.
    static func paths(procCgroup: String) -> (v2: String?, v1Hugetlb: String?) {
        var v2: String?
        var v1: String?
        for line in procCgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { v2 = String(parts[2]) }
            if parts[1].split(separator: ",").contains("hugetlb") { v1 = String(parts[2]) }
        }
        return (v2, v1)
    }

    /// "/a/b" → ["/a/b", "/a", "/"].
    static func ancestry(_ path: String) -> [String] {
        var levels: [String] = []
        var parts = path.split(separator: "/").map(String.init)
        while !parts.isEmpty {
            levels.append("/" + parts.joined(separator: "/"))
            parts.removeLast()
        }
        levels.append("/")
        return levels
    }

    /// The name hugetlb_cgroup gives a page size in its file names (mm/hugetlb_cgroup.c mem_fmt).
    static func sizeName(_ pageSize: UInt64) -> String {
        if pageSize >= 1 << 30 { return "\(pageSize >> 30)GB" }
        if pageSize >= 1 << 20 { return "\(pageSize >> 20)MB" }
        return "\(pageSize >> 10)KB"
    }

    /// `procCgroup`: /proc/PID/cgroup as read earlier, for a process that has gone since.
    static func read(pid: Int32?, procCgroup text: String? = nil, pageSizes: [UInt64]) -> [CgroupHugetlb] {
        let who = pid.map { String($0) } ?? "self"
        guard let procCgroup = text ?? ProcText.read("/proc/\(who)/cgroup"),
              let mountinfo = ProcText.read("/proc/self/mountinfo") else { return [] }
        let mounts = mounts(mountinfo: mountinfo)
        let paths = paths(procCgroup: procCgroup)
        var result: [CgroupHugetlb] = []
        if let root = mounts.v2, let path = paths.v2 {
            result += ancestry(path).map { level in
                let directory = root + (level == "/" ? "" : level)
                return CgroupHugetlb(path: level, directory: directory, version: 2,
                                     limits: pageSizes.compactMap { v2Limit(directory: directory, pageSize: $0) })
            }
        }
        if let root = mounts.v1Hugetlb, let path = paths.v1Hugetlb {
            result += ancestry(path).map { level in
                let directory = root + (level == "/" ? "" : level)
                return CgroupHugetlb(path: level, directory: directory, version: 1,
                                     limits: pageSizes.compactMap { v1Limit(directory: directory, pageSize: $0) })
            }
        }
        return result
    }

    private static func v2Limit(directory: String, pageSize: UInt64) -> CgroupHugetlbLimit? {
        let base = "\(directory)/hugetlb.\(sizeName(pageSize))"
        guard let max = ProcText.value(base + ".max") else { return nil }
        let events = ProcText.read(base + ".events").map(ProcText.spacedFields)
        return CgroupHugetlbLimit(
            pageSize: pageSize, sizeName: sizeName(pageSize), max: limit(max),
            current: ProcText.uint64(base + ".current"),
            reservedMax: ProcText.value(base + ".rsvd.max").flatMap(limit),
            reservedCurrent: ProcText.uint64(base + ".rsvd.current"),
            maxEvents: events?["max"].flatMap { Int($0) })
    }

    private static func v1Limit(directory: String, pageSize: UInt64) -> CgroupHugetlbLimit? {
        let base = "\(directory)/hugetlb.\(sizeName(pageSize))"
        guard let max = ProcText.value(base + ".limit_in_bytes") else { return nil }
        return CgroupHugetlbLimit(
            pageSize: pageSize, sizeName: sizeName(pageSize), max: limit(max),
            current: ProcText.uint64(base + ".usage_in_bytes"),
            reservedMax: ProcText.value(base + ".rsvd.limit_in_bytes").flatMap(limit),
            reservedCurrent: ProcText.uint64(base + ".rsvd.usage_in_bytes"),
            maxEvents: ProcText.int(base + ".failcnt"))
    }

    /// "max", or the page-counter maximum a never-set limit reads back as
    /// (9223372036854771712 = PAGE_COUNTER_MAX × PAGE_SIZE), is unlimited.
    /// A value that is not a number is read as unlimited too: the limit cannot be shown.
    static func limit(_ text: String) -> UInt64? {
        guard let value = UInt64(text) else { return nil }
        return value >= 1 << 62 ? nil : value
    }
}

extension ProcText {
    /// "key value" lines (cgroup events files).
    static func spacedFields(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }
}
