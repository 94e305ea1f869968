import Glibc

/// A writer to an fd: each line is written as soon as it is given (one write(2) per line), so
/// the trace shows a call while the program is still running, whatever the output is.
public final class TextOutput {
    let fd: Int32
    /// The file given with -o; nil for stderr, whose write errors have nowhere to be told.
    public let path: String?
    /// The first write error on `path`, said once on stderr; the rest of the output is dropped.
    public private(set) var failure: String?
    /// Told the path and the reason at that first error (the log records it then).
    public var onFailure: ((_ path: String, _ reason: String) -> Void)?
    /// Whether a live status line is currently drawn on this fd (a terminal).
    private var statusShown = false
    /// `-o |CMD`: the shell reading the trace, waited for at `close`.
    private var reader: pid_t = 0

    public init(fd: Int32, path: String? = nil) {
        self.fd = fd
        self.path = path
    }

    /// Opens FILE for the text output by `OutputFile.openForRun`'s rules (a regular file is
    /// locked, then truncated, as strace's -o truncates it; a device or FIFO is written in
    /// place); `|CMD` or `!CMD` pipes it into CMD run by /bin/sh, as strace does.
    public convenience init(path: String) throws {
        if let first = path.first, first == "|" || first == "!" {
            let (fd, pid) = try TextOutput.pipe(to: String(path.dropFirst()))
            self.init(fd: fd, path: path)
            reader = pid
            return
        }
        self.init(fd: try OutputFile.openForRun(path).fd, path: path)
    }

    public var isTerminal: Bool { isatty(fd) != 0 }

    public func line(_ text: String) {
        clearStatus()
        write(text + "\n")
    }

    /// Several lines at once (a diagnosis): one write.
    public func text(_ text: String) {
        clearStatus()
        write(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// Draws a one-line status in place (terminals only).
    public func status(_ text: String) {
        write("\r\u{1B}[K" + text)
        statusShown = true
    }

    public func clearStatus() {
        guard statusShown else { return }
        statusShown = false
        write("\r\u{1B}[K")
    }

    /// Nothing is held back; kept for callers that mark where output must be complete.
    public func flush() {}

    /// Closes a pipe to `-o |CMD` and waits for CMD to read everything.
    public func close() {
        guard reader > 0 else { return }
        _ = Glibc.close(fd)
        var status: Int32 = 0
        while waitpid(reader, &status, 0) < 0 && errno == EINTR {}
        reader = 0
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { writeAll(UnsafeRawBufferPointer($0)) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, let err = OutputFile.writeAll(fd, bytes), let path else { return }
        failure = errnoMessage(err)
        Console.error("maptrace: \(path): cannot write the trace: \(errnoMessage(err)); the rest of it is lost")
        onFailure?(path, errnoMessage(err))
    }

    /// Starts `/bin/sh -c CMD` reading a pipe; returns the pipe's write end and the shell's pid.
    private static func pipe(to command: String) throws -> (Int32, pid_t) {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw MapTraceError.io(path: "|" + command, reason: errnoMessage(errno)) }
        // Neither end may leak into the traced command (the reader's copy is dup'ed onto its stdin).
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sh"), strdup("-c"), strdup(command), nil]
        defer { for p in argv { free(p) } }
        let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        _ = Glibc.close(ends[0])
        guard rc == 0 else {
            _ = Glibc.close(ends[1])
            throw MapTraceError.io(path: "|" + command, reason: errnoMessage(rc))
        }
        return (ends[1], pid)
    }
}

/// Whether a traced process writes to the terminal maptrace draws its status on: its fd 1 or 2
/// is that same terminal device.
enum TerminalSharing {
    static func writes(pid: Int32, to fd: Int32) -> Bool {
        var ours = stat()
        guard fstat(fd, &ours) == 0 else { return true }
        for theirs in [1, 2] {
            var st = stat()
            if stat("/proc/\(pid)/fd/\(theirs)", &st) == 0 && st.st_rdev == ours.st_rdev && st.st_ino == ours.st_ino { return true }
        }
        return false
    }
}
