import ArgumentParser
import MapTrace

/// maptrace's own tracing options (strace's are in `StraceOptions`).
struct TracingOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the trace to FILE instead of stderr; |CMD or !CMD pipes it into CMD. With -ff, one file per task: FILE.TID.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("log"), help: ArgumentHelp("Write the post-mortem log (JSON Lines) to FILE; read it with `maptrace report`.", valueName: "file"))
    var log: String?

    @Flag(name: .customLong("all"), help: "Print every traced call, not only those on hugetlb memory and the failures (-e trace=all).")
    var all = false

    @Flag(name: .shortAndLong, help: "Print nothing but the diagnoses and the final summary.")
    var quiet = false

    @Option(name: [.short, .customLong("pid"), .customLong("attach")], help: ArgumentHelp("Attach to the running process PID and all its threads (no seccomp filter: every system call stops it). Ctrl-C detaches.", valueName: "pid"))
    var pids: [Int32] = []

    var pid: Int32? { pids.last }

    @Option(name: .customLong("on-enomem"), help: ArgumentHelp("After the first failure: continue (let the process go on), kill it, or hold it frozen until Enter.", valueName: "action"))
    var onFailure: FailureAction = .continue

    @Option(name: .customLong("cpu"), help: ArgumentHelp("Keep maptrace itself on this online CPU instead of following the threads that stop (with --pin-tracee, the command too). The command's CPU mask is left alone.", valueName: "n"))
    var cpu: Int32?

    @Flag(name: .customLong("pin-tracee"), help: "Pin the launched command, its threads and children to maptrace's CPU for the whole run, as taskset would: stops are cheaper, but the program sees a one-CPU affinity mask (sched_getaffinity) and may size itself differently.")
    var pinTracee = false

    @Flag(name: .customLong("no-follow"), help: "Leave maptrace where the scheduler puts it, at normal priority. By default it moves itself to the CPU of the thread that stops and runs there as a SCHED_IDLE task, which halves the cost of a stop; the program's own CPU mask and policy are never changed.")
    var noFollow = false

    @Flag(name: .customLong("no-status"), help: "No live status line on the terminal (it is drawn only while the traced program does not write to that terminal).")
    var noStatus = false
}

/// The command line as the shells' completion scripts see it: the default subcommand's options
/// at the top level, where they are typed, then the subcommands. (argument-parser would
/// otherwise offer subcommand names after `maptrace --on-enomem`.) Used only to generate them.
struct CompletionRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maptrace",
        subcommands: [TraceCommand.self, ReportCommand.self, ReplayCommand.self, CheckCommand.self])

    @OptionGroup(title: "strace options")
    var strace: StraceOptions

    @OptionGroup
    var tracing: TracingOptions
}
