import ArgumentParser
import Glibc
import MapTrace

/// The command line: `maptrace [OPTIONS] -- COMMAND`, `maptrace -p PID`, and the post-mortem
/// subcommands. Every maptrace failure becomes one line on stderr and an exit code, here only.
struct MapTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maptrace",
        abstract: "Why did mmap fail? Trace a dataplane's hugetlbfs and memory calls and explain the first failure.",
        usage: """
        maptrace [OPTIONS] -- COMMAND [ARGS...]
               maptrace [OPTIONS] -p PID
               maptrace report [--json] [--all] [--svg FILE] LOG
               maptrace replay [OPTIONS] STRACE-LOG...
               maptrace check [-p PID] [--json]
        """,
        discussion: "The tracing options are listed by `maptrace help trace`; the man page is man/maptrace.1.",
        version: maptraceVersion,
        subcommands: [TraceCommand.self, ReportCommand.self, ReplayCommand.self, CheckCommand.self],
        defaultSubcommand: TraceCommand.self)
}

func runMain() -> Never {
    do {
        var command = try MapTraceCommand.parseAsRoot()
        try command.run()
        exit(0)
    } catch let error as MapTraceError {
        Console.error("maptrace: \(error)")
        exit(error.exitCode)
    } catch {
        let code = MapTraceCommand.exitCode(for: error)
        if code == .success || error is ExitCode {
            if code == .success { MapTraceCommand.exit(withError: error) }
            exit(code.rawValue)
        }
        // Usage errors exit 2, as most Unix tools do (argument-parser's default is 64).
        Console.error(MapTraceCommand.fullMessage(for: error))
        exit(code == .validationFailure ? 2 : code.rawValue)
    }
}

runMain()
