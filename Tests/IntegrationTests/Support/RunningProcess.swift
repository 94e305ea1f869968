import Foundation

/// A program started by ``Fixture/start(_:environment:stdin:)``, in a process group of its own.
///
/// Its standard output and error go to unlinked-on-finish temporary files rather than pipes, so
/// a chatty program never blocks on a full pipe while the test is busy elsewhere, and the test
/// can read what it has printed so far.
final class RunningProcess {
    /// The program's process id (also its process group id).
    let pid: pid_t
    private let stdoutFile: OutputFile
    private let stderrFile: OutputFile
    private var result: ProcessResult?

    init(_ argv: [String], environment: [String: String]?, stdin: String?) throws {
        precondition(!argv.isEmpty, "an empty argv")
        stdoutFile = try OutputFile()
        stderrFile = try OutputFile()
        let input = try stdin.map(OutputFile.init(contents:))
        defer { input?.remove() }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input.fd, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdoutFile.fd, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrFile.fd, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own, so a timeout can kill the program and everything it started.
        // Default dispositions and an empty mask: the test runner may ignore SIGPIPE or block
        // signals, and ignored signals survive exec.
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment ?? [:] { merged[key] = value }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var child: pid_t = 0
        let error = posix_spawnp(&child, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard error == 0 else {
            stdoutFile.remove()
            stderrFile.remove()
            throw FixtureError.spawn(argv: argv, errno: error)
        }
        pid = child
    }

    deinit {
        if result == nil { _ = wait(timeout: 0) }
    }

    /// Everything the program has written to standard output so far.
    var stdoutSoFar: String { result?.stdout ?? stdoutFile.contents() }

    /// Everything the program has written to standard error so far.
    var stderrSoFar: String { result?.stderr ?? stderrFile.contents() }

    /// True until the program has been waited for.
    var isRunning: Bool {
        guard result == nil else { return false }
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid { finish(status: status, timedOut: false) }
        return reaped == 0
    }

    /// Sends `signal` to the program (not its group).
    func send(_ signal: Int32) {
        if result == nil { kill(pid, signal) }
    }

    /// Waits until standard output or error contains `text`, or the program exits, or `timeout`
    /// seconds pass. Returns whether the text appeared.
    func waitForOutput(containing text: String, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 1000
        while true {
            if stdoutSoFar.contains(text) || stderrSoFar.contains(text) { return true }
            if !isRunning || Date() >= deadline { return stdoutSoFar.contains(text) || stderrSoFar.contains(text) }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    /// Waits for the program to exit; after `timeout` seconds kills its process group with
    /// SIGKILL. Calling it again returns the same result.
    @discardableResult
    func wait(timeout: Double = 60) -> ProcessResult {
        if let result { return result }
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 1000
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR {
                finish(status: 255 << 8, timedOut: false)  // not our child any more (ECHILD): report 255
                return result!
            }
            if Date() >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)  // in case it left its group
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                finish(status: status, timedOut: true)
                return result!
            }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        finish(status: status, timedOut: false)
        return result!
    }

    private func finish(status: Int32, timedOut: Bool) {
        // The wait status layout of <sys/wait.h>: low 7 bits the signal, next byte the exit code.
        let signal = status & 0x7f
        let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        result = ProcessResult(
            status: code, stdout: stdoutFile.contents(), stderr: stderrFile.contents(), timedOut: timedOut)
        stdoutFile.remove()
        stderrFile.remove()
    }
}

/// A temporary file holding a child's output (or input), deleted by ``remove()``.
private final class OutputFile {
    let fd: Int32
    private let path: String
    private var removed = false

    init() throws {
        var template = Array("/tmp/maptrace-test-output.XXXXXX".utf8CString)
        fd = mkstemp(&template)
        guard fd >= 0 else { throw FixtureError.system("mkstemp", errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // only the child's dup2 copy may outlive exec
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    convenience init(contents: String) throws {
        try self.init()
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(written)) }
            guard n > 0 else { throw FixtureError.system("writing \(path)", errno: errno) }
            written += n
        }
    }

    deinit { remove() }

    /// Reads the whole file through a descriptor of its own, leaving the offset the child
    /// shares with `fd` alone.
    func contents() -> String {
        removed ? "" : (try? Fixture.readFile(path)) ?? ""
    }

    func remove() {
        guard !removed else { return }
        removed = true
        close(fd)
        unlink(path)
    }
}
