// Flag tables of the memory calls (x86_64 values, include/uapi/asm-generic/mman*.h), in strace's order.

let protFlags = FlagTable([
    (0x1, "PROT_READ"), (0x2, "PROT_WRITE"), (0x4, "PROT_EXEC"), (0x8, "PROT_SEM"),
    (0x0100_0000, "PROT_GROWSDOWN"), (0x0200_0000, "PROT_GROWSUP"),
])

let mapTypes = FlagTable([(0x1, "MAP_SHARED"), (0x2, "MAP_PRIVATE"), (0x3, "MAP_SHARED_VALIDATE")])

let mapFlags = FlagTable([
    (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x40, "MAP_32BIT"), (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"), (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"), (0x40000, "MAP_HUGETLB"), (0x80000, "MAP_SYNC"),
    (0x100000, "MAP_FIXED_NOREPLACE"), (0x400_0000, "MAP_UNINITIALIZED"),
])

let mremapFlags = FlagTable([(0x1, "MREMAP_MAYMOVE"), (0x2, "MREMAP_FIXED"), (0x4, "MREMAP_DONTUNMAP")])

let madviseAdvice = FlagTable([
    (0, "MADV_NORMAL"), (1, "MADV_RANDOM"), (2, "MADV_SEQUENTIAL"), (3, "MADV_WILLNEED"),
    (4, "MADV_DONTNEED"), (8, "MADV_FREE"), (9, "MADV_REMOVE"), (10, "MADV_DONTFORK"),
    (11, "MADV_DOFORK"), (12, "MADV_MERGEABLE"), (13, "MADV_UNMERGEABLE"), (14, "MADV_HUGEPAGE"),
    (15, "MADV_NOHUGEPAGE"), (16, "MADV_DONTDUMP"), (17, "MADV_DODUMP"), (18, "MADV_WIPEONFORK"),
    (19, "MADV_KEEPONFORK"), (20, "MADV_COLD"), (21, "MADV_PAGEOUT"), (22, "MADV_POPULATE_READ"),
    (23, "MADV_POPULATE_WRITE"), (24, "MADV_DONTNEED_LOCKED"), (25, "MADV_COLLAPSE"),
    (100, "MADV_HWPOISON"), (101, "MADV_SOFT_OFFLINE"), (102, "MADV_GUARD_INSTALL"),
    (103, "MADV_GUARD_REMOVE"),
])

let mlock2Flags = FlagTable([(0x1, "MLOCK_ONFAULT")])
let mlockallFlags = FlagTable([(0x1, "MCL_CURRENT"), (0x2, "MCL_FUTURE"), (0x4, "MCL_ONFAULT")])

/// The huge page size bits of mmap, memfd_create and shmget: log2(size) << 26, read only
/// when the HUGETLB flag is set (include/uapi/asm-generic/hugetlb_encode.h).
let hugeSizeShift: UInt64 = 26
let hugeSizeMask: UInt64 = 0x3f << 26

/// MAP_SHARED|MAP_POPULATE|MAP_HUGETLB|21<<MAP_HUGE_SHIFT, as strace prints mmap flags.
func renderMapFlags(_ value: UInt64) -> String {
    let hugeBits = value & 0x40000 != 0 ? value & hugeSizeMask : 0
    let type = value & 0x3
    var parts: [String] = [mapTypes.name(of: type) ?? hex(type)]
    let rest = value & ~0x3 & ~hugeBits
    if rest != 0 { parts.append(mapFlags.render(rest)) }
    if hugeBits != 0 { parts.append("\(hugeBits >> hugeSizeShift)<<MAP_HUGE_SHIFT") }
    return parts.joined(separator: "|")
}

/// The huge page size a MAP_HUGETLB / MFD_HUGETLB / SHM_HUGETLB call asks for, if its size bits say.
func hugePageSize(fromFlags value: UInt64) -> UInt64? {
    let log2 = (value & hugeSizeMask) >> hugeSizeShift
    return log2 == 0 ? nil : 1 << log2
}
