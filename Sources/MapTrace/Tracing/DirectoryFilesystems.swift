import Glibc

/// What an open's directory lies on, remembered between opens: a dataplane opens
/// /proc/self/pagemap, sysfs files and its page files a thousand times each, and each answer
/// cost a statfs through /proc/PID/root (a DPDK init pinned to one CPU: 2,100 of them, about
/// 9 of the 75 ms maptrace spends on its own work).
///
/// An answer is kept only where it cannot go stale without maptrace seeing why:
/// - a directory on hugetlbfs: a stale "on hugetlbfs" costs one exit stop, and the exit asks the
///   opened fd itself;
/// - a directory on procfs or sysfs: their names are the kernel's (no rename, no symlink a
///   program can make), so the answer changes only with a mount, a chroot or a change of mount
///   namespace.
/// Any other directory (ext4, tmpfs…) is asked every time: a rename or a symlink could put it on
/// hugetlbfs. Every answer is dropped when the mount table of maptrace's namespace changes (a
/// poll on /proc/self/mountinfo, 0.3 µs), and the cache is off for good once a traced program
/// calls chroot, pivot_root, setns or unshare, and for a process whose root or mount namespace
/// is not maptrace's (paths then mean something else). Attached with no filter, those calls
/// are not seen: the cache is not used.
final class DirectoryFilesystems {
    /// directory as the program named it → its huge page size, or nil off hugetlbfs
    private var answers: [String: UInt64?] = [:]
    private var mountinfo: Int32 = -1
    /// Off for the rest of the run: a program changed a root or a mount namespace.
    private(set) var disabled = false
    private let reader: TraceeReader
    private lazy var ownNamespace = reader.link("/proc/self/ns/mnt")

    private static let procMagic: UInt64 = 0x9fa0
    private static let sysfsMagic: UInt64 = 0x6265_6572

    init(reader: TraceeReader) {
        self.reader = reader
        mountinfo = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        if mountinfo < 0 { disabled = true }
    }

    deinit { if mountinfo >= 0 { close(mountinfo) } }

    /// A traced program changed a root or a mount namespace: nothing remembered holds any more.
    func rootChanged() {
        disabled = true
        answers.removeAll()
    }

    /// Whether `pid` sees paths as maptrace does: the same mount namespace, the same root.
    func sharesRoot(pid: Int32) -> Bool {
        guard !disabled, let own = ownNamespace else { return false }
        return reader.link("/proc/\(pid)/ns/mnt") == own && reader.link("/proc/\(pid)/root") == "/"
    }

    /// The huge page size of the filesystem holding `directory` (an absolute path as `pid`
    /// named it, `pid` sharing maptrace's root), else nil; a statfs only when not known.
    func hugePageSize(of directory: String, pid: Int32) -> UInt64? {
        if mountsChanged() { answers.removeAll() }
        if let known = answers[directory] { return known }
        guard let fs = reader.fileSystem(ofPath: "/proc/\(pid)/root" + directory) else { return nil }
        let answer: UInt64? = fs.type == hugetlbfsMagic ? fs.blockSize : nil
        if fs.type == hugetlbfsMagic || fs.type == DirectoryFilesystems.procMagic || fs.type == DirectoryFilesystems.sysfsMagic {
            if answers.count >= 4096 { answers.removeAll() }  // a program that opens everywhere
            answers[directory] = answer
        }
        return answer
    }

    /// POLLPRI on a mountinfo file: the namespace's mount table changed since the last poll.
    private func mountsChanged() -> Bool {
        var ready = pollfd(fd: mountinfo, events: Int16(POLLPRI), revents: 0)
        return poll(&ready, 1, 0) > 0 && ready.revents & Int16(POLLPRI | POLLERR) != 0
    }
}
