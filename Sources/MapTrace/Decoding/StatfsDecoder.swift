// statfs, fstatfs — how a program reads a hugetlbfs mount's size= and free pages.

func renderStatfsArguments(_ call: CallRecord) -> String {
    let a = call.args
    let buffer = call.statfsResult.map(renderStatfs) ?? hex(a[1])
    switch call.syscall {
    case .statfs:
        return "\(quoted(call.string, address: a[0])), \(buffer)"
    case .fstatfs:
        return "\(fdText(a[0], path: call.fdPath)), \(buffer)"
    default:
        return ""
    }
}

/// Magic numbers of the file systems a memory trace meets (include/uapi/linux/magic.h).
let fileSystemMagics = FlagTable([(0x9584_58f6, "HUGETLBFS_MAGIC"), (0x0102_1994, "TMPFS_MAGIC"),
                                  (0xef53, "EXT4_SUPER_MAGIC"), (0x9fa0, "PROC_SUPER_MAGIC"),
                                  (0x6265_6572, "SYSFS_MAGIC")])

/// The leading fields as strace prints them; on hugetlbfs blocks are huge pages, and 0 blocks
/// means the mount has no size= (fs/hugetlbfs/inode.c hugetlbfs_statfs).
func renderStatfs(_ result: StatfsResult) -> String {
    let type = fileSystemMagics.name(of: result.type) ?? hex(result.type)
    return "{f_type=\(type), f_bsize=\(result.blockSize), f_blocks=\(result.blocks), f_bfree=\(result.blocksFree), "
        + "f_bavail=\(result.blocksAvailable), f_files=\(result.files), f_ffree=\(result.filesFree), ...}"
}
