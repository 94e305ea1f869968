import CMapTrace
import Glibc

// Starting a trace: launch a command under the filter, or attach to a running process.
extension Tracer {
    /// Starts `argv` stopped, with the seccomp filter, seized with EXITKILL: if maptrace dies,
    /// the command dies too.
    public func launch(_ argv: [String]) throws {
        guard let first = argv.first else { throw MapTraceError.badInput("no command given") }
        let path = try Tracer.resolve(first)
        let filter = try SeccompFilter()
        // The child may run no Swift code: argv and envp are C arrays built before fork.
        var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgv { free(p) } }
        var cEnv: [UnsafeMutablePointer<CChar>?] = []
        var e = environ
        while let p = e.pointee { cEnv.append(p); e += 1 }
        cEnv.append(nil)
        let pid = mt_spawn_traced(path, &cArgv, &cEnv, &filter.program, UInt(Tracer.launchOptions))
        guard pid > 0 else { throw MapTraceError.spawnFailed(errnoMessage(-pid)) }
        filtered = true
        root = pid
        let thread = adopt(pid, isThread: false, launched: true)
        thread.swallowSigcont = true
        thread.process.command = argv
        do {
            try CPUPlacement.place(command: pid, cpu: options.tracerCPU, pinTracee: options.pinTracee)
        } catch {
            kill(pid, SIGKILL)
            throw error
        }
        OwnSignals.install()
    }

    /// Seizes every thread of a running process. No filter can be added to it, so every
    /// system call stops it.
    public func attach(_ pid: Int32) throws {
        guard pid > 0, access("/proc/\(pid)", F_OK) == 0 else { throw MapTraceError.noSuchProcess(pid) }
        let status = ProcText.read("/proc/\(pid)/status").map { ProcText.fields($0) } ?? [:]
        if let tracer = status["TracerPid"].flatMap({ Int32($0) }), tracer != 0 {
            throw MapTraceError.alreadyTraced(pid: pid, by: tracer, comm: ProcText.value("/proc/\(tracer)/comm"))
        }
        if let tgid = status["Tgid"].flatMap({ Int32($0) }), tgid != pid {
            throw MapTraceError.badInput("-p \(pid): that is a thread of process \(tgid); give the process id")
        }
        filtered = false
        root = pid
        try CPUPlacement.place(command: pid, cpu: options.tracerCPU, pinTracee: false)
        // Threads can be created while we attach: scan until a pass finds none new.
        var seized = Set<Int32>()
        while true {
            let tids = Tracer.threadIDs(of: pid).filter { !seized.contains($0) }
            if tids.isEmpty { break }
            for tid in tids {
                if mt_ptrace(Int32(PTRACE_SEIZE.rawValue), tid, 0, Tracer.seizeOptions) < 0 {
                    let err = errno
                    if err == ESRCH && !seized.isEmpty { seized.insert(tid); continue }  // a thread that just exited
                    for t in seized { _ = mt_ptrace(Int32(PTRACE_DETACH.rawValue), t, 0, 0) }
                    threads.removeAll()
                    processes.removeAll()
                    if err == ESRCH { throw MapTraceError.noSuchProcess(pid) }
                    throw MapTraceError.cannotTrace(pid: pid, reason: errnoMessage(err)
                        + (err == EPERM ? " (check /proc/sys/kernel/yama/ptrace_scope, or run as root)" : ""))
                }
                seized.insert(tid)
                _ = mt_ptrace(Int32(PTRACE_INTERRUPT.rawValue), tid, 0, 0)
                adopt(tid, isThread: tid != pid)
            }
        }
        OwnSignals.install()
    }

    /// Resolves a command through PATH in the parent (execvp is not async-signal-safe), with
    /// the shell's errors: not found 127, not executable 126.
    static func resolve(_ command: String) throws -> String {
        func check(_ path: String) throws -> String? {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            if st.st_mode & S_IFMT == S_IFDIR { throw MapTraceError.notExecutable(command, "Is a directory") }
            if access(path, X_OK) != 0 { throw MapTraceError.notExecutable(command, "Permission denied") }
            return path
        }
        if command.contains("/") {
            if let path = try check(command) { return path }
            throw MapTraceError.commandNotFound(command)
        }
        let search = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in search.split(separator: ":", omittingEmptySubsequences: false) {
            if let path = try? check((dir.isEmpty ? "." : String(dir)) + "/" + command) { return path }
        }
        throw MapTraceError.commandNotFound(command)
    }

    static func threadIDs(of pid: Int32) -> [Int32] {
        guard let dir = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(dir) }
        var tids: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if let tid = Int32(name) { tids.append(tid) }
        }
        return tids.sorted()
    }
}
