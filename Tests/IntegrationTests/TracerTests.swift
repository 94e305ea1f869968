import Foundation
import Testing

/// The real maptrace binary on real processes: the hugeprobe fixture, shells, sleep.
@Suite("Tracing real processes", .serialized)
struct TracerTests {
    let maptrace = Fixture.binary("maptrace")
    let hugeprobe = Fixture.binary("hugeprobe")
    let int80probe = Fixture.binary("int80probe")

    /// hugetlbfs calls from the main thread, a second thread and a forked child, one page each.
    @Test("hugetlbfs calls from a thread and a forked child are decoded with their pids", Fixture.privileged)
    func threadsAndChildren() throws {
        let stage = try HugetlbStage(pages: 8, options: "pagesize=2M,size=16M")
        defer { stage.restore() }
        let mount = stage.mount

        let result = Fixture.run([maptrace, "--no-status", "--", hugeprobe, "files", mount.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("files: ok"))
        let lines = result.stderr.split(separator: "\n").map(String.init)

        var tids: [String: String] = [:]
        for who in ["main", "thread", "child"] {
            let file = "\(mount.path)/probe_\(who)"
            let open = try #require(lines.first { $0.contains("openat(") && $0.contains("\"\(file)\"") }, "no openat of \(file) in:\n\(result.stderr)")
            let openPattern = #/^\[pid (\d+)\] openat\(AT_FDCWD<[^>]+>, "([^"]+)", O_RDWR\|O_CREAT, 0600\) = (\d+)<([^>]+)> maps=\d+/\d+$/#
            let o = try #require(open.wholeMatch(of: openPattern), "openat line: \(open)")
            #expect(String(o.2) == file && String(o.4) == file)
            let fd = String(o.3)
            let mmap = try #require(lines.first { $0.contains("mmap(") && $0.contains("<\(file)>") }, "no mmap of \(file)")
            let mmapPattern = #/^\[pid (\d+)\] mmap\(NULL, 2097152, PROT_READ\|PROT_WRITE, MAP_SHARED\|MAP_POPULATE, (\d+)<([^>]+)>, 0\) = 0x[0-9a-f]+ maps=(\d+)/(\d+)$/#
            let m = try #require(mmap.wholeMatch(of: mmapPattern), "mmap line: \(mmap)")
            #expect(String(m.1) == String(o.1) && String(m.2) == fd)
            // the munmap of that page is a hugetlb call too
            #expect(lines.contains { $0.hasPrefix("[pid \(o.1)] munmap(") && $0.contains(", 2097152)") && $0.contains(" = 0 maps=") })
            tids[who] = String(o.1)
        }
        #expect(Set(tids.values).count == 3, "main, thread and child must show three different pids: \(tids)")
        // The summary counts every hugetlbfs file: 2 in the process (main thread + thread), 1 in the child.
        #expect(result.stderr.contains("hugetlbfs: 2 files opened, 2 mappings made"))
        #expect(result.stderr.contains("hugetlbfs: 1 file opened, 1 mapping made"))
        #expect(result.stderr.contains("2 MiB pages: 4 MiB mapped"))
        #expect(mount.files.isEmpty)
    }

    /// A path is read from the traced program a page or two at a time: one that ends on the last
    /// byte before an unmapped page, and one that straddles two pages, are both read whole.
    @Test("paths that end just before an unmapped page or straddle two pages are decoded whole")
    func pathsAtPageEdges() throws {
        // the two pages: the path's end at the top of the first, the second unmapped; then a
        // path that starts 5 bytes before the end of a page and goes on into the next
        let script = """
            import ctypes, mmap
            libc = ctypes.CDLL(None, use_errno=True)
            libc.mmap.restype = ctypes.c_void_p
            libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
            libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
            libc.open.argtypes = [ctypes.c_void_p, ctypes.c_int]
            page = mmap.PAGESIZE
            for name, at_end in [(b"/nonexistent/edge-of-a-page", True), (b"/nonexistent/across-two-pages", False)]:
                base = libc.mmap(None, 2 * page, 3, 0x22, -1, 0)
                if at_end:
                    libc.munmap(base + page, page)
                    start = base + page - len(name) - 1
                else:
                    start = base + page - 5
                ctypes.memmove(start, name + b"\\0", len(name) + 1)
                libc.open(start, 0)
            """
        let result = Fixture.run([maptrace, "--no-status", "--all", "--", "python3", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        for path in ["/nonexistent/edge-of-a-page", "/nonexistent/across-two-pages"] {
            #expect(result.stderr.contains("\"\(path)\", O_RDONLY) = -1 ENOENT"), "\(path) in:\n\(result.stderr)")
        }
    }

    /// maptrace's openat and mmap lines equal `strace -f -y`'s for the same program, addresses aside.
    @Test("openat and mmap lines match strace -f -y", Fixture.privileged)
    func matchesStrace() throws {
        let stage = try HugetlbStage(pages: 8, options: "pagesize=2M")
        defer { stage.restore() }
        let mount = stage.mount

        let traced = Fixture.run([maptrace, "--no-status", "--", hugeprobe, "files", mount.path])
        #expect(traced.status == 0, "\(traced.stderr)")
        let straceLog = NSTemporaryDirectory() + "maptrace-strace-\(getpid()).log"
        defer { unlink(straceLog) }
        let reference = Fixture.run(["strace", "-f", "-y", "-o", straceLog, "-e", "trace=openat,mmap", hugeprobe, "files", mount.path])
        #expect(reference.status == 0, "\(reference.stderr)")
        let straceText = try String(contentsOfFile: straceLog, encoding: .utf8)

        func normalise(_ lines: [String]) -> [String] {
            lines.filter { ($0.contains("openat(") || $0.contains("mmap(")) && $0.contains(mount.path) }
                .map { line in
                    var s = line
                    s = s.replacing(#/^(\[pid +\d+\] |\d+ +)/#, with: "")       // pid prefixes differ in form
                    s = s.replacing(#/ maps=\d+/\d+$/#, with: "")               // maptrace's annotation
                    s = s.replacing(#/0x[0-9a-f]+/#, with: "ADDR")
                    s = s.replacing(#/ +=/#, with: " =")                         // column padding
                    return s
                }
                .sorted()
        }
        let ours = normalise(traced.stderr.split(separator: "\n").map(String.init))
        let theirs = normalise(straceText.split(separator: "\n").map(String.init))
        #expect(ours.count == 6)
        #expect(ours == theirs)
    }

    @Test("-o sends the trace to a file; the summary still reaches stderr")
    func outputFile() throws {
        let file = NSTemporaryDirectory() + "maptrace-o-\(getpid()).trace"
        defer { unlink(file) }
        let result = Fixture.run([maptrace, "--no-status", "--all", "-o", file, "--", hugeprobe, "anon", "3"])
        #expect(result.status == 0)
        let trace = try Fixture.readFile(file)
        #expect(trace.contains("] execve(\"\(hugeprobe)\""))
        #expect(trace.contains("mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x"))
        #expect(!result.stderr.contains("execve("), "the calls go to the file only")
        #expect(result.stderr.contains("maptrace: summary"))
    }

    @Test("on a terminal the program does not write to, a one-line live status shows the mapping count against the limit")
    func liveStatus() {
        // script(1) gives maptrace a terminal; the status line is redrawn in place with \r and ESC[K.
        // The program sends its own output elsewhere, so the line cannot mix with it.
        let result = Fixture.run(["script", "-qec", "\(maptrace) -- /bin/sh -c 'exec >/dev/null 2>&1; for i in 1 2 3 4 5 6 7 8; do sleep 0.1; /bin/true; done'", "/dev/null"])
        #expect(result.status == 0, "\(result.stdout)")
        let max = (try? Fixture.readFile("/proc/sys/vm/max_map_count"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        #expect(result.stdout.contains("\r\u{1B}[Kmaptrace: pid "))
        #expect(result.stdout.contains("/\(max)  hugetlbfs files 0  mapped 0 bytes"))
        let piped = Fixture.run([maptrace, "-q", "--", "/bin/true"])
        #expect(!piped.stderr.contains("\u{1B}[K"), "no status line when stderr is not a terminal")
    }

    @Test("a program writing to the same terminal never has its lines glued to a status line, and sees each trace line at once")
    func noGluedLines() {
        let script = "for i in 1 2 3 4 5 6; do sleep 0.1; /bin/true; echo program-line-$i; done"
        let result = Fixture.run(["script", "-qec", "\(maptrace) --all -e trace=execve -- /bin/sh -c '\(script)'", "/dev/null"])
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("\u{1B}[K"), "no status while the program writes to the terminal: \(result.stdout)")
        let lines = result.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map(String.init)
        for i in 1...6 { #expect(lines.contains("program-line-\(i)"), "program-line-\(i) glued or missing: \(result.stdout)") }
        // each execve line comes before the program's line that follows it: nothing was held back
        let execs = lines.indices.filter { lines[$0].contains("execve(\"/bin/true\"") }
        let programLines = lines.indices.filter { lines[$0].hasPrefix("program-line-") }
        #expect(execs.count == 6 && zip(execs, programLines).allSatisfy { $0 < $1 }, "\(result.stdout)")
    }

    @Test("colour on a terminal marks the errno and the cause; NO_COLOR and a pipe turn it off")
    func colour() {
        let command = "\(maptrace) -e inject=mmap:error=ENOMEM:when=3 -- /bin/true"
        // swift test itself sets NO_COLOR=1 for what it runs; an empty NO_COLOR means unset
        let coloured = Fixture.run(["script", "-qec", command, "/dev/null"], environment: ["NO_COLOR": ""])
        #expect(coloured.stdout.contains("= -1 \u{1B}[31m\u{1B}[1mENOMEM\u{1B}[0m"), "\(coloured.stdout)")
        #expect(coloured.stdout.contains("\u{1B}[31m\u{1B}[1minjected\u{1B}[0m"), "\(coloured.stdout)")
        let plain = Fixture.run(["script", "-qec", command, "/dev/null"], environment: ["NO_COLOR": "1"])
        #expect(plain.stdout.contains("ENOMEM") && !plain.stdout.contains("\u{1B}[31m"), "\(plain.stdout)")
        let piped = Fixture.run([maptrace, "-e", "inject=mmap:error=ENOMEM:when=3", "--", "/bin/true"], environment: ["NO_COLOR": ""])
        #expect(piped.stderr.contains("ENOMEM") && !piped.stderr.contains("\u{1B}["), "\(piped.stderr)")
    }

    @Test("the exit status is the command's, and 128+N when signal N killed it")
    func exitStatus() {
        let seven = Fixture.run([maptrace, "-q", "--", "/bin/sh", "-c", "exit 7"])
        #expect(seven.status == 7)
        let segv = Fixture.run([maptrace, "--no-status", "--", hugeprobe, "segv"])
        #expect(segv.status == 128 + 11)
        #expect(segv.stderr.contains("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---"))
        #expect(segv.stderr.contains("+++ killed by SIGSEGV"))
    }

    @Test("a SIGBUS the program handles itself is passed through, and it exits 0")
    func sigbusPassedThrough() {
        let result = Fixture.run([maptrace, "--no-status", "--", hugeprobe, "sigbus-handled"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("caught SIGBUS"))
        #expect(result.stderr.contains("--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x"))
    }

    @Test("the launched program's CPU mask is its bare run's: main thread, a thread, a forked child")
    func cpuMaskUntouched() throws {
        let bare = Fixture.run([hugeprobe, "affinity"])
        #expect(bare.status == 0 && bare.stdout.contains("child cpus"), "\(bare.stdout)")
        let traced = Fixture.run([maptrace, "-q", "--", hugeprobe, "affinity"])
        #expect(traced.status == 0)
        #expect(traced.stdout == bare.stdout)
        // --cpu moves maptrace only
        let moved = Fixture.run([maptrace, "-q", "--cpu", "0", "--", hugeprobe, "affinity"])
        #expect(moved.stdout == bare.stdout)
        let unfollowed = Fixture.run([maptrace, "-q", "--no-follow", "--", hugeprobe, "affinity"])
        #expect(unfollowed.stdout == bare.stdout)
    }

    @Test("maptrace follows the stopping thread as a SCHED_IDLE task, and not with --no-follow or --cpu; pinned, it keeps the policy")
    func tracerPolicy() throws {
        // the program looks at its tracer from inside: policy 5 is SCHED_IDLE, 0 SCHED_OTHER
        let script = """
            import os, mmap
            mmap.mmap(-1, 4096).close()
            tracer = int(open("/proc/self/status").read().split("TracerPid:")[1].split()[0])
            print("self", os.sched_getscheduler(0), "tracer", os.sched_getscheduler(tracer))
            """
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else {
            print("skipped: maptrace does not follow on a machine with one CPU")
            return
        }
        let followed = Fixture.run([maptrace, "-q", "--", "python3", "-c", script])
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect(followed.stdout == "self 0 tracer 5\n")
        for flags in [["--no-follow"], ["--cpu", "0"], ["--pin-tracee", "--no-follow"]] {
            let normal = Fixture.run([maptrace, "-q"] + flags + ["--", "python3", "-c", script])
            #expect(normal.stdout == "self 0 tracer 0\n", "\(flags): \(normal.stdout) \(normal.stderr)")
        }
        // pinned with the program, maptrace keeps the policy: a stop finds it runnable
        let pinned = Fixture.run([maptrace, "-q", "--pin-tracee", "--", "python3", "-c", script])
        #expect(pinned.stdout == "self 0 tracer 5\n", "\(pinned.stdout) \(pinned.stderr)")
    }

    @Test("a program that keeps every CPU busy is not held up by maptrace's idle priority")
    func busyProgramNotStarved() throws {
        // Every CPU runs a spinning thread of the program while its main thread makes 2,000
        // pairs. maptrace's SCHED_IDLE policy would get almost no CPU then: 20 to 40 s measured
        // for these pairs without the starvation watch, 2 to 3 s with a watch that only looked
        // for a stop left waiting (SCHED_IDLE still gets a slice now and then), 0.2 s now;
        // 0.24 s under `taskset -c 0 strace -f`, 0.55 s under strace unpinned.
        for flags in [[], ["--pin-tracee"]] {
            let started = Date()
            let result = Fixture.run([maptrace, "-q", "--no-status"] + flags + ["--", hugeprobe, "busy", "2000"], timeout: 120)
            let seconds = Date().timeIntervalSince(started)
            #expect(result.status == 0, "\(flags): \(result.stderr)")
            #expect(result.stdout.contains("2000 pairs beside"), "\(flags): \(result.stdout)")
            #expect(seconds < 1.5, "\(flags): 2000 pairs took \(seconds) s beside busy CPUs: \(result.stdout)")
        }
    }

    @Test("a multi-threaded program's mask is its bare run's, as Python reports it")
    func cpuMaskOfThreadedInterpreter() throws {
        let script = """
            import os, threading
            def show(): os.write(1, f"thread {sorted(os.sched_getaffinity(0))}\\n".encode())
            print("main", sorted(os.sched_getaffinity(0)), flush=True)
            threads = [threading.Thread(target=show) for _ in range(4)]
            for t in threads: t.start()
            for t in threads: t.join()
            print("after", open("/proc/self/status").read().split("Cpus_allowed_list:")[1].split()[0])
            """
        let bare = Fixture.run(["python3", "-c", script])
        try #require(bare.status == 0, "\(bare.stderr)")
        let traced = Fixture.run([maptrace, "-q", "--", "python3", "-c", script])
        #expect(traced.status == 0)
        // the threads' lines may come in any order
        #expect(traced.stdout.split(separator: "\n").sorted() == bare.stdout.split(separator: "\n").sorted())
    }

    @Test("--pin-tracee pins the program, its threads and children to one CPU, as taskset would")
    func pinTracee() throws {
        let pinned = Fixture.run([maptrace, "-q", "--pin-tracee", "--cpu", "0", "--", hugeprobe, "affinity"])
        #expect(pinned.status == 0)
        for who in ["single-threaded", "thread", "multi-threaded", "child"] {
            #expect(pinned.stdout.contains("\(who) cpus 1: 0, policy 0\n"), "\(pinned.stdout)")
        }
    }

    @Test("--cpu must name an online CPU: one line, exit 2")
    func cpuValidated() {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        for bad in ["\(online + 3)", "99999"] {
            let result = Fixture.run([maptrace, "-q", "--cpu", bad, "--", "/bin/true"])
            #expect(result.status == 2)
            #expect(result.stderr.hasPrefix("maptrace: --cpu \(bad): not an online CPU (online: "))
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        let negative = Fixture.run([maptrace, "-q", "--cpu", "-1", "--", "/bin/true"])
        #expect(negative.status == 2)
    }

    @Test("a child made with CLONE_UNTRACED stays traced, and its memory calls work")
    func cloneUntraced() {
        let traced = Fixture.run([maptrace, "--no-status", "--all", "--", hugeprobe, "untraced"])
        #expect(traced.status == 0, "\(traced.stdout)\(traced.stderr)")
        #expect(traced.stdout.contains("untraced child mmap: ok"))
        #expect(traced.stderr.contains("asked for an untraced child (CLONE_UNTRACED); maptrace cleared the flag"))
        // the child's own mmap is traced, under the child's pid
        let lines = traced.stderr.split(separator: "\n")
        let parent = lines.first { $0.contains("] execve(") }?.split(separator: "]").first
        let child = lines.first { $0.contains("] mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x") }?.split(separator: "]").first
        #expect(parent != nil && child != nil && parent != child, "\(traced.stderr)")
    }

    @Test("an i386 getpid through int 0x80 runs untouched: the program exits with its bare status")
    func int80Getpid() {
        let bare = Fixture.run([int80probe, "getpid"])
        #expect(bare.status == 4)
        let traced = Fixture.run([maptrace, "--no-status", "--", int80probe, "getpid"])
        #expect(traced.status == bare.status, "\(traced.stderr)")
        #expect(traced.stdout == bare.stdout)
        #expect(!traced.stderr.contains("32-bit"))
    }

    @Test("i386 memory calls through int 0x80 are decoded and counted in the model")
    func int80Memory() throws {
        let log = NSTemporaryDirectory() + "int80-\(getpid()).jsonl"
        defer { unlink(log) }
        let traced = Fixture.run([maptrace, "--no-status", "--all", "--log", log, "--", int80probe, "memory"])
        #expect(traced.status == 0, "\(traced.stdout)\(traced.stderr)")
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        func printed(_ what: String) throws -> String {
            let line = try #require(traced.stdout.split(separator: "\n").first { $0.hasPrefix("\(what) = ") })
            return String(try #require(line.split(separator: "(").last?.dropLast()))
        }
        let mmap2 = try printed("mmap2"), oldMmap = try printed("old_mmap")
        let shmat = String(try #require(traced.stdout.split(separator: "\n").first { $0.hasPrefix("shmat address ") }).dropFirst(14))
        // strace's notation, with the i386 arguments as the x86_64 call's
        let lines = traced.stderr.split(separator: "\n").map { $0.replacing(#/ +=/#, with: " =") }
        for line in ["mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = \(mmap2)",
                     "mmap(NULL, 12288, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = \(oldMmap)",
                     "mprotect(\(oldMmap), 4096, PROT_READ|PROT_WRITE) = 0",
                     "munmap(\(oldMmap), 12288) = 0",
                     ") = \(shmat)",  // ipc(SHMAT)'s address, read from the caller's memory
                     "shmdt(\(shmat)) = 0",
                     "munmap(\(mmap2), 8192) = 0",
                     "shmget(IPC_PRIVATE, 4096, IPC_CREAT|0600) = "] {
            #expect(lines.contains { $0.contains(line) }, "no \(line) in\n\(traced.stderr)")
        }

        // the model's count moves with each call as the kernel's does
        let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "syscall" }
        func count(_ name: String, _ address: String) throws -> Int {
            let value = try #require(Int(address.dropFirst(2), radix: 16))
            let record = try #require(records.last {
                $0["name"] as? String == name && ($0["result"] as? Int == value || ($0["args"] as? [Int])?.first == value)
            }, "no \(name) record for \(address)")
            return try #require(record["map_count"] as? Int)
        }
        let afterMmap2 = try count("mmap", mmap2)
        let afterOld = try count("mmap", oldMmap)
        #expect(afterOld == afterMmap2 + 1, "a read-only mapping next to a read-write one is a mapping of its own")
        #expect(try count("mprotect", oldMmap) == afterOld + 1, "mprotect of its first page splits it")
        #expect(try count("munmap", oldMmap) == afterMmap2)
        #expect(try count("shmat", shmat) == afterMmap2 + 1)
        #expect(try count("munmap", mmap2) == afterMmap2 - 1)
    }

    @Test("bad commands and pids get one line and the shell's exit codes")
    func badInput() throws {
        let missing = Fixture.run([maptrace, "--", "/nonexistent"])
        #expect(missing.status == 127)
        #expect(missing.stderr == "maptrace: /nonexistent: No such file or directory\n")
        let notFound = Fixture.run([maptrace, "--", "no-such-command-maptrace"])
        #expect(notFound.status == 127)
        #expect(notFound.stderr == "maptrace: no-such-command-maptrace: command not found\n")
        let plain = NSTemporaryDirectory() + "maptrace-plain-\(getpid())"
        FileManager.default.createFile(atPath: plain, contents: Data("not a program\n".utf8), attributes: [.posixPermissions: 0o644])
        defer { unlink(plain) }
        let notExecutable = Fixture.run([maptrace, "--", plain])
        #expect(notExecutable.status == 126)
        #expect(notExecutable.stderr == "maptrace: \(plain): Permission denied\n")
        // executable but not a program: the kernel's ENOEXEC, said once
        chmod(plain, 0o755)
        let notAProgram = Fixture.run([maptrace, "--", plain])
        #expect(notAProgram.status == 126)
        #expect(notAProgram.stderr.hasSuffix("maptrace: \(plain): Exec format error\n"))
        let none = Fixture.run([maptrace])
        #expect(none.status == 2)
        #expect(none.stderr.contains("no command given"))
        let gone = Fixture.run([maptrace, "-p", "999999999"])
        #expect(gone.status == 1)
        #expect(gone.stderr == "maptrace: -p 999999999: no such process\n")
    }

    @Test("SIGTERM to maptrace is passed on to the launched command, whose status maptrace returns")
    func signalPassedOn() throws {
        let tracer = try Fixture.start([maptrace, "--no-status", "--all", "--", "/bin/sleep", "30"])
        #expect(tracer.waitForOutput(containing: "execve(\"/bin/sleep\"", timeout: 10))
        usleep(100_000)
        tracer.send(SIGTERM)
        let result = tracer.wait(timeout: 10)
        #expect(!result.timedOut)
        #expect(result.status == 128 + SIGTERM)
        #expect(result.stderr.contains("+++ killed by SIGTERM +++"))
    }

    @Test("when maptrace is killed, the command it launched dies with it (EXITKILL)")
    func exitKill() throws {
        let tracer = try Fixture.start([maptrace, "--no-status", "--all", "--", "/bin/sleep", "30"])
        #expect(tracer.waitForOutput(containing: "execve(\"/bin/sleep\"", timeout: 10))
        let children = (try? Fixture.readFile("/proc/\(tracer.pid)/task/\(tracer.pid)/children")) ?? ""
        let sleeper = try #require(children.split(separator: " ").first.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        tracer.send(SIGKILL)
        _ = tracer.wait(timeout: 10)
        var gone = false
        for _ in 0..<100 where !gone {
            usleep(20_000)
            let state = (try? Fixture.readFile("/proc/\(sleeper)/status")) ?? ""
            gone = state.isEmpty || state.contains("State:\tZ")
        }
        #expect(gone, "the launched sleep must not outlive maptrace")
    }

    @Test("-p refuses a process another tracer holds, and names that tracer")
    func alreadyTraced() throws {
        let sleeper = try Fixture.start(["strace", "-o", "/dev/null", "sleep", "20"])
        defer { sleeper.send(SIGKILL); _ = sleeper.wait(timeout: 5) }
        // strace's child is the traced sleep: find it
        var target: Int32?
        for _ in 0..<100 where target == nil {
            usleep(50_000)
            let children = (try? String(contentsOfFile: "/proc/\(sleeper.pid)/task/\(sleeper.pid)/children", encoding: .utf8)) ?? ""
            target = children.split(separator: " ").first.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        let pid = try #require(target)
        let result = Fixture.run([maptrace, "-p", String(pid)])
        #expect(result.status == 1)
        #expect(result.stderr.contains("maptrace: -p \(pid): already being traced by pid \(sleeper.pid) (strace)"))
    }

    @Test("-p attaches to a running process and Ctrl-C detaches, leaving it running")
    func attachAndDetach() throws {
        let target = try Fixture.start(["/bin/sh", "-c", "while :; do sleep 0.05; done"])
        defer { target.send(SIGKILL); _ = target.wait(timeout: 5) }
        usleep(200_000)
        let tracer = try Fixture.start([maptrace, "--no-status", "--all", "-p", String(target.pid)])
        #expect(tracer.waitForOutput(containing: "attached to pid \(target.pid)", timeout: 10))
        #expect(tracer.waitForOutput(containing: "execve(", timeout: 10), "the loop's sleep children are followed")
        tracer.send(SIGINT)
        let result = tracer.wait(timeout: 10)
        #expect(result.status == 0, "\(result.stderr)")
        let status = try String(contentsOfFile: "/proc/\(target.pid)/status", encoding: .utf8)
        #expect(status.contains("TracerPid:\t0"))
        #expect(!status.contains("State:\tt"), "the process is left running, not in a trace stop")
    }
}
