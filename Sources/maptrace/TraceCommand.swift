import ArgumentParser
import Glibc
import MapTrace

/// `maptrace [OPTIONS] -- COMMAND [ARGS...]` and `maptrace [OPTIONS] -p PID`.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Run COMMAND (or attach to PID) and explain why its memory calls fail.",
        discussion: """
        Launches COMMAND under ptrace with a seccomp-bpf filter, so that only memory calls \
        (open, mmap, munmap, mremap, mprotect, brk, madvise, mlock, fallocate, ftruncate, \
        memfd_create, shm*, exec) stop it, and follows every thread and child. Prints every call \
        that touches hugetlbfs and every failed memory call in strace's notation, with the \
        process's mapping count (maps=N/LIMIT). At the first failing memory call it holds the \
        process, reads the evidence from /proc and /sys, and prints which limit was hit, the \
        numbers, what was ruled out, and the fix.

        The exit status is COMMAND's (128+N when signal N killed it); maptrace's own errors use \
        127 (command not found), 126 (not executable), 2 (usage) and 1.
        """)

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the trace to FILE instead of stderr.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("log"), help: ArgumentHelp("Write the post-mortem log (JSON Lines) to FILE; read it with `maptrace report`.", valueName: "file"))
    var log: String?

    @Flag(name: .customLong("all"), help: "Print every traced call, not only those on hugetlb memory and the failures.")
    var all = false

    @Flag(name: .shortAndLong, help: "Print nothing but the diagnoses and the final summary.")
    var quiet = false

    @Option(name: [.short, .customLong("pid")], help: ArgumentHelp("Attach to the running process PID and all its threads (no seccomp filter: every system call stops it). Ctrl-C detaches.", valueName: "pid"))
    var pid: Int32?

    @Option(name: .customLong("on-enomem"), help: ArgumentHelp("After the first failure: continue (let the process go on), kill it, or hold it frozen until Enter.", valueName: "continue|kill|hold"))
    var onFailure: String = "continue"

    @Option(name: .customLong("cpu"), help: ArgumentHelp("Run maptrace itself on this online CPU (with --pin-tracee, the command too). The command's CPU mask is left alone.", valueName: "n"))
    var cpu: Int32?

    @Flag(name: .customLong("pin-tracee"), help: "Pin the launched command, its threads and children to maptrace's CPU for the whole run, as taskset would: stops are cheaper, but the program sees a one-CPU affinity mask (sched_getaffinity) and may size itself differently.")
    var pinTracee = false

    @Flag(name: .customLong("no-status"), help: "No live status line on the terminal.")
    var noStatus = false

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command to run, after --.", valueName: "command"))
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        if pid != nil && !command.isEmpty { throw ValidationError("give either -p PID or a command, not both") }
        if pid == nil && command.isEmpty { throw ValidationError("no command given: maptrace [OPTIONS] -- COMMAND [ARGS...]") }
        if FailureAction(rawValue: onFailure) == nil { throw ValidationError("--on-enomem must be continue, kill or hold") }
        if pinTracee && pid != nil { throw ValidationError("--pin-tracee applies to a launched command, not to -p") }
    }

    func run() throws {
        if let cpu, !OnlineCPUs.read().contains(cpu) {
            throw MapTraceError.badOption("--cpu \(cpu): not an online CPU (online: \(OnlineCPUs.text))")
        }
        let stderrOut = TextOutput(fd: 2)
        let out = try output.map { try TextOutput(path: $0) } ?? stderrOut
        var textOptions = TextSink.Options()
        textOptions.all = all
        textOptions.quiet = quiet
        textOptions.liveStatus = !noStatus
        let text = TextSink(out: out, console: output == nil ? nil : stderrOut, options: textOptions)
        let logWriter = try log.map { try LogWriter(path: $0) }
        let sink: TraceSink = logWriter.map { SinkGroup([text, $0]) } ?? text

        var options = TraceOptions()
        options.onFailure = FailureAction(rawValue: onFailure) ?? .continue
        options.tracerCPU = cpu
        options.pinTracee = pinTracee
        let tracer = Tracer(sink: sink, options: options)
        logWriter?.writeHeader(command: pid.map { ["-p", String($0)] } ?? command, mode: pid == nil ? "launch" : "attach")
        if let pid {
            try tracer.attach(pid)
            Console.error("maptrace: attached to pid \(pid): no seccomp filter can be added to a running process, "
                  + "so every system call stops it and it runs slower until maptrace detaches (Ctrl-C)")
        } else {
            try tracer.launch(command)
        }
        let status = tracer.run()
        text.finish()
        if let fatal = tracer.fatal { throw fatal }
        // The command could not be executed: the child said why in one line, nothing ran.
        if pid == nil && !tracer.commandStarted { throw ExitCode(status) }
        let drifts = text.drifts
        text.emit(SummaryText.render(tracer.statistics, diagnoses: tracer.diagnosisCount,
                                     laterFailures: tracer.laterFailureCount, drifts: drifts))
        logWriter?.writeSummary(SummaryLogRecord(time: Double(time(nil)), processes: tracer.statistics,
                                                 diagnoses: tracer.diagnosisCount, laterFailures: tracer.laterFailureCount,
                                                 drifts: drifts, exitStatus: status))
        throw ExitCode(status)
    }
}
