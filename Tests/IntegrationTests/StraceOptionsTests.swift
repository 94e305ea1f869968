import Foundation
import Testing

/// strace's options on the real binary: parsed before the command, refused in one line when
/// unknown, and doing what they do in strace on real processes.
@Suite("strace's options", .serialized)
struct StraceOptionsTests {
    let maptrace = Fixture.binary("maptrace")

    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    @Test("unknown options are refused in one line with exit 2; strace's unsupported ones say why",
          arguments: [
            ("-X", "maptrace: strace's -X is not supported: maptrace prints flags symbolically"),
            ("-i", "maptrace: strace's -i is not supported: maptrace prints no instruction pointer; -k prints the caller's stack"),
            ("-J", "maptrace: unknown option -J; see maptrace --help"),
            ("--frobnicate", "maptrace: unknown option --frobnicate; see maptrace --help"),
          ])
    func unknownOptions(option: String, message: String) {
        let result = Fixture.run([maptrace, option, "--", "true"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr == message + "\n", "\(result)")
        let grouped = Fixture.run([maptrace, "-fJ", "--", "true"])
        #expect(grouped.status == 2 && grouped.stderr == "maptrace: unknown option -J; see maptrace --help\n", "\(grouped)")
    }

    @Test("every usage error is one line naming the help to read, with exit 2")
    func usageErrorsInOneLine() {
        for (argv, line) in [
            (["-e"], "maptrace: Missing value for '-e'; see maptrace --help"),
            (["--on-enomem", "maybe", "--", "true"],
             "maptrace: The value 'maybe' is invalid for '--on-enomem <action>'. Please provide one of 'continue', 'kill' or 'hold'; see maptrace --help"),
            (["report"], "maptrace: Missing expected argument '<log>'; see maptrace help report"),
            ([], "maptrace: no command given: maptrace [OPTIONS] -- COMMAND [ARGS...]; see maptrace --help"),
        ] {
            let result = Fixture.run([maptrace] + argv)
            #expect(result.status == 2 && result.stderr == line + "\n", "\(argv): \(result)")
        }
    }

    @Test("options maptrace takes as always on (-f, -y, --seccomp-bpf) are accepted, not taken for the command")
    func alwaysOn() {
        let result = Fixture.run([maptrace, "-f", "-y", "--seccomp-bpf", "-q", "--", "sh", "-c", "exit 3"])
        #expect(result.status == 3, "\(result)")
        #expect(!result.stderr.contains("command not found"))
        #expect(result.stderr.contains("maptrace: summary"))
    }

    @Test("-yy adds a device file's type and numbers, as strace -yy prints them")
    func deviceNumbers() throws {
        let ours = Fixture.run([maptrace, "-yy", "-e", "trace=openat", "--", "head", "-c", "1", "/dev/zero"])
        let line = try #require(lines(ours.stderr).first { $0.contains("\"/dev/zero\"") }, "\(ours)")
        #expect(line.contains(#/= \d+</dev/zero<char 1:5>>$/#), "\(line)")
        let reference = Fixture.run(["strace", "-yy", "-e", "trace=openat", "head", "-c", "1", "/dev/zero"])
        let theirs = try #require(lines(reference.stderr).first { $0.contains("\"/dev/zero\"") }, "\(reference)")
        // the fd number depends on what the test runner left open; the rest is strace's
        func normalised(_ s: String) -> String {
            s.replacing(#/^\[pid \d+\] /#, with: "").replacing(#/ +=/#, with: " =").replacing(#/= \d+</#, with: "= N<")
        }
        #expect(normalised(line) == normalised(theirs))
    }

    @Test("strace's long forms work as the short ones")
    func longForms() {
        let result = Fixture.run([maptrace, "--follow-forks", "--trace=%memory", "--failed-only", "--syscall-times",
                                  "--inject=mmap:error=ENOMEM:when=2", "--summary-wall-clock", "--", "true"])
        let calls = lines(result.stderr).filter { $0.hasPrefix("[pid ") && !$0.contains("+++") }
        #expect(calls.count == 1 && calls[0].contains("(INJECTED) <0."), "\(result)")
        let counted = Fixture.run([maptrace, "--summary-only", "--string-limit", "4", "--", "true"])
        #expect(counted.stderr.contains("% time     seconds"), "\(counted)")
    }

    @Test("-p -5 and --cpu -1 say what is wrong with the value; -V prints the version")
    func badValues() {
        let pid = Fixture.run([maptrace, "-p", "-5"])
        #expect(pid.status == 2 && pid.stderr == "maptrace: -p -5: a process id is a positive number\n", "\(pid)")
        let cpu = Fixture.run([maptrace, "--cpu", "-1", "--", "true"])
        #expect(cpu.status == 2 && cpu.stderr == "maptrace: --cpu -1: a CPU number is 0 or more\n", "\(cpu)")
        let two = Fixture.run([maptrace, "-p", "1", "-p", "2"])
        #expect(two.status == 2 && two.stderr.hasSuffix("give one -p\n"), "\(two)")
        let version = Fixture.run([maptrace, "-V"])
        #expect(version.status == 0 && version.stdout.hasPrefix("maptrace version "), "\(version)")
        let bad = Fixture.run([maptrace, "-e", "trace=mmapp", "--", "true"])
        #expect(bad.status == 2 && bad.stderr == "maptrace: -e trace=mmapp: invalid system call 'mmapp'\n", "\(bad)")
    }

    @Test("a mistyped subcommand gets a did-you-mean; a missing command is still 127")
    func didYouMean() {
        let typo = Fixture.run([maptrace, "reprot", "x.jsonl"])
        #expect(typo.status == 2, "\(typo)")
        #expect(typo.stderr == "maptrace: reprot: neither a maptrace subcommand nor a command; did you mean `maptrace report`?\n")
        let missing = Fixture.run([maptrace, "--", "no-such-command-anywhere"])
        #expect(missing.status == 127 && missing.stderr.contains("no-such-command-anywhere: command not found"), "\(missing)")
    }

    @Test("the top-level help lists the trace options; `maptrace trace --help` works")
    func help() {
        let top = Fixture.run([maptrace, "--help"])
        #expect(top.status == 0)
        for text in ["STRACE OPTIONS:", "-e <expr>", "--seccomp-bpf", "-c, --summary-only", "--inject <spec>", "--on-enomem <action>", "SUBCOMMANDS:", "report"] {
            #expect(top.stdout.contains(text), "\(text) missing from --help")
        }
        let flowing = top.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flowing.contains("continue, kill, hold; default: continue)"), "typed values are listed")
        let trace = Fixture.run([maptrace, "trace", "--help"])
        #expect(trace.status == 0 && trace.stdout.contains("STRACE OPTIONS:"), "\(trace)")
        let completion = Fixture.run([maptrace, "--generate-completion-script", "fish"])
        #expect(completion.stdout.contains("-l 'on-enomem'") && completion.stdout.contains("-rfka 'continue kill hold'"),
                "--on-enomem completes its values, not subcommand names")
    }

    @Test("-e trace=SET prints every call of the set and nothing else; -Z only the failures")
    func traceSet() {
        let result = Fixture.run([maptrace, "-e", "trace=mmap,munmap", "-C", "--", "true"])
        let calls = lines(result.stderr).filter { $0.hasPrefix("[pid ") && !$0.contains("+++") }
        #expect(!calls.isEmpty && calls.allSatisfy { $0.contains("] mmap(") || $0.contains("] munmap(") }, "\(result)")
        let listed = Fixture.run([maptrace, "-e", "trace=%memory", "--", "true"])
        #expect(lines(listed.stderr).contains { $0.contains("] brk(") })
        #expect(!lines(listed.stderr).contains { $0.contains("] openat(") || $0.contains("] execve(") })
        let failed = Fixture.run([maptrace, "-Z", "-e", "trace=%memory", "-e", "inject=mmap:error=EPERM:when=2", "--", "true"])
        let shown = lines(failed.stderr).filter { $0.hasPrefix("[pid ") && !$0.contains("+++") }
        #expect(shown.count == 1 && shown[0].hasSuffix("= -1 EPERM (Operation not permitted) (INJECTED)"), "\(failed)")
        let untraced = Fixture.run([maptrace, "-q", "-e", "trace=mmap,read", "--", "true"])
        #expect(untraced.stderr.contains("maptrace: -e trace=read: maptrace does not stop read"), "\(untraced)")
    }

    @Test("-tt -T and -k lines written to a file are read back by maptrace replay")
    func replayReadsTimedLines() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-forms")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/trace"
        let result = Fixture.run([maptrace, "-tt", "-T", "-k", "--all", "-o", file,
                                  "-e", "inject=mmap:error=ENOMEM:when=4", "--", "true"])
        #expect(result.status == 127, "the loader cannot map libc: \(result)")
        let trace = try Fixture.readFile(file)
        let timed = #/^\[pid \d+\] \d\d:\d\d:\d\d\.\d{6} mmap\(.*\) = -1 ENOMEM \(Cannot allocate memory\) \(INJECTED\) <\d+\.\d{6}>$/#
        #expect(lines(trace).contains { $0.wholeMatch(of: timed) != nil }, "\(trace)")
        #expect(lines(trace).contains { $0.hasPrefix(" > ") }, "-k frames")
        let replay = Fixture.run([maptrace, "replay", file])
        #expect(replay.stdout.contains(#/: \d+ calls replayed, strace -tt times/#), "\(replay)")
        #expect(!replay.stdout.contains("lines that could not be read"), "\(replay)")
    }

    @Test("an injected failure is printed (INJECTED), diagnosed as injected, and the program's end is in the summary")
    func injectedFailure() {
        let result = Fixture.run([maptrace, "-e", "inject=mmap:error=ENOMEM:when=3", "--", "true"])
        #expect(result.status == 127, "\(result)")
        #expect(result.stderr.contains("(Cannot allocate memory) (INJECTED)"))
        #expect(result.stderr.contains("  cause:      injected (confirmed)"), "\(result)")
        #expect(!result.stderr.contains("vm.max_map_count ="), "no fix for an injected failure")
        #expect(result.stderr.contains("at its 3rd mmap (-e inject=mmap:error=ENOMEM:when=3); the program made no more mappings and exited with 127"), "\(result)")
        // glibc's malloc falls back from brk to mmap: the program goes on
        let brk = Fixture.run([maptrace, "-q", "-e", "inject=brk:error=ENOMEM:when=2+", "--", "ls", "/"])
        #expect(brk.status == 0, "\(brk)")
        #expect(brk.stderr.contains(#/the program went on and made \d+ more mappings? and exited with 0/#), "\(brk)")
        let signal = Fixture.run([maptrace, "-q", "-e", "inject=mmap:signal=SIGUSR1:when=4", "--", "true"])
        #expect(signal.status == 128 + SIGUSR1, "\(signal)")
    }

    @Test("injection works on an attached process too: its child's third mmap fails, as injected")
    func injectedWhenAttached() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-attach")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/run.sh"
        try "sleep 1\nls / > /dev/null\necho \"ls exited $?\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        let shell = try Fixture.start(["/bin/sh", script])
        usleep(300_000)
        let traced = Fixture.run([maptrace, "-p", String(shell.pid), "-e", "inject=mmap:error=ENOMEM:when=3"], timeout: 30)
        let result = shell.wait(timeout: 30)
        #expect(result.stdout.contains("ls exited 127"), "\(result)")
        #expect(traced.stderr.contains("(INJECTED)") && traced.stderr.contains("  cause:      injected (confirmed)"), "\(traced)")
        #expect(traced.stderr.contains("at its 3rd mmap (-e inject=mmap:error=ENOMEM:when=3); the program made no more mappings and exited with 127"),
                "\(traced)")
    }

    @Test("the log of an injected failure reads back with its (INJECTED) mark and the cause injected")
    func injectedFailureLogged() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-inject")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/run.jsonl"
        _ = Fixture.run([maptrace, "-q", "--log", log, "-e", "inject=mmap:error=ENOMEM:when=3", "--", "true"])
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        let report = Fixture.run([maptrace, "report", log])
        #expect(report.stdout.contains("= -1 ENOMEM (Cannot allocate memory) (INJECTED)"), "\(report)")
        #expect(report.stdout.contains("  cause:      injected (confirmed)"), "\(report)")
        #expect(report.stdout.contains(#/  injected: mmap ENOMEM into pid \d+; the program made no more mappings and exited with 127/#), "\(report)")
        let json = Fixture.run([maptrace, "report", "--json", log])
        let diagnoses = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(diagnoses?.first?["cause"] as? String == "injected", "\(json)")
    }

    @Test("-ff -o FILE writes one file per task, FILE.TID, without the pid prefix")
    func perTaskFiles() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-ff")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = Fixture.run([maptrace, "-ff", "-o", dir + "/trace", "-e", "trace=execve", "--", "sh", "-c", "/bin/true; /bin/true"])
        #expect(result.status == 0, "\(result)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files.count == 3, "sh and its two children: \(files)")
        for name in files {
            let text = try Fixture.readFile(dir + "/" + name)
            #expect(text.hasPrefix("execve(\""), "\(name): \(text)")
            #expect(text.contains("+++ exited with 0 +++") && !text.contains("[pid "), "\(name): \(text)")
        }
    }

    @Test("-o |CMD pipes the trace into CMD")
    func pipedOutput() {
        let result = Fixture.run([maptrace, "--all", "-o", "|grep -c 'mmap('", "--", "true"])
        #expect(result.status == 0, "\(result)")
        let count = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(count >= 4, "\(result)")
        #expect(result.stderr.contains("maptrace: summary"))
    }

    @Test("-c prints strace's table with the areas each call added and removed, not the calls")
    func summaryTable() {
        let result = Fixture.run([maptrace, "-c", "--", "sh", "-c", "exit 0"])
        #expect(result.status == 0, "\(result)")
        let out = lines(result.stderr)
        #expect(out.contains("% time     seconds  usecs/call     calls    errors   +areas   -areas syscall"), "\(result)")
        // fixed columns, as strace's: calls at 31..<40, +areas at 51..<59
        func column(_ line: String, _ start: Int, _ width: Int) -> Int? {
            let chars = Array(line)
            guard chars.count >= start + width else { return nil }
            return Int(String(chars[start..<(start + width)]).trimmingCharacters(in: .whitespaces))
        }
        let mmap = out.first { $0.hasSuffix(" mmap") } ?? ""
        #expect((column(mmap, 31, 9) ?? 0) >= 4 && (column(mmap, 51, 8) ?? 0) >= 4, "mmap adds areas: \(mmap)")
        #expect(out.contains { $0.hasSuffix(" total") })
        #expect(!out.contains { $0.contains("] mmap(") }, "-c hides the calls")
    }
}
