/// One memory map area, as /proc/PID/maps shows it.
public struct Mapping: Equatable, Sendable, Codable {
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
    /// VM_ACCOUNT: private memory charged to overcommit because it was writable when mapped or
    /// made writable later; it stays charged after an mprotect to read-only, and the kernel never
    /// merges a charged area with an uncharged one (the RELRO page after ld.so's mprotect).
    /// nil when unknown (read from /proc, which does not show it): then it stops no merge.
    public var accounted: Bool?

    public init(start: UInt64, end: UInt64, prot: UInt32, shared: Bool, offset: UInt64 = 0,
                path: String? = nil, hugePageSize: UInt64? = nil, accounted: Bool? = nil) {
        self.start = start
        self.end = end
        self.prot = prot
        self.shared = shared
        self.offset = offset
        self.path = path
        self.hugePageSize = hugePageSize
        self.accounted = accounted
    }

    /// Size in bytes.
    public var length: UInt64 { end - start }

    /// True for hugetlb memory.
    public var isHugetlb: Bool { hugePageSize != nil }

    /// The unit the kernel rounds and splits this mapping by: the huge page size or 4096.
    var granule: UInt64 { hugePageSize ?? Page.size }
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

    /// Whether the kernel would merge `left` and `right` into one area when an operation
    /// brings them together (mm/vma.c is_mergeable_vma, can_vma_merge_before/after).
    ///
    /// What maps shows is compared: same protection, same shared/private, same name, and for
    /// file-backed or shared memory contiguous file offsets. Private anonymous memory (no path,
    /// or an anonymous name such as "[heap]" or "[anon:x]") shows offset 0, and the kernel's
    /// page offset for it follows the address, so it is not compared. hugetlb areas never
    /// merge: hugetlbfs sets VM_DONTEXPAND, which is in VM_SPECIAL (CAUSES.md E7).
    ///
    /// Where the model can drift (the tracer re-syncs from /proc at intervals):
    /// - flags maps does not show can stop a merge: VM_NORESERVE (MAP_NORESERVE),
    ///   VM_NOHUGEPAGE (MAP_STACK since 6.7, madvise), VM_LOCKED, VM_ACCOUNT differences,
    ///   userfaultfd contexts, NUMA policies, soft-dirty state;
    /// - two faulted anonymous areas with different anon_vmas (for instance after fork,
    ///   or after an mremap move) do not merge in the kernel; the model merges them when
    ///   an mprotect makes them equal;
    /// - an anonymous private mapping placed right after "[heap]" merges with the heap in
    ///   the kernel and is then shown as part of "[heap]"; the model keeps them apart;
    /// - stack guard gaps and stack growth are not modelled (the stack grows without a call).
    static func canMerge(_ left: Mapping, _ right: Mapping) -> Bool {
        guard left.end == right.start, !left.isHugetlb, !right.isHugetlb,
              left.prot == right.prot, left.shared == right.shared, left.path == right.path
        else { return false }
        if let a = left.accounted, let b = right.accounted, a != b { return false }
        if let path = left.path, unmergeableNames.contains(path) { return false }
        if left.isPrivateAnonymous { return true }
        return left.offset &+ left.length == right.offset
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
