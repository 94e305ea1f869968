import ArgumentParser
import Foundation
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
        discussion: "strace's options work as in strace where they mean something here (-f, -ff -o, -e trace=/status=/inject=, -c, -t, -T, -k, -y, -s, -V); see `man maptrace`.",
        version: maptraceVersion,
        subcommands: [TraceCommand.self, ReportCommand.self, ReplayCommand.self, CheckCommand.self],
        defaultSubcommand: TraceCommand.self)
}

/// The top-level help: the overview and usage, the trace options (the default subcommand's,
/// which argument-parser would otherwise show only under `maptrace help trace`), then the
/// subcommands.
func topLevelHelp() -> String {
    let root = MapTraceCommand.helpMessage(columns: nil)
    let trace = TraceCommand.helpMessage(columns: nil)
    guard let rootOptions = root.range(of: "\nOPTIONS:"), let subcommands = root.range(of: "\nSUBCOMMANDS:"),
          let traceStart = trace.range(of: "\nARGUMENTS:") else { return root }
    let traceSections = trace[traceStart.lowerBound...].replacingOccurrences(
        of: "  -h, --help              Show help information.",
        with: "  --version               Show the version (also -V).\n  -h, --help              Show help information.")
    return String(root[..<rootOptions.lowerBound]) + traceSections.trimmingCharacters(in: .newlines) + "\n"
        + String(root[subcommands.lowerBound...])
}

/// argument-parser reads `-p -5` as -p with no value and an option -5: say what is wrong.
func checkNegativeValues(_ arguments: [String]) throws {
    let numeric: [String: String] = ["-p": "a process id is a positive number", "--pid": "a process id is a positive number",
                                     "--attach": "a process id is a positive number",
                                     "--cpu": "a CPU number is 0 or more", "-s": "the string limit is 0 or more"]
    for (i, argument) in arguments.enumerated() {
        if argument == "--" { return }
        guard let rule = numeric[argument], i + 1 < arguments.count else { continue }
        let value = arguments[i + 1]
        if value.hasPrefix("-"), Int(value.dropFirst()) != nil { throw UsageError("\(argument) \(value): \(rule)") }
    }
}

func runMain() -> Never {
    do {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["-h"] || arguments == ["--help"] || arguments == ["help"] {
            print(topLevelHelp())
            exit(0)
        }
        if arguments.contains(where: { $0.hasPrefix("--generate-completion-script") }) { CompletionRoot.main(arguments) }
        try checkNegativeValues(arguments)
        var command = try MapTraceCommand.parseAsRoot(arguments)
        try command.run()
        exit(0)
    } catch let code as ExitCode {
        // the trace's own end (the program's status): argument-parser's exitCode(for:) would
        // build the help's messages first, half a millisecond at the end of every run
        exit(code.rawValue)
    } catch let error as UsageError {
        Console.error("maptrace: \(error)")
        exit(2)
    } catch let error as MapTraceError {
        Console.error("maptrace: \(error)")
        exit(error.exitCode)
    } catch {
        let code = MapTraceCommand.exitCode(for: error)
        if code == .success || error is ExitCode {
            if code == .success { MapTraceCommand.exit(withError: error) }
            exit(code.rawValue)
        }
        if let message = UsageError.last {
            Console.error("maptrace: \(message)")
            exit(2)
        }
        // "Unknown option '-X'" (one inside a group of short flags): maptrace's one line.
        let message = MapTraceCommand.message(for: error)
        if let match = message.firstMatch(of: #/^Unknown option '([^']+)'/#) {
            Console.error("maptrace: \(UnsupportedOption.message(for: String(match.1)))")
            exit(2)
        }
        // Usage errors: one line pointing at the right help, exit 2 as most Unix tools do
        // (argument-parser's default is 64, with the usage after the message).
        if code == .validationFailure {
            let subcommand = CommandLine.arguments.dropFirst().first.flatMap { ["report", "replay", "check", "trace"].contains($0) ? $0 : nil }
            let sentence = message.hasSuffix(".") ? String(message.dropLast()) : message
            Console.error("maptrace: \(sentence); see maptrace \(subcommand.map { "help \($0)" } ?? "--help")")
            exit(2)
        }
        Console.error("maptrace: \(message)")
        exit(code.rawValue)
    }
}

runMain()
