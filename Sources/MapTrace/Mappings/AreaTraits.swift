/// The vm_flags bits that decide merges and that /proc/PID/maps does not show (smaps'
/// "VmFlags:" line does). Two areas merge only when these are equal.
public struct VMFlags: OptionSet, Sendable, Codable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// VM_ACCOUNT: private writable memory charged to overcommit; it stays set after an
    /// mprotect to read-only.
    public static let account = VMFlags(rawValue: 1 << 0)
    public static let noReserve = VMFlags(rawValue: 1 << 1)
    public static let locked = VMFlags(rawValue: 1 << 2)
    public static let lockOnFault = VMFlags(rawValue: 1 << 3)
    public static let dontCopy = VMFlags(rawValue: 1 << 4)
    public static let wipeOnFork = VMFlags(rawValue: 1 << 5)
    public static let dontDump = VMFlags(rawValue: 1 << 6)
    public static let hugePage = VMFlags(rawValue: 1 << 7)
    public static let noHugePage = VMFlags(rawValue: 1 << 8)
    public static let mergeable = VMFlags(rawValue: 1 << 9)
    public static let randRead = VMFlags(rawValue: 1 << 10)
    public static let seqRead = VMFlags(rawValue: 1 << 11)
    public static let sealed = VMFlags(rawValue: 1 << 12)
    public static let growsDown = VMFlags(rawValue: 1 << 13)
    public static let droppable = VMFlags(rawValue: 1 << 14)
    /// VM_SPECIAL (VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP): never merged, never mlocked.
    public static let special = VMFlags(rawValue: 1 << 15)

    public static let lockMask: VMFlags = [.locked, .lockOnFault]

    /// smaps' two-letter mnemonics (fs/proc/task_mmu.c show_smap_vma_flags) for the bits above.
    static let smapsNames: [(String, VMFlags)] = [
        ("ac", .account), ("nr", .noReserve), ("lo", .locked), ("lf", .lockOnFault), ("dc", .dontCopy),
        ("wf", .wipeOnFork), ("dd", .dontDump), ("hg", .hugePage), ("nh", .noHugePage), ("mg", .mergeable),
        ("rr", .randRead), ("sr", .seqRead), ("sl", .sealed), ("gd", .growsDown), ("dp", .droppable),
        ("io", .special), ("de", .special), ("pf", .special), ("mm", .special),
    ]

    /// The bits of an smaps "VmFlags:" value ("rd wr mr mw me ac").
    init(smaps text: Substring) {
        var flags: VMFlags = []
        for word in text.split(separator: " ") {
            if let bit = VMFlags.smapsNames.first(where: { $0.0 == word })?.1 { flags.insert(bit) }
        }
        self = flags
    }
}

/// What the model knows of an area beyond what maps shows: the state the kernel's merge test
/// reads. Areas split from one area share a `lineage`; a new mmap gets a new one.
public struct AreaTraits: Sendable, Codable, Equatable {
    public var flags: VMFlags
    /// The protection key (pkey_mprotect); 0 is the default key.
    public var pkey: UInt32 = 0
    /// The NUMA policy set by mbind, as text; nil for the default (no policy of its own).
    public var policy: String?
    /// Identity of the area's anon_vma (private memory) or of its file (shmem, SysV): pieces of
    /// one area share it, so they merge again; areas with different lineages may not.
    public var lineage: UInt32
    /// The anon_vma chain may have more than one link (the area came through a fork, or its
    /// history is unknown): the kernel then merges it with a new area only if its anon_vma is unset.
    public var inherited = false
    /// Private memory whose page offset no longer follows its address (moved by mremap once it
    /// had pages): it merges with neighbours only if the offsets happen to line up.
    public var shifted = false
    /// Private anonymous memory the model saw an mmap make and has followed since: never moved,
    /// never re-read from the kernel, not from before a fork. Its page offset follows its
    /// address and its anon_vma chain (if it has an anon_vma) is single, so a new area merges
    /// with it whenever the rest agrees (see `Mapping.newAreaVerdict`).
    public var plain = false
    /// The model lost track of this area's flags (a call that stopped half way, an mprotect
    /// whose VM_ACCOUNT outcome depends on pages): every merge decision about it is unsure.
    public var uncertain = false

    public init(flags: VMFlags, lineage: UInt32, pkey: UInt32 = 0, policy: String? = nil) {
        self.flags = flags
        self.lineage = lineage
        self.pkey = pkey
        self.policy = policy
    }
}

/// The kernel's answer to "do these two areas merge?", as far as the model can tell. When it
/// cannot tell, the likelier answer: `unsure` merges, `unsureApart` keeps them apart.
enum MergeVerdict { case apart, merge, unsure, unsureApart }
