import Foundation
import Testing

/// The files maptrace writes (-o, --log, report --svg) on hostile paths: devices, FIFOs,
/// sockets, symlinks, a full device, a file another run holds. A private `full` device node
/// (char 1,7, the kernel's /dev/full) stands in for /dev/full, so that no test can damage the
/// machine's own.
@Suite("Fault suite: output files", .serialized)
struct OutputFileTests {
    /// A log to render: a run whose mmap fails (RLIMIT_AS), so it has a diagnosis.
    private func makeLog(_ scene: FaultScene) -> String {
        let log = scene.path("run.jsonl")
        _ = scene.run([scene.maptrace, "-q", "--log", log, "--", scene.faultprobe, "enomem"])
        #expect(LogSchema.problems(log) == "", "every record matches docs/log-format.schema.json")
        return log
    }

    /// A device number (glibc's makedev, for majors and minors below 256).
    static func device(_ major: UInt64, _ minor: UInt64) -> dev_t { dev_t(major << 8 | minor) }

    private func isCharacterDevice(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFCHR
    }

    @Test("report --svg onto a device writes it in place: the node stays a device, a full one is one error line and exit 4")
    func svgOntoDevice() throws {
        let scene = try FaultScene("svg-device")
        defer { scene.finish() }
        let log = makeLog(scene)
        let full = scene.path("full")
        #expect(mknod(full, S_IFCHR | 0o666, OutputFileTests.device(1, 7)) == 0)
        let r = scene.run([scene.maptrace, "report", "--svg", full, log])
        #expect(isCharacterDevice(full), "the device node must not be replaced by a file")
        #expect(r.status == 4, "\(r)")
        #expect(r.stderr == "maptrace: \(full): cannot write the SVG: No space left on device\n", "\(r.stderr)")
        let null = scene.path("null")
        #expect(mknod(null, S_IFCHR | 0o666, OutputFileTests.device(1, 3)) == 0)
        let ok = scene.run([scene.maptrace, "report", "--svg", null, log])
        #expect(ok.status == 1, "written; the log shows a failure: \(ok)")
        #expect(isCharacterDevice(null))
    }

    @Test("report --svg into a FIFO feeds its reader, refuses one with none, and never replaces it; a socket is refused")
    func svgOntoFifoAndSocket() throws {
        let scene = try FaultScene("svg-fifo")
        defer { scene.finish() }
        let log = makeLog(scene)
        let fifo = scene.path("fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        let lonely = scene.run([scene.maptrace, "report", "--svg", fifo, log], timeout: 20)
        #expect(!lonely.timedOut && lonely.status == 4)
        #expect(lonely.stderr.hasSuffix("maptrace: \(fifo): a FIFO with no reader; start its reader first\n"), "\(lonely.stderr)")
        let out = scene.path("from-fifo.svg")
        let reader = try scene.start(["/bin/sh", "-c", "cat \(fifo) > \(out)"])
        usleep(200_000)
        let fed = scene.run([scene.maptrace, "report", "--svg", fifo, log], timeout: 20)
        _ = reader.wait(timeout: 10)
        #expect(fed.status == 1, "\(fed)")
        #expect(((try? Fixture.readFile(out)) ?? "").contains("<svg"))
        var st = stat()
        #expect(lstat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO, "still a FIFO")

        let socketPath = scene.path("sock")
        let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(server) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, byte) in socketPath.utf8.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        let sock = scene.run([scene.maptrace, "report", "--svg", socketPath, log])
        #expect(sock.status == 4)
        #expect(sock.stderr == "maptrace: \(socketPath): is a socket; give a file, a FIFO or a device\n", "\(sock.stderr)")
        #expect(lstat(socketPath, &st) == 0 && st.st_mode & S_IFMT == S_IFSOCK, "still a socket")
    }

    @Test("report --svg through a symlink writes the file it names; the link stays a link")
    func svgThroughSymlink() throws {
        let scene = try FaultScene("svg-link")
        defer { scene.finish() }
        let log = makeLog(scene)
        let target = scene.path("chart.svg")
        let link = scene.path("link.svg")
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(symlink(target, link) == 0)
        let r = scene.run([scene.maptrace, "report", "--svg", link, log])
        #expect(r.status == 1, "\(r)")
        var st = stat()
        #expect(lstat(link, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK, "the symlink is not replaced by a file")
        #expect(((try? Fixture.readFile(target)) ?? "").contains("<svg"), "the file it names has the chart")
        // a dangling link: the file it names is created
        let dangling = scene.path("dangling.svg")
        #expect(symlink(scene.path("new.svg"), dangling) == 0)
        #expect(scene.run([scene.maptrace, "report", "--svg", dangling, log]).status == 1)
        #expect(lstat(dangling, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK)
        #expect(((try? Fixture.readFile(scene.path("new.svg"))) ?? "").contains("<svg"))
    }

    @Test("--log and -o on a full device: one line each with the path and reason, again in the summary; exit 1 for a program that exited 0, else its status")
    func writeErrors() throws {
        let scene = try FaultScene("full")
        defer { scene.finish() }
        let full = scene.path("full")
        #expect(mknod(full, S_IFCHR | 0o666, OutputFileTests.device(1, 7)) == 0)
        let log = scene.run([scene.maptrace, "-q", "--log", full, "--", scene.faultprobe, "vforks", "3"])
        #expect(log.status == 1, "the program exited 0, the log was lost: \(log)")
        #expect(log.stdout == "vforks: 3 of 3 exited 0\n", "the program is not disturbed")
        let logLines = log.stderr.split(separator: "\n").filter { $0.contains(full) }
        #expect(logLines == ["maptrace: \(full): cannot write the log: No space left on device; the records after this point are lost",
                             "  output lost: \(full): No space left on device"], "\(log.stderr)")
        #expect(isCharacterDevice(full))

        let trace = scene.run([scene.maptrace, "--all", "-o", full, "--", scene.faultprobe, "enomem"])
        #expect(trace.status == 3, "the program's own status stays: \(trace)")
        #expect(trace.stdout == "mmap failed: Cannot allocate memory\n")
        let traceLines = trace.stderr.split(separator: "\n").filter { $0.contains(full) }
        #expect(traceLines == ["maptrace: \(full): cannot write the trace: No space left on device; the rest of it is lost",
                               "  output lost: \(full): No space left on device"], "\(trace.stderr)")
        #expect(trace.stderr.contains("maptrace: summary"))
        #expect(isCharacterDevice(full))
    }

    @Test("-o through a symlink and into a FIFO: written in place, the link and the FIFO stay; a FIFO with no reader is refused before the command starts")
    func traceOntoSymlinkAndFifo() throws {
        let scene = try FaultScene("o-paths")
        defer { scene.finish() }
        let target = scene.path("trace.txt")
        let link = scene.path("trace-link")
        #expect(symlink(target, link) == 0)
        let viaLink = scene.run([scene.maptrace, "--all", "-o", link, "--", scene.faultprobe, "exit", "0"])
        #expect(viaLink.status == 0)
        var st = stat()
        #expect(lstat(link, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK)
        #expect(((try? Fixture.readFile(target)) ?? "").contains("execve("))

        let fifo = scene.path("fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        let marker = scene.path("ran")
        let lonely = scene.run([scene.maptrace, "-o", fifo, "--", "/bin/touch", marker], timeout: 20)
        #expect(!lonely.timedOut && lonely.status == 1)
        #expect(lonely.stderr == "maptrace: \(fifo): a FIFO with no reader; start its reader first\n")
        #expect(access(marker, F_OK) != 0, "nothing was started")
        let out = scene.path("from-fifo.txt")
        let reader = try scene.start(["/bin/sh", "-c", "cat \(fifo) > \(out)"])
        usleep(200_000)
        let fed = scene.run([scene.maptrace, "--all", "-o", fifo, "--", "/bin/touch", marker], timeout: 30)
        _ = reader.wait(timeout: 10)
        #expect(fed.status == 0)
        #expect(((try? Fixture.readFile(out)) ?? "").contains("execve(\"/bin/touch\""))
        #expect(lstat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
    }

    @Test("a second run on a --log or -o file that a run holds refuses in one line before starting anything; the first run's file stays whole")
    func lockedFiles() throws {
        let scene = try FaultScene("lock")
        defer { scene.finish() }
        let log = scene.path("shared.jsonl")
        let trace = scene.path("shared.trace")
        let progress = scene.path("progress")
        let first = try scene.start([scene.maptrace, "--no-status", "--all", "--log", log, "-o", trace, "--",
                                     scene.faultprobe, "pairs", progress, "300"])
        #expect(first.waitForOutput(containing: "pairs: 300 done", timeout: 30), "\(first.stderrSoFar)")
        let marker = scene.path("ran")
        let second = scene.run([scene.maptrace, "--log", log, "--", "/bin/touch", marker])
        #expect(second.status == 1)
        #expect(second.stderr == "maptrace: \(log): in use by another maptrace run (it holds a lock on it); give another file\n")
        let third = scene.run([scene.maptrace, "-o", trace, "--", "/bin/touch", marker])
        #expect(third.status == 1)
        #expect(third.stderr == "maptrace: \(trace): in use by another maptrace run (it holds a lock on it); give another file\n")
        #expect(access(marker, F_OK) != 0, "the refused runs started nothing")
        let same = scene.run([scene.maptrace, "--log", scene.path("one"), "-o", scene.path("one"), "--", "/bin/touch", marker])
        #expect(same.status == 1 && same.stderr == "maptrace: \(scene.path("one")): -o and --log name the same file; give two files\n")
        #expect(access(marker, F_OK) != 0)
        first.send(SIGTERM)
        let end = first.wait(timeout: 30)
        #expect(end.status == 128 + SIGTERM)
        let report = scene.run([scene.maptrace, "report", "--all", log])
        #expect(report.status == 0, "the first run's log is whole: \(report.stderr)")
        #expect(report.stdout.components(separatedBy: "maptrace report:").count == 2, "one header")
        let lines = ((try? Fixture.readFile(trace)) ?? "").split(separator: "\n")
        #expect(lines.filter { $0.contains("execve(") }.count == 1 && lines.last?.contains("failures diagnosed") == true)
    }
}
