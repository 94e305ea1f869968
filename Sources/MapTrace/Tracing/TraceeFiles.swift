import CMapTrace
import Glibc

/// A traced process's fds, read through duplicates of them: a pidfd_getfd, an fstat and an
/// fstatfs on the copy (about 2 µs) tell the file and its file system, where a statfs and a
/// readlink through /proc/PID/fd/N cost 9 µs (each walk of /proc is 4 µs). A DPDK init opens and
/// maps 2,048 page files: those walks were a fifth of the time maptrace added to it.
///
/// The name (what /proc/PID/fd/N shows, as strace -y prints it) still takes a readlink, so it
/// is kept per fd with the identity of its file (device, inode, ctime, link count) and read
/// again when the fd holds another file, or this one was renamed, linked or unlinked since
/// (each changes its ctime). A directory above it renamed since leaves the old name: no
/// call of the program tells the file apart.
///
/// The pidfd reads the fd table of the thread-group leader: another thread's fd is read
/// through it only when that thread shares the leader's table (kcmp), else through /proc.
/// The copy is closed at once; the program's file and its table are not changed.
final class TraceeFiles {
    private let pidfd: Int32
    private var names: [Int32: (file: FileIdentity, path: String)] = [:]

    struct FileIdentity: Equatable {
        let device, inode, changed, links: UInt64
    }

    /// What an fd holds: its file's identity and file system.
    struct File {
        let identity: FileIdentity
        /// The huge page size when the file lies on hugetlbfs (memfd MFD_HUGETLB files too).
        let hugePageSize: UInt64?
    }

    /// nil when the kernel has no pidfd_open (Linux 5.3) or the process is gone.
    init?(pid: Int32) {
        pidfd = mt_pidfd_open(pid)
        guard pidfd >= 0 else { return nil }
    }

    deinit { close(pidfd) }

    /// The file behind `fd` of the leader's table; nil when it cannot be read this way (no
    /// such fd, no pidfd_getfd, the leader gone): the caller asks /proc.
    func file(fd: Int32) -> File? {
        var f = mt_fdfile()
        guard mt_fd_file(pidfd, fd, &f) == 0 else { return nil }
        return File(identity: FileIdentity(device: f.dev, inode: f.ino, changed: f.ctime_ns, links: f.nlink),
                    hugePageSize: f.fstype & 0xffff_ffff == hugetlbfsMagic ? f.bsize : nil)
    }

    /// The name read for `fd` when it held this same file, unchanged.
    func name(fd: Int32, of file: File) -> String? {
        guard let known = names[fd], known.file == file.identity else { return nil }
        return known.path
    }

    func remember(fd: Int32, file: File, path: String) {
        if names.count >= 65536 { names.removeAll() }  // a program with very many fds open
        names[fd] = (file.identity, path)
    }
}

extension Tracer {
    /// The file behind `fd` of a stopped thread: its huge page size when it lies on hugetlbfs,
    /// and its name as /proc shows it. `fresh`: the fd was just opened, read its name anew.
    /// `named`: whether the name is wanted, given the huge page size (an open's line or log
    /// record shows it; a readlink of 3 µs at every page file a DPDK init opens, when not).
    func openFile(_ thread: TracedThread, fd: UInt64, fresh: Bool = false,
                  named: (UInt64?) -> Bool = { _ in true }) -> (hugePageSize: UInt64?, path: String?) {
        let number = Int32(truncatingIfNeeded: fd)
        guard number >= 0 else { return (nil, nil) }
        if let files = files(of: thread), let file = files.file(fd: number) {
            guard named(file.hugePageSize) else { return (file.hugePageSize, nil) }
            if !fresh, let path = files.name(fd: number, of: file) { return (file.hugePageSize, path) }
            let path = reader.fdPath(pid: thread.tid, fd: fd)
            if let path { files.remember(fd: number, file: file, path: path) }
            return (file.hugePageSize, path)
        }
        let huge = reader.hugePageSize(pid: thread.tid, fd: fd)
        return (huge, named(huge) ? reader.fdPath(pid: thread.tid, fd: fd) : nil)
    }

    /// The process's pidfd reader when it reads this thread's fd table.
    private func files(of thread: TracedThread) -> TraceeFiles? {
        let process = thread.process
        if process.files == nil {
            guard !process.filesUnavailable else { return nil }
            process.files = TraceeFiles(pid: process.pid)
            if process.files == nil { process.filesUnavailable = true }
        }
        if thread.tid != process.pid, mt_same_fd_table(process.pid, thread.tid) != 1 { return nil }
        return process.files
    }
}

extension Tracer {
    /// At the exit of an mmap that left its file to it: the file's name and huge page size from
    /// the area it made (one PROCMAP_QUERY, where the fd costs a pidfd_getfd, an fstat, an
    /// fstatfs and a close at entry, and a readlink for a new name). From the fd as at entry
    /// when the call failed (no area), when another call in flight may have changed the areas
    /// since (the one at the address may not be this call's), or for a name the fd and the area may not share: a device's (its driver may
    /// give the area another file: /dev/zero's shared areas are shmem), one not a path
    /// (anon_inode:…), a deleted file's.
    func mappedFile(_ thread: TracedThread, _ call: inout CallRecord) {
        thread.pendingFileAtExit = false
        let process = thread.process
        let othersInFlight = process.threadsInCall.contains { $0 !== thread && ($0.inUnseenCall || $0.pendingChangesAreas) }
        if !call.failed, !othersInFlight, let area = process.areaQuery?.file(at: UInt64(bitPattern: call.result)),
           area.name.hasPrefix("/"), !area.name.hasPrefix("/dev/"), !area.name.hasSuffix(" (deleted)") {
            call.fdPath = area.name
            if area.pageSize > Page.size { thread.pendingHugePageSize = area.pageSize }
            return
        }
        let (huge, path) = openFile(thread, fd: call.args[4])
        call.fdPath = path
        if let huge { thread.pendingHugePageSize = huge }
    }
}
