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

        The exit status is COMMAND's (128+N when signal N killed it), or 1 when it exited 0 but \
        -o or --log could not be written; maptrace's own errors use 127 (command not found), 126 \
        (not executable), 2 (usage) and 1. -o and --log files are locked for the run; devices \
        and FIFOs are written in place, symlinks followed.
        """)

    @OptionGroup(title: "strace options")
    var strace: StraceOptions

    @OptionGroup
    var tracing: TracingOptions

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command to run, after --.", valueName: "command"))
    var command: [String] = []

    var output: String? { tracing.output }
    var log: String? { tracing.log }
    var all: Bool { tracing.all }
    var quiet: Bool { tracing.quiet }
    var pid: Int32? { tracing.pid }
    var onFailure: FailureAction { tracing.onFailure }
    var cpu: Int32? { tracing.cpu }
    var pinTracee: Bool { tracing.pinTracee }
    var noStatus: Bool { tracing.noStatus }

    /// -ff, or its long form.
    var followSeparately: Bool { strace.follow >= 2 || strace.outputSeparately }

    mutating func validate() throws {
        if strace.version { return }
        // Everything from the first argument maptrace does not know is captured: an option
        // there is one maptrace does not have, not the start of the command.
        if let first = command.first, first != "--", first.hasPrefix("-"), first.count > 1 {
            if first == "-h" || first == "--help" { throw CleanExit.helpRequest(TraceCommand.self) }
            throw UsageError(UnsupportedOption.message(for: first))
        }
        if command.first == "--" { command.removeFirst() }
        if pid != nil && !command.isEmpty { throw ValidationError("give either -p PID or a command, not both") }
        if pid == nil && command.isEmpty { throw ValidationError("no command given: maptrace [OPTIONS] -- COMMAND [ARGS...]") }
        if let pid, pid <= 0 { throw UsageError("-p \(pid): a process id is a positive number") }
        if tracing.pids.count > 1 { throw UsageError("maptrace attaches to one process (and all its threads) at a time: give one -p") }
        if let cpu, cpu < 0 { throw UsageError("--cpu \(cpu): a CPU number is 0 or more") }
        if let cpu, !OnlineCPUs.read().contains(cpu) {
            throw UsageError("--cpu \(cpu): not an online CPU (online: \(OnlineCPUs.text))")
        }
        if pinTracee && !tracing.pids.isEmpty { throw UsageError("--pin-tracee applies to a launched command, not to -p") }
        if followSeparately && output == nil {
            Console.error("maptrace: -ff has no effect without -o FILE; the trace goes to stderr")
        }
        if followSeparately, let output, output.hasPrefix("|") || output.hasPrefix("!") {
            throw UsageError("-ff writes one file per task and cannot go to a pipe (-o \(output))")
        }
    }

    func run() throws {
        if strace.version {
            print("maptrace version \(maptraceVersion)")
            return
        }
        let selection = try strace.selection()
        for name in selection.untracedNames {
            Console.error("maptrace: -e trace=\(name): maptrace does not stop \(name) (its filter stops memory calls only); not printed")
        }
        let counting = strace.summaryOnly || strace.summary
        let stderrOut = TextOutput(fd: 2)
        let perTask = followSeparately ? output : nil
        let out = try output.map { perTask == nil ? try TextOutput(path: $0) : stderrOut } ?? stderrOut
        var textOptions = TextSink.Options()
        textOptions.all = all
        textOptions.quiet = quiet
        textOptions.liveStatus = !noStatus
        textOptions.callsHidden = strace.summaryOnly
        textOptions.selection = selection
        textOptions.perTaskBase = perTask
        textOptions.format.timestamps = strace.timestampStyle
        textOptions.format.durations = strace.syscallTimes
        textOptions.format.deviceNumbers = strace.decodeFds >= 2 || selection.deviceNumbers
        textOptions.format.colour = !TerminalColour.disabledByEnvironment
        let text = TextSink(out: out, console: output == nil || perTask != nil ? nil : stderrOut, options: textOptions)
        if let output, let log, OutputFile.sameFile(output, log) {
            throw MapTraceError.io(path: log, reason: "-o and --log name the same file; give two files")
        }
        let logWriter = try log.map { try LogWriter(path: $0) }
        defer { logWriter?.close() }
        // A trace output that cannot be written is logged when it happens; the log's own
        // failure cannot be, and is said in the summary.
        if let logWriter {
            let record: (String, String) -> Void = { path, reason in logWriter.writeOutputError(path: path, reason: reason) }
            out.onFailure = record
            text.onOutputFailure = record
        }
        let summary = counting ? CallSummary(selection: selection) : nil
        var sinks: [TraceSink] = [text]
        if let logWriter { sinks.append(SelectedSink(logWriter, selection: selection)) }
        if let summary { sinks.append(summary) }
        let sink: TraceSink = sinks.count == 1 ? text : SinkGroup(sinks)

        var options = TraceOptions()
        options.onFailure = onFailure
        options.tracerCPU = cpu
        options.pinTracee = pinTracee
        options.followStops = !tracing.noFollow
        options.injections = selection.injections
        options.stringLimit = strace.stringLimit
        options.stackTrace = strace.stackTrace
        let shownAll = all
        options.stackFor = { call, huge in
            selection.shows(call) && (shownAll || selection.selectsExplicitly || huge || call.failed || call.syscall.opensFile)
        }
        let tracer = Tracer(sink: sink, options: options)
        logWriter?.writeHeader(command: pid.map { ["-p", String($0)] } ?? command, mode: pid == nil ? "launch" : "attach")
        if let pid {
            try tracer.attach(pid)
            Console.error("maptrace: attached to pid \(pid): no seccomp filter can be added to a running process, "
                  + "so every system call stops it and it runs slower until maptrace detaches (Ctrl-C)"
                  + (strace.seccompBPF ? " (--seccomp-bpf is not possible here)" : ""))
        } else {
            do {
                try tracer.launch(command)
            } catch MapTraceError.commandNotFound(let name) where !name.contains("/") {
                if let suggestion = Subcommands.closest(to: name) {
                    throw UsageError("\(name): neither a maptrace subcommand nor a command; did you mean `maptrace \(suggestion)`?")
                }
                throw MapTraceError.commandNotFound(name)
            }
        }
        // A reader of -o |CMD that quits must not kill maptrace (set after the launch: an
        // ignored signal would stay ignored in the command).
        signal(SIGPIPE, SIG_IGN)
        let status = tracer.run()
        text.finish()
        if let fatal = tracer.fatal { throw fatal }
        // The command could not be executed: the child said why in one line, nothing ran.
        if pid == nil && !tracer.commandStarted { throw ExitCode(status) }
        let drifts = text.drifts
        if let summary { text.emit(summary.render()) }
        var summaryText = SummaryText.render(tracer.statistics, diagnoses: tracer.diagnosisCount,
                                             laterFailures: tracer.laterFailureCount, drifts: drifts)
        for reaction in tracer.injectionReactions {
            summaryText += "\n" + SummaryText.injection(reaction, process: tracer.statistics.first { $0.pid == reaction.pid })
        }
        text.emit(summaryText)
        // An output that could not be written is said in the summary, and a run whose program
        // exited 0 then exits 1, so that a script sees the loss.
        func lostOutputs() -> [String] {
            [output.flatMap { path in out.failure.map { "\(path): \($0)" } },
             logWriter.flatMap { w in w.failure.map { "\(w.path): \($0)" } }].compactMap { $0 }
        }
        let lost = lostOutputs()
        if !lost.isEmpty { text.emit(lost.map { "  output lost: \($0)" }.joined(separator: "\n")) }
        out.close()
        logWriter?.writeSummary(SummaryLogRecord(time: Double(time(nil)), processes: tracer.statistics,
                                                 diagnoses: tracer.diagnosisCount, laterFailures: tracer.laterFailureCount,
                                                 drifts: drifts, exitStatus: status))
        logWriter?.close()
        throw ExitCode(status == 0 && !lostOutputs().isEmpty ? 1 : status)
    }
}
