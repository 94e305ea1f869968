import ArgumentParser
import MapTrace

/// strace's options, where they mean something to maptrace, spelled as strace spells them.
struct StraceOptions: ParsableArguments {
    @Flag(name: [.customShort("f"), .customLong("follow-forks")], help: "Follow threads and children: always on. Given twice (-ff) with -o FILE: one file per traced task, FILE.TID.")
    var follow: Int

    @Flag(name: .customLong("output-separately"), help: "strace's long form of -ff: with -o FILE, one file per traced task.")
    var outputSeparately = false

    @Flag(name: .customLong("seccomp-bpf"), help: "Stop only at the traced calls with a seccomp-bpf filter: always on for a launched command (impossible with -p).")
    var seccompBPF = false

    @Flag(name: .customShort("y"), help: "Print the paths of fd arguments: always on. Given twice (-yy): a device file also shows its type and numbers, </dev/zero<char 1:5>>.")
    var decodeFds: Int

    @Option(name: [.customShort("e", allowingJoined: true)],
            help: ArgumentHelp("trace=SET (names, %memory, %file, %desc, %process, %ipc; !SET, /REGEX, all): print and log only these calls; the model still sees every call. status=SET (successful, failed, unfinished). inject=SET:error=ERRNO|retval=N[:signal=SIG][:when=N|N+|N+STEP] and fault=SET[:error=…]: make the chosen calls fail without running. Repeatable.",
                               valueName: "expr"),
            completion: .list(["trace=%memory", "trace=%file", "trace=%desc", "trace=%ipc", "trace=mmap", "status=failed",
                               "inject=mmap:error=ENOMEM:when=", "fault=mmap:when="]))
    var expressions: [String] = []

    @Option(name: .customLong("trace"), help: ArgumentHelp("strace's long form of -e trace=SET.", valueName: "set"))
    var traceSets: [String] = []

    @Option(name: .customLong("status"), help: ArgumentHelp("strace's long form of -e status=SET.", valueName: "set"))
    var statusSets: [String] = []

    @Option(name: .customLong("inject"), help: ArgumentHelp("strace's long form of -e inject=SPEC.", valueName: "spec"))
    var injectSpecs: [String] = []

    @Option(name: .customLong("fault"), help: ArgumentHelp("strace's long form of -e fault=SPEC.", valueName: "spec"))
    var faultSpecs: [String] = []

    @Flag(name: [.customShort("Z"), .customLong("failed-only")], help: "Print only the calls that failed (-e status=failed).")
    var failedOnly = false

    @Flag(name: [.customShort("z"), .customLong("successful-only")], help: "Print only the calls that succeeded (-e status=successful).")
    var successfulOnly = false

    @Flag(name: .customShort("t"), help: "Prefix each line with the time of day; -tt with microseconds; -ttt as seconds since the epoch.")
    var timestamps: Int

    @Flag(name: [.customShort("r"), .customLong("relative-timestamps")], help: "Prefix each line with the time since the previous line.")
    var relativeTimestamps = false

    @Flag(name: [.customShort("T"), .customLong("syscall-times")], help: "Show the time spent in each call, entry to exit, as <seconds>.")
    var syscallTimes = false

    @Option(name: [.customShort("s", allowingJoined: true), .customLong("string-limit")], help: ArgumentHelp("Cut execve's argument strings after N bytes (file names are always printed whole, as strace prints them).", valueName: "n"))
    var stringLimit: Int?

    @Flag(name: [.customShort("k"), .customLong("stack-traces")], help: "Print the stack of the calling thread after every printed call (libunwind, as for a failure).")
    var stackTrace = false

    @Flag(name: [.customShort("c"), .customLong("summary-only")], help: "Count calls, errors and time per call, with the areas each added and removed, and print the table at the end instead of the calls (the diagnosis is still printed).")
    var summaryOnly = false

    @Flag(name: [.customShort("C"), .customLong("summary")], help: "Like -c, and print the calls too.")
    var summary = false

    @Flag(name: [.customShort("w"), .customLong("summary-wall-clock")], help: "With -c, wall-clock time from entry to exit stop: always on.")
    var wallClock = false

    @Flag(name: .customShort("V"), help: "Print the version and exit.")
    var version = false

    /// strace's timestamp options as one choice.
    var timestampStyle: TraceLineFormat.Timestamps {
        switch timestamps {
        case 0: relativeTimestamps ? .relative : .none
        case 1: .time
        case 2: .microseconds
        default: .epoch
        }
    }

    func validate() throws {
        if let stringLimit, stringLimit < 0 { throw ValidationError("-s \(stringLimit): the string limit is 0 or more") }
        if failedOnly && successfulOnly { throw ValidationError("-Z and -z together print nothing; give one") }
        if timestamps > 0 && relativeTimestamps { throw ValidationError("-r and -t exclude each other; give one") }
    }

    /// The `-e` expressions with -Z/-z folded in, parsed.
    func selection() throws -> TraceSelection {
        var all = expressions
        all += traceSets.map { "trace=" + $0 } + statusSets.map { "status=" + $0 }
        all += injectSpecs.map { "inject=" + $0 } + faultSpecs.map { "fault=" + $0 }
        if failedOnly { all.append("status=failed") }
        if successfulOnly { all.append("status=successful") }
        do { return try TraceExpression.parse(all) } catch { throw UsageError(error.description) }
    }
}

extension FailureAction: ExpressibleByArgument {}

/// A usage error worded by maptrace: `maptrace: MESSAGE` and exit 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) {
        self.description = description
        UsageError.last = description
    }

    /// argument-parser wraps what `validate()` throws in its own error type: the message is kept
    /// here so that main can still print it as maptrace's one line. One thread parses.
    nonisolated(unsafe) static var last: String?
}
