// Flag tables of the memory calls (x86_64 values, include/uapi/asm-generic/mman*.h), in strace's order.

let protFlags = FlagTable([
    (CallBits.protRead, "PROT_READ"), (CallBits.protWrite, "PROT_WRITE"), (CallBits.protExec, "PROT_EXEC"),
    (CallBits.protSem, "PROT_SEM"), (CallBits.protGrowsDown, "PROT_GROWSDOWN"), (CallBits.protGrowsUp, "PROT_GROWSUP"),
])

let mapTypes = FlagTable([
    (CallBits.mapShared, "MAP_SHARED"), (CallBits.mapPrivate, "MAP_PRIVATE"),
    (CallBits.mapSharedValidate, "MAP_SHARED_VALIDATE"), (CallBits.mapDroppable, "MAP_DROPPABLE"),
])

let mapFlags = FlagTable([
    (CallBits.mapFixed, "MAP_FIXED"), (CallBits.mapAnonymous, "MAP_ANONYMOUS"), (CallBits.map32Bit, "MAP_32BIT"),
    (CallBits.mapGrowsDown, "MAP_GROWSDOWN"), (CallBits.mapDenyWrite, "MAP_DENYWRITE"),
    (CallBits.mapExecutable, "MAP_EXECUTABLE"), (CallBits.mapLocked, "MAP_LOCKED"),
    (CallBits.mapNoReserve, "MAP_NORESERVE"), (CallBits.mapPopulate, "MAP_POPULATE"),
    (CallBits.mapNonBlock, "MAP_NONBLOCK"), (CallBits.mapStack, "MAP_STACK"), (CallBits.mapHugetlb, "MAP_HUGETLB"),
    (CallBits.mapSync, "MAP_SYNC"), (CallBits.mapFixedNoReplace, "MAP_FIXED_NOREPLACE"),
    (CallBits.mapUninitialized, "MAP_UNINITIALIZED"),
])

let mremapFlags = FlagTable([
    (CallBits.mremapMayMove, "MREMAP_MAYMOVE"), (CallBits.mremapFixed, "MREMAP_FIXED"),
    (CallBits.mremapDontUnmap, "MREMAP_DONTUNMAP"),
])

let madviseAdvice = FlagTable([
    (Advice.normal, "MADV_NORMAL"), (Advice.random, "MADV_RANDOM"), (Advice.sequential, "MADV_SEQUENTIAL"),
    (Advice.willNeed, "MADV_WILLNEED"), (Advice.dontNeed, "MADV_DONTNEED"), (Advice.free, "MADV_FREE"),
    (Advice.remove, "MADV_REMOVE"), (Advice.dontFork, "MADV_DONTFORK"), (Advice.doFork, "MADV_DOFORK"),
    (Advice.mergeable, "MADV_MERGEABLE"), (Advice.unmergeable, "MADV_UNMERGEABLE"),
    (Advice.hugePage, "MADV_HUGEPAGE"), (Advice.noHugePage, "MADV_NOHUGEPAGE"), (Advice.dontDump, "MADV_DONTDUMP"),
    (Advice.doDump, "MADV_DODUMP"), (Advice.wipeOnFork, "MADV_WIPEONFORK"), (Advice.keepOnFork, "MADV_KEEPONFORK"),
    (Advice.cold, "MADV_COLD"), (Advice.pageOut, "MADV_PAGEOUT"), (Advice.populateRead, "MADV_POPULATE_READ"),
    (Advice.populateWrite, "MADV_POPULATE_WRITE"), (Advice.dontNeedLocked, "MADV_DONTNEED_LOCKED"),
    (Advice.collapse, "MADV_COLLAPSE"), (Advice.hwPoison, "MADV_HWPOISON"), (Advice.softOffline, "MADV_SOFT_OFFLINE"),
    (Advice.guardInstall, "MADV_GUARD_INSTALL"), (Advice.guardRemove, "MADV_GUARD_REMOVE"),
])

let mlock2Flags = FlagTable([(CallBits.mlockOnFault, "MLOCK_ONFAULT")])
let mlockallFlags = FlagTable([
    (CallBits.mclCurrent, "MCL_CURRENT"), (CallBits.mclFuture, "MCL_FUTURE"), (CallBits.mclOnFault, "MCL_ONFAULT"),
])

/// mbind's modes (MPOL_*), with the mode flags strace prints after them.
let mempolicyModes = FlagTable([
    (0, "MPOL_DEFAULT"), (1, "MPOL_PREFERRED"), (2, "MPOL_BIND"), (3, "MPOL_INTERLEAVE"), (4, "MPOL_LOCAL"),
    (5, "MPOL_PREFERRED_MANY"), (6, "MPOL_WEIGHTED_INTERLEAVE"),
])
let mempolicyModeFlags = FlagTable([(1 << 15, "MPOL_F_STATIC_NODES"), (1 << 14, "MPOL_F_RELATIVE_NODES"), (1 << 13, "MPOL_F_NUMA_BALANCING")])
let mbindFlags = FlagTable([(1 << 0, "MPOL_MF_STRICT"), (1 << 1, "MPOL_MF_MOVE"), (1 << 2, "MPOL_MF_MOVE_ALL")])

/// The huge page size bits of mmap, memfd_create and shmget: log2(size) << 26, read only
/// when the HUGETLB flag is set (include/uapi/asm-generic/hugetlb_encode.h).
let hugeSizeShift: UInt64 = 26
let hugeSizeMask: UInt64 = 0x3f << 26

/// MAP_SHARED|MAP_POPULATE|MAP_HUGETLB|21<<MAP_HUGE_SHIFT, as strace prints mmap flags.
func renderMapFlags(_ value: UInt64) -> String {
    let hugeBits = value & CallBits.mapHugetlb != 0 ? value & hugeSizeMask : 0
    let type = value & CallBits.mapTypeMask
    var parts: [String] = [mapTypes.name(of: type) ?? hex(type)]
    let rest = value & ~CallBits.mapTypeMask & ~hugeBits
    if rest != 0 { parts.append(mapFlags.render(rest)) }
    if hugeBits != 0 { parts.append("\(hugeBits >> hugeSizeShift)<<MAP_HUGE_SHIFT") }
    return parts.joined(separator: "|")
}

/// Flags as `renderMapFlags`, `renderMemfdFlags` or `renderShmgetFlags` print them: names from
/// `tables`, a huge page size shift (`21<<MAP_HUGE_SHIFT`), numbers (an octal mode). nil when a
/// name is in none of the tables.
func parseFlags(_ names: [String], _ tables: FlagTable...) -> UInt64? {
    var value: UInt64 = 0
    for name in names {
        if let shift = name.firstRange(of: "<<"), name.hasSuffix("_HUGE_SHIFT"),
           let log2 = UInt64(name[..<shift.lowerBound]), log2 < 64 {
            value |= log2 << hugeSizeShift
        } else if let bits = tables.lazy.compactMap({ $0.value(of: name) }).first ?? StraceLogValues.integer(name) {
            value |= bits
        } else {
            return nil
        }
    }
    return value
}

/// The huge page size a MAP_HUGETLB / MFD_HUGETLB / SHM_HUGETLB call asks for, if its size bits say.
func hugePageSize(fromFlags value: UInt64) -> UInt64? {
    let log2 = (value & hugeSizeMask) >> hugeSizeShift
    return log2 == 0 ? nil : 1 << log2
}
