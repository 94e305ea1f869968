/// `maptrace check`: whether this machine lets a hugetlb user map its pages, before anything runs.
///
/// It reads the system once (optionally one process's limits) and predicts whether a process
/// that maps every available huge page with one mapping each — DPDK's legacy memory init —
/// stays under vm.max_map_count, and lists each problem with its value, its threshold and a
/// command to paste.
public struct Preflight: Codable, Sendable, Equatable {
    public var passed: Bool
    public var problems: [PreflightProblem]
    /// Facts worth knowing that do not stop a run.
    public var notes: [String]
    /// One prediction per huge page size with available pages.
    public var predictions: [MapCountPrediction]
    /// Everything read, for the listing and `--json`.
    public var snapshot: Snapshot

    /// Areas a dataplane process has before it maps huge pages (binary, libraries, stacks, heap).
    public static let baselineAreas = 40

    /// Reads the system (and the limits of `pid`, if given) and checks it.
    public static func run(pid: Int32? = nil) -> Preflight {
        check(pid.map { Snapshot.read(pid: $0) } ?? Snapshot.readSystem())
    }

    /// Checks a snapshot; pure.
    public static func check(_ snapshot: Snapshot) -> Preflight {
        var problems: [PreflightProblem] = []
        var notes: [String] = []
        var predictions: [MapCountPrediction] = []
        let baseline = snapshot.process?.mapCount ?? baselineAreas
        let max = snapshot.maxMapCount
        let available = snapshot.pools.filter { $0.unreserved > 0 }

        if snapshot.pools.allSatisfy({ $0.total == 0 }) {
            let size = snapshot.defaultHugePageSize ?? 2 << 20
            problems.append(PreflightProblem(
                cause: .hugepagePool, summary: "no huge pages: vm.nr_hugepages [0] (every pool is empty)",
                value: 0, threshold: 1,
                fix: [FixCommand(.runtime, FixText.setPool(1024, pageSize: size), note: "1024 pages of \(Quantity.bytes(size))")]))
        }
        if available.isEmpty, let busiest = snapshot.pools.max(by: { $0.total < $1.total }), busiest.total > 0 {
            problems.append(PreflightProblem(
                cause: .hugepagePool,
                summary: "no free huge pages: of \(busiest.total) \(Quantity.bytes(busiest.pageSize)) pages \(busiest.free) are free "
                    + "and \(busiest.reserved) of those reserved",
                value: busiest.unreserved, threshold: 1,
                fix: [FixCommand(.runtime, FixText.setPool(2 * busiest.total, pageSize: busiest.pageSize),
                                 note: "doubles the pool; or stop what holds the pages")]))
        }
        for pool in available {
            guard let max else { break }
            let prediction = MapCountPrediction(pageSize: pool.pageSize, pages: pool.unreserved, baseline: baseline,
                                                maxMapCount: max)
            predictions.append(prediction)
            if !prediction.passes {
                let recommended = MapCountSizing.generous(Swift.max(2 * pool.total + baseline, prediction.needed))
                let setBy = snapshot.sysctlFile(for: "vm.max_map_count").flatMap { Int($0.value) == max ? $0 : nil }
                problems.append(PreflightProblem(
                    cause: .maxMapCount,
                    summary: "vm.max_map_count [\(max)] is too low: mapping the \(pool.unreserved) available "
                        + "\(Quantity.bytes(pool.pageSize)) pages one mapping each needs \(baseline) + \(pool.unreserved) "
                        + "= \(prediction.needed) areas" + (setBy.map { " (set by \($0.file):\($0.line))" } ?? ""),
                    value: max, threshold: prediction.needed,
                    fix: FixText.sysctl("vm.max_map_count", String(recommended), setBy: setBy,
                                        note: "twice the pool plus baseline: \(2 * pool.total + baseline)")))
            } else if prediction.twice > max {
                notes.append("mapping the \(Quantity.bytes(pool.pageSize)) pages twice, as DPDK's legacy init does, "
                    + "needs \(prediction.twice) areas > vm.max_map_count \(max)")
            }
        }
        problems += staleFileProblems(snapshot)
        problems += mountProblems(snapshot, available: available)
        problems += cgroupProblems(snapshot)
        problems += limitProblems(snapshot)
        notes += otherNotes(snapshot)
        return Preflight(passed: problems.isEmpty, problems: problems, notes: notes, predictions: predictions,
                         snapshot: snapshot)
    }

    static func staleFileProblems(_ snapshot: Snapshot) -> [PreflightProblem] {
        snapshot.pools.compactMap { pool in
            let stale = snapshot.staleFiles.filter { $0.pageSize == pool.pageSize && $0.allocatedBytes > 0 }
            guard !stale.isEmpty else { return nil }
            let pages = stale.reduce(0) { $0 + $1.pages }
            return PreflightProblem(
                cause: .hugepagePool,
                summary: "\(stale.count) stale hugetlbfs files that no process maps pin \(pages) of \(pool.total) "
                    + "\(Quantity.bytes(pool.pageSize)) pages (\(stale.first!.path)\(stale.count > 1 ? ", …" : ""))",
                value: pages, threshold: 0,
                fix: [FixCommand(.runtime, "rm -f " + StaleFileList.shellPattern(stale, mounts: snapshot.mounts),
                                 note: "frees \(pages) pages")])
        }
    }

    static func mountProblems(_ snapshot: Snapshot, available: [HugePagePool]) -> [PreflightProblem] {
        var problems: [PreflightProblem] = []
        for pool in available where !snapshot.mounts.contains(where: { $0.pageSize == pool.pageSize }) {
            let size = Quantity.mountSize(pool.pageSize)
            let point = pool.pageSize == snapshot.defaultHugePageSize ? "/dev/hugepages" : "/dev/hugepages\(size)"
            problems.append(PreflightProblem(
                cause: .hugetlbfsSize,
                summary: "no hugetlbfs mount for \(Quantity.bytes(pool.pageSize)) pages: programs that create files "
                    + "(DPDK without --in-memory) cannot use the \(pool.unreserved) available",
                value: 0, threshold: 1,
                fix: [FixCommand(.runtime, "mkdir -p \(point) && mount -t hugetlbfs -o pagesize=\(size) nodev \(point)"),
                      FixCommand(.persistent, "fstab: nodev \(point) hugetlbfs pagesize=\(size) 0 0")]))
        }
        for mount in snapshot.mounts {
            guard let pool = available.first(where: { $0.pageSize == mount.pageSize }) else { continue }
            if let statfs = mount.statfs, statfs.hasSizeLimit, statfs.blocksFree < Int64(pool.unreserved) {
                problems.append(PreflightProblem(
                    cause: .hugetlbfsSize,
                    summary: "hugetlbfs size= on \(mount.mountPoint) [\(statfs.blocks) pages] leaves \(statfs.blocksFree) "
                        + "free, fewer than the \(pool.unreserved) available in the pool",
                    value: Int(statfs.blocksFree), threshold: pool.unreserved,
                    fix: HugetlbfsSizeRule.fix(mount: mount, statfs: statfs, deficit: pool.unreserved - Int(statfs.blocksFree))))
            }
            if let limit = mount.mount.inodeLimit.map({ Int(clamping: $0) }), limit < mount.inodesUsed + pool.unreserved {
                let wanted = mount.inodesUsed + pool.unreserved
                let options = HugetlbfsSizeRule.mountOptions(mount, replacing: "nr_inodes", with: String(2 * wanted))
                problems.append(PreflightProblem(
                    cause: .hugetlbfsInodes,
                    summary: "hugetlbfs nr_inodes= on \(mount.mountPoint) [\(limit)] is too low for one file per page: "
                        + "\(mount.inodesUsed) used + \(pool.unreserved) pages = \(wanted)",
                    value: limit, threshold: wanted,
                    fix: [FixCommand(.runtime, "umount \(mount.mountPoint) && mount -t hugetlbfs -o \(options) nodev \(mount.mountPoint)")]))
            }
        }
        return problems
    }

    static func cgroupProblems(_ snapshot: Snapshot) -> [PreflightProblem] {
        var problems: [PreflightProblem] = []
        for pool in snapshot.pools where pool.unreserved > 0 {
            let bytes = UInt64(pool.unreserved) * pool.pageSize
            for level in snapshot.cgroups {
                guard let limit = level.limit(pageSize: pool.pageSize) else { continue }
                for (file, value, used) in [("rsvd.max", limit.reservedMax, limit.reservedCurrent), ("max", limit.max, limit.current)] {
                    guard let value, (used ?? 0) + bytes > value else { continue }
                    let path = "\(level.directory)/hugetlb.\(limit.sizeName).\(file)"
                    problems.append(PreflightProblem(
                        cause: .hugetlbCgroup,
                        summary: "cgroup \(level.path) hugetlb.\(limit.sizeName).\(file) [\(Quantity.bytes(value))] is below "
                            + "the \(Quantity.bytes(bytes)) of available \(Quantity.bytes(pool.pageSize)) pages",
                        value: Quantity.int(value), threshold: Quantity.int((used ?? 0) + bytes),
                        fix: [FixCommand(.runtime, "echo \(level.version == 1 ? "-1" : "max") > \(path)")]))
                }
            }
        }
        return problems
    }

    static func limitProblems(_ snapshot: Snapshot) -> [PreflightProblem] {
        guard let process = snapshot.process, let soft = process.addressSpaceLimit?.soft else { return [] }
        let poolBytes = snapshot.pools.reduce(UInt64(0)) { $0 + UInt64($1.unreserved) * $1.pageSize }
        let needed = process.vmSize + poolBytes
        guard needed > soft else { return [] }
        return [PreflightProblem(
            cause: .rlimitAS,
            summary: "RLIMIT_AS of pid \(process.pid) [\(Quantity.bytes(soft))] is below VmSize "
                + "\(Quantity.bytes(process.vmSize)) + the \(Quantity.bytes(poolBytes)) of available huge pages",
            value: Quantity.int(soft), threshold: Quantity.int(needed),
            fix: RlimitFix.commands(process: process, limit: process.addressSpaceLimit ?? .unlimited, prlimit: "as",
                                    ulimit: "-v", systemd: "LimitAS", limitsConf: "as"))]
    }

    static func otherNotes(_ snapshot: Snapshot) -> [String] {
        var notes: [String] = []
        if let max = snapshot.maxMapCount, max < MapCountSizing.kernelDefault {
            let setter = snapshot.sysctlFile(for: "vm.max_map_count").map { " by \($0.file)" } ?? " at runtime"
            notes.append("vm.max_map_count \(max) is below the kernel default \(MapCountSizing.kernelDefault) (set\(setter)); "
                + "it applies to every process on the host")
        }
        for pool in snapshot.pools where pool.reserved > 0 {
            notes.append("\(pool.reserved) \(Quantity.bytes(pool.pageSize)) pages are reserved but not yet used")
        }
        if let overcommit = snapshot.overcommit, overcommit.mode == 2 {
            notes.append("vm.overcommit_memory = 2 (strict): CommitLimit \(Quantity.bytes(overcommit.commitLimit)), "
                + "Committed_AS \(Quantity.bytes(overcommit.committed)); huge pages are not charged to it")
        }
        return notes
    }

    /// The listing and the numbered problems.
    public var text: String { PreflightText.render(self) }
}

/// One thing that would stop a hugetlb user, with the value found and the threshold it must meet.
public struct PreflightProblem: Codable, Sendable, Equatable {
    public var cause: Cause
    public var summary: String
    public var value: Int
    public var threshold: Int
    public var fix: [FixCommand]

    public init(cause: Cause, summary: String, value: Int, threshold: Int, fix: [FixCommand]) {
        self.cause = cause
        self.summary = summary
        self.value = value
        self.threshold = threshold
        self.fix = fix
    }
}

/// Whether mapping `pages` huge pages one mapping each, on top of `baseline` areas, stays within
/// vm.max_map_count (mmap refuses a new area once the count is above the limit).
public struct MapCountPrediction: Codable, Sendable, Equatable {
    public var pageSize: UInt64
    public var pages: Int
    public var baseline: Int
    public var maxMapCount: Int
    /// Areas the process ends up with, and with every page mapped twice (DPDK's legacy init maps
    /// each page a second time before it unmaps the first copies).
    public var needed: Int
    public var twice: Int
    public var passes: Bool

    public init(pageSize: UInt64, pages: Int, baseline: Int, maxMapCount: Int) {
        self.pageSize = pageSize
        self.pages = pages
        self.baseline = baseline
        self.maxMapCount = maxMapCount
        needed = baseline + pages
        twice = baseline + 2 * pages
        passes = needed <= maxMapCount
    }
}
