// shmget, shmat, shmdt — SysV shared memory, which SHM_HUGETLB puts on huge pages.

func renderShmArguments(_ call: CallRecord) -> String {
    let a = call.args
    switch call.syscall {
    case .shmget:
        let key = a[0] == 0 ? "IPC_PRIVATE" : hex(a[0] & 0xffff_ffff)
        return "\(key), \(a[1]), \(renderShmgetFlags(a[2]))"
    case .shmat:
        return "\(Int32(truncatingIfNeeded: a[0])), \(pointer(a[1])), \(shmatFlags.render(a[2]))"
    case .shmdt:
        return pointer(a[0])
    default:
        return ""
    }
}
