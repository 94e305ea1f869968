// Flag tables of open, fallocate, memfd_create and the SysV shm calls (x86_64), in strace's order.

let openAccessModes = FlagTable([(0, "O_RDONLY"), (1, "O_WRONLY"), (2, "O_RDWR"), (3, "O_ACCMODE")])

let openFlags = FlagTable([
    (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o4010000, "O_SYNC"), (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"), (0o40000, "O_DIRECT"), (0o100000, "O_LARGEFILE"),
    (0o20200000, "O_TMPFILE"), (0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"), (0o2000000, "O_CLOEXEC"), (0o10000000, "O_PATH"),
])

let openCreatFlag: UInt64 = 0o100
let openTmpfileFlag: UInt64 = 0o20200000

let resolveFlags = FlagTable([
    (0x01, "RESOLVE_NO_XDEV"), (0x02, "RESOLVE_NO_MAGICLINKS"), (0x04, "RESOLVE_NO_SYMLINKS"),
    (0x08, "RESOLVE_BENEATH"), (0x10, "RESOLVE_IN_ROOT"), (0x20, "RESOLVE_CACHED"),
])

let fallocateModes = FlagTable([
    (0x01, "FALLOC_FL_KEEP_SIZE"), (0x02, "FALLOC_FL_PUNCH_HOLE"), (0x04, "FALLOC_FL_NO_HIDE_STALE"),
    (0x08, "FALLOC_FL_COLLAPSE_RANGE"), (0x10, "FALLOC_FL_ZERO_RANGE"), (0x20, "FALLOC_FL_INSERT_RANGE"),
    (0x40, "FALLOC_FL_UNSHARE_RANGE"),
])

let memfdFlags = FlagTable([
    (0x1, "MFD_CLOEXEC"), (0x2, "MFD_ALLOW_SEALING"), (0x4, "MFD_HUGETLB"),
    (0x8, "MFD_NOEXEC_SEAL"), (0x10, "MFD_EXEC"),
])

let shmgetFlags = FlagTable([
    (0o1000, "IPC_CREAT"), (0o2000, "IPC_EXCL"), (0o4000, "SHM_HUGETLB"), (0o10000, "SHM_NORESERVE"),
])

let shmatFlags = FlagTable([
    (0o10000, "SHM_RDONLY"), (0o20000, "SHM_RND"), (0o40000, "SHM_REMAP"), (0o100000, "SHM_EXEC"),
])

/// O_RDWR|O_CREAT, as strace prints open flags.
func renderOpenFlags(_ value: UInt64) -> String {
    let access = openAccessModes.name(of: value & 0o3) ?? "O_ACCMODE"
    let rest = value & ~0o3
    return rest == 0 ? access : access + "|" + openFlags.render(rest)
}

/// MFD_CLOEXEC|MFD_HUGETLB|21<<MFD_HUGE_SHIFT
func renderMemfdFlags(_ value: UInt64) -> String {
    let hugeBits = value & CallBits.mfdHugetlb != 0 ? value & hugeSizeMask : 0
    var text = memfdFlags.render(value & ~hugeBits)
    if hugeBits != 0 { text += "|\(hugeBits >> hugeSizeShift)<<MFD_HUGE_SHIFT" }
    return text
}

/// IPC_CREAT|SHM_HUGETLB|0600: flags, huge size bits, then the permission bits in octal.
func renderShmgetFlags(_ value: UInt64) -> String {
    let hugeBits = value & CallBits.shmHugetlb != 0 ? value & hugeSizeMask : 0
    let mode = value & 0o777
    var parts: [String] = []
    let named = value & ~hugeBits & ~0o777
    if named != 0 { parts.append(shmgetFlags.render(named)) }
    if hugeBits != 0 { parts.append("\(hugeBits >> hugeSizeShift)<<SHM_HUGE_SHIFT") }
    parts.append(octal(mode))
    return parts.joined(separator: "|")
}
