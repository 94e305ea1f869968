/// One memory map area, as /proc/PID/maps shows it.
public struct Mapping: Sendable, Codable {
    /// First address (inclusive).
    public var start: UInt64
    /// One past the last address (exclusive).
    public var end: UInt64
    /// PROT_READ 1 | PROT_WRITE 2 | PROT_EXEC 4.
    public var prot: UInt32
    /// MAP_SHARED (maps shows 's'), else private ('p').
    public var shared: Bool
    /// File offset of `start`, in bytes (0 for private anonymous memory).
    public var offset: UInt64
    /// The path as maps shows it (may end " (deleted)"), a bracketed name such as "[heap]" or
    /// "[stack]", or nil for anonymous memory.
    public var path: String?
    /// The huge page size in bytes for hugetlb mappings (hugetlbfs files, MAP_HUGETLB,
    /// SHM_HUGETLB, MFD_HUGETLB); nil for normal pages.
    public var hugePageSize: UInt64?
    /// What the kernel compares before it merges two areas and maps does not show (vm_flags,
    /// protection key, NUMA policy, anon_vma identity); nil when unknown, as for an area read
    /// from /proc/PID/maps.
    public var traits: AreaTraits?
    public init(start: UInt64, end: UInt64, prot: UInt32, shared: Bool, offset: UInt64 = 0,
                path: String? = nil, hugePageSize: UInt64? = nil, traits: AreaTraits? = nil) {
        self.start = start
        self.end = end
        self.prot = prot
        self.shared = shared
        self.offset = offset
        self.path = path
        self.hugePageSize = hugePageSize
        self.traits = traits
    }

    /// Size in bytes.
    public var length: UInt64 { end - start }

    /// True for hugetlb memory.
    public var isHugetlb: Bool { hugePageSize != nil }

    /// The unit the kernel rounds and splits this mapping by: the huge page size or 4096.
    var granule: UInt64 { hugePageSize ?? Page.size }
}

extension Mapping: Equatable {
    /// Two areas are equal when /proc/PID/maps would show them alike; `traits` is model state.
    public static func == (a: Mapping, b: Mapping) -> Bool {
        a.start == b.start && a.end == b.end && a.prot == b.prot && a.shared == b.shared
            && a.offset == b.offset && a.path == b.path && a.hugePageSize == b.hugePageSize
    }
}

extension Mapping: CustomStringConvertible {
    /// The mapping in /proc/PID/maps notation, without device and inode.
    public var description: String {
        let perms = (prot & 1 != 0 ? "r" : "-") + (prot & 2 != 0 ? "w" : "-")
            + (prot & 4 != 0 ? "x" : "-") + (shared ? "s" : "p")
        var text = "\(String(start, radix: 16))-\(String(end, radix: 16)) \(perms) "
            + String(offset, radix: 16)
        if let path { text += " " + path }
        if let hugePageSize { text += " (hugetlb \(hugePageSize / 1024) kB)" }
        return text
    }
}

extension Mapping {
    /// Bracketed names of areas the kernel never merges with anything: the stack grows by
    /// itself (VM_GROWSDOWN), the others are special mappings installed by the kernel.
    static let unmergeableNames: Set<String> = [
        "[stack]", "[vdso]", "[vvar]", "[vvar_vclock]", "[vsyscall]", "[uprobes]", "[sigpage]",
    ]

    /// Whether the kernel merges `left` and `right` when an operation brings them together
    /// (mm/vma.c: is_mergeable_vma, is_mergeable_anon_vma, can_vma_merge_before/after).
    ///
    /// What the model sees settles `.apart`: different protection, sharing, name, flags,
    /// protection key or policy, file offsets out of line, hugetlb and special areas. Whether
    /// two alike areas really merge also depends on what no call shows: for private memory the
    /// anon_vma each piece took at its first page fault (and whether its chain is single, after
    /// a fork) and the page offset it kept through an mremap; for shared memory whether both use
    /// one open file. That is `.unsure`: the live tracer asks the kernel (see
    /// `AddressSpace.takeUnsure`), a replay widens the bounds of its count.
    static func verdict(_ left: Mapping, _ right: Mapping) -> MergeVerdict {
        guard left.end == right.start, !left.isHugetlb, !right.isHugetlb,
              left.prot == right.prot, left.shared == right.shared, left.path == right.path
        else { return .apart }
        if let path = left.path, unmergeableNames.contains(path) { return .apart }
        if !left.isPrivateAnonymous, left.offset &+ left.length != right.offset { return .apart }
        // moved private memory keeps the page offset of where it was once it has pages
        let moved = left.traits?.shifted == true || right.traits?.shifted == true
        guard let a = left.traits, let b = right.traits else { return moved ? .unsureApart : .unsure }
        if !a.uncertain && !b.uncertain {
            guard a.flags == b.flags, a.pkey == b.pkey, a.policy == b.policy else { return .apart }
            if a.flags.contains(.special) { return .apart }
            // shmem and SysV areas: one file per mmap or shmat
            if left.shared && left.isFileIdentityByLineage && a.lineage != b.lineage { return .apart }
        }
        if moved && !(a.shifted && b.shifted && a.lineage == b.lineage) { return .unsureApart }
        return .unsure
    }

    /// `verdict` for an area an mmap has just created (no page touched yet, so no anon_vma) and
    /// one neighbour. The kernel merges a new private anonymous area with an alike neighbour
    /// unless the neighbour's page offset is out of line (it was moved with its pages) or its
    /// anon_vma chain has more than one link (it came through a fork): is_mergeable_anon_vma
    /// and can_vma_merge_before/after in mm/vma.c. It never asks whether the neighbour has pages.
    /// So when both are `plain` and their traits are sure, the merge is certain and the kernel
    /// need not be asked. One neighbour only: joining the ones before and after as well needs
    /// their two anon_vmas to agree, which no call shows.
    static func newAreaVerdict(_ left: Mapping, _ right: Mapping) -> MergeVerdict {
        let verdict = verdict(left, right)
        guard verdict == .unsure, let a = left.traits, let b = right.traits,
              a.plain, b.plain, !a.uncertain, !b.uncertain, !a.inherited, !b.inherited, !a.shifted, !b.shifted
        else { return verdict }
        return .merge
    }

    /// Shared memory with no real file behind its path: /dev/zero (MAP_SHARED|MAP_ANONYMOUS),
    /// SysV segments, memfds. Two such areas are one file only if they come from one area.
    var isFileIdentityByLineage: Bool {
        guard let path else { return true }
        return path.hasPrefix("/dev/zero") || path.hasPrefix("/SYSV") || path.hasPrefix("/memfd:")
            || path.hasPrefix("[anon_shmem:")
    }

    /// Private memory with no file: no path, or a bracketed anonymous name ("[heap]", "[anon:x]").
    var isPrivateAnonymous: Bool {
        guard !shared else { return false }
        guard let path else { return true }
        return path.hasPrefix("[")
    }

    /// The part of this mapping in [from, to), with the file offset moved along.
    func clipped(from: UInt64, to: UInt64) -> Mapping {
        var piece = self
        piece.start = Swift.max(start, from)
        piece.end = Swift.min(end, to)
        if piece.start > start, !isPrivateAnonymous { piece.offset = offset &+ (piece.start - start) }
        return piece
    }
}

/// Page arithmetic with the saturation the kernel's range checks make unnecessary on success,
/// but which keeps the model safe from absurd arguments.
enum Page {
    /// The base page size on every architecture maptrace runs on.
    static let size: UInt64 = 4096
    /// The largest huge page size of x86_64 (1 GiB).
    static let largestHuge: UInt64 = 1 << 30

    /// `value` rounded up to a multiple of `unit`, saturating at the highest multiple.
    static func roundUp(_ value: UInt64, to unit: UInt64) -> UInt64 {
        let (sum, overflow) = value.addingReportingOverflow(unit - 1)
        if overflow { return UInt64.max / unit * unit }
        return sum / unit * unit
    }

    /// `value` rounded down to a multiple of `unit`.
    static func roundDown(_ value: UInt64, to unit: UInt64) -> UInt64 { value / unit * unit }

    /// `start + length`, saturating.
    static func end(_ start: UInt64, _ length: UInt64) -> UInt64 {
        let (sum, overflow) = start.addingReportingOverflow(length)
        return overflow ? UInt64.max : sum
    }
}
