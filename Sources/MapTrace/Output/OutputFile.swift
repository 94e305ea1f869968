import Glibc

/// How maptrace opens the files it writes (-o, --log, report --svg), so that no path given to
/// it is ever destroyed: as root, a rename over `/dev/full` replaces the device with a file.
///
/// - A regular file (or a new one) is written as usual: -o and --log truncate it after taking
///   its lock; --svg replaces it atomically (a temporary file in the same directory, renamed).
/// - A device or a FIFO is written in place: never truncated, renamed over or locked.
/// - A symlink is followed, as the shell's `>` does: the file it names is written by the rules
///   above, and the link itself stays a link.
/// - A socket or a directory is refused with one line.
public enum OutputFile {
    /// What an existing path (after symlinks) is.
    enum Kind { case missing, regular, device, fifo, socket, directory, other }

    static func kind(of path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFCHR, S_IFBLK: return .device
        case S_IFIFO: return .fifo
        case S_IFSOCK: return .socket
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Opens PATH for the output of a whole run (-o, --log). A regular file is locked
    /// (flock, exclusive) before it is truncated, so a second run on the same file refuses at
    /// once instead of tearing the first run's output; the lock lasts as long as the fd.
    /// Returns the fd and whether it is a regular file. `mappable`: a regular file is opened
    /// for reading too, as a shared writable mapping of it needs.
    public static func openForRun(_ path: String, mappable: Bool = false) throws -> (fd: Int32, isRegular: Bool) {
        var access = O_WRONLY
        switch kind(of: path) {
        case .socket: throw MapTraceError.io(path: path, reason: "is a socket; give a file, a FIFO or a device")
        case .directory: throw MapTraceError.io(path: path, reason: "Is a directory")
        case .regular, .missing: if mappable { access = O_RDWR }
        default: break
        }
        // O_NONBLOCK: a FIFO with no reader is refused (ENXIO) rather than waited for.
        let fd = open(path, access | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o644)
        guard fd >= 0 else {
            let err = errno
            throw MapTraceError.io(path: path, reason: err == ENXIO ? "a FIFO with no reader; start its reader first" : errnoMessage(err))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw MapTraceError.io(path: path, reason: errnoMessage(errno)) }
        guard st.st_mode & S_IFMT == S_IFREG else { return (fd, false) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            close(fd)
            throw MapTraceError.io(path: path, reason: err == EWOULDBLOCK
                ? "in use by another maptrace run (it holds a lock on it); give another file"
                : "cannot lock: \(errnoMessage(err))")
        }
        if ftruncate(fd, 0) != 0 {
            let err = errno
            close(fd)
            throw MapTraceError.io(path: path, reason: errnoMessage(err))
        }
        return (fd, true)
    }

    /// Whether two paths name one file (-o and --log the same): both would take its lock.
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && sa.st_mode & S_IFMT == S_IFREG
    }

    /// Writes BYTES to PATH as one whole file (report --svg): a regular file is replaced
    /// atomically, anything else written in place (see the type's rules).
    public static func replace(_ path: String, with bytes: [UInt8]) throws {
        switch kind(of: path) {
        case .socket: throw MapTraceError.io(path: path, reason: "is a socket; give a file, a FIFO or a device")
        case .directory: throw MapTraceError.io(path: path, reason: "Is a directory")
        case .device, .fifo, .other:
            let fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else {
                let err = errno
                throw MapTraceError.io(path: path, reason: err == ENXIO ? "a FIFO with no reader; start its reader first" : errnoMessage(err))
            }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            if let err = writeAll(fd, bytes) { throw MapTraceError.io(path: path, reason: "write failed: \(errnoMessage(err))") }
        case .regular, .missing:
            try replaceRegular(resolved(path), with: bytes, shownAs: path)
        }
    }

    /// The path a symlink chain ends at (the link's target may not exist yet); PATH itself when
    /// it is no symlink.
    static func resolved(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : directory(of: current) + "/" + target
        }
        return current
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Temporary file in the target's directory, written, flushed and renamed over the target:
    /// a reader sees the old file or the new one, never half of one.
    private static func replaceRegular(_ path: String, with bytes: [UInt8], shownAs shown: String) throws {
        var template = Array((directory(of: path) + "/.maptrace-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw MapTraceError.io(path: shown, reason: "cannot create: \(errnoMessage(errno))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var st = stat()
        // a file replaced keeps its permissions; a new one gets 0644 (mkstemp makes 0600)
        _ = fchmod(fd, stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0o644)
        var err = writeAll(fd, bytes)
        if err == nil && fsync(fd) != 0 { err = errno }
        if close(fd) != 0 && err == nil { err = errno }
        if err == nil && rename(temporary, path) != 0 { err = errno }
        if let err {
            unlink(temporary)
            throw MapTraceError.io(path: shown, reason: "write failed: \(errnoMessage(err))")
        }
    }

    /// Writes every byte; returns the errno of a failed write, nil when all went.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            offset += n
        }
        return nil
    }
}
