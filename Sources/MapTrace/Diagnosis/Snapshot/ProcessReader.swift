#if canImport(Glibc)
import Glibc
#endif

/// What /proc/PID says about one process.
enum ProcessReader {
    static func read(pid: Int32, failure: Failure?, mounts: [HugetlbfsMount],
                     defaultHugePageSize: UInt64?) -> ProcessState? {
        guard let statusText = ProcText.read("/proc/\(pid)/status") else { return nil }
        let status = ProcText.fields(statusText)
        let mapsText = ProcText.read("/proc/\(pid)/maps") ?? ""
        let table = MountTable(hugetlbfs: mounts, defaultHugePageSize: defaultHugePageSize ?? 2 << 20)
        let areas = MapsFile.parse(mapsText, mounts: table)
        let limits = ProcText.read("/proc/\(pid)/limits").map(ProcText.limits) ?? [:]
        let cgroups = ProcText.read("/proc/\(pid)/cgroup").map(CgroupReader.paths(procCgroup:))
        // Gid: real, effective, saved, filesystem; in_group_p tests fsgid and the supplementary groups.
        let gidFields = (status["Gid"] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
        let groups = (status["Groups"] ?? "").split(separator: " ").compactMap { Int($0) }
        let focus = failure.map(MemoryRequest.focusRanges(of:)) ?? []
        var view = AddressSpaceLayout.view(of: areas, around: focus)
        // smaps is about twenty times larger than maps: read it only where its flags decide
        // (a SIGBUS needs "nr", an EPERM "sl").
        if let failure, failure.isFault || failure.errno == ErrorNumber.EPERM,
           let address = focus.first?.start, let area = view.area(containing: address) {
            view.focusFlags = SmapsFlags.read(pid: pid, areaStart: area.start)
            if let path = area.path, path.hasPrefix("/") {
                var info = stat()
                if stat(path, &info) == 0 { view.focusFileSize = UInt64(info.st_size) }
            }
        }
        return ProcessState(
            pid: pid,
            comm: ProcText.value("/proc/\(pid)/comm") ?? status["Name"] ?? "",
            mapCount: MapsFile.kernelCount(mapsText),
            vmSize: ProcText.kilobytes(status["VmSize"]) ?? 0,
            vmData: ProcText.kilobytes(status["VmData"]) ?? 0,
            vmLocked: ProcText.kilobytes(status["VmLck"]) ?? 0,
            hugetlbPages: ProcText.kilobytes(status["HugetlbPages"]) ?? 0,
            memsAllowed: ProcText.list(status["Mems_allowed_list"] ?? ""),
            capEff: UInt64(status["CapEff"] ?? "", radix: 16) ?? 0,
            gids: Array(Set((gidFields.count == 4 ? [gidFields[3]] : gidFields) + groups)).sorted(),
            addressSpaceLimit: limits["Max address space"],
            dataLimit: limits["Max data size"],
            memlockLimit: limits["Max locked memory"],
            cgroupPath: cgroups?.v2,
            cgroupV1HugetlbPath: cgroups?.v1Hugetlb,
            addressSpace: view)
    }
}

/// Chooses the areas a snapshot keeps and measures the free gaps.
enum AddressSpaceLayout {
    /// mmap_min_addr's usual value; the lowest address mmap hands out.
    static let lowestAddress: UInt64 = 0x10000

    /// The areas overlapping each focus range plus one neighbour on each side, [heap] and
    /// [stack], and the largest gap below TASK_SIZE.
    static func view(of areas: [Mapping], around focus: [(start: UInt64, end: UInt64)]) -> AddressSpaceView {
        var keep = Set<Int>()
        for (index, area) in areas.enumerated() where area.path == "[heap]" || area.path == "[stack]" {
            keep.insert(index)
        }
        for range in focus {
            // First area ending after the range's start; areas are sorted.
            var low = 0, high = areas.count
            while low < high {
                let mid = (low + high) / 2
                if areas[mid].end <= range.start { low = mid + 1 } else { high = mid }
            }
            if low > 0 { keep.insert(low - 1) }
            var index = low
            while index < areas.count, areas[index].start < range.end {
                keep.insert(index)
                index += 1
            }
            if index < areas.count { keep.insert(index) }
        }
        var largest: UInt64 = 0
        var largestStart: UInt64 = lowestAddress
        var previousEnd = lowestAddress
        for area in areas where area.start < AddressSpaceRule.taskSize {
            if area.start > previousEnd, area.start - previousEnd > largest {
                largest = area.start - previousEnd
                largestStart = previousEnd
            }
            previousEnd = max(previousEnd, area.end)
        }
        if AddressSpaceRule.taskSize > previousEnd, AddressSpaceRule.taskSize - previousEnd > largest {
            largest = AddressSpaceRule.taskSize - previousEnd
            largestStart = previousEnd
        }
        return AddressSpaceView(areas: keep.sorted().map { areas[$0] }, largestGap: areas.isEmpty ? nil : largest,
                                largestGapStart: areas.isEmpty ? nil : largestStart)
    }
}

/// The VmFlags line of one area in /proc/PID/smaps.
enum SmapsFlags {
    static func read(pid: Int32, areaStart: UInt64) -> [String]? {
        guard let text = ProcText.read("/proc/\(pid)/smaps") else { return nil }
        let header = String(areaStart, radix: 16) + "-"
        var inArea = false
        // VmFlags ends each area's block, so the first one after the header is the area's own.
        for line in text.split(separator: "\n") {
            if line.hasPrefix(header) {
                inArea = true
            } else if inArea, line.hasPrefix("VmFlags:") {
                return line.dropFirst("VmFlags:".count).split(separator: " ").map(String.init)
            }
        }
        return nil
    }
}
