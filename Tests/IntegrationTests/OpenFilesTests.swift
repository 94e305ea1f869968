import Foundation
import Testing

/// maptrace reads what an fd holds through a pidfd and keeps the name it read per fd
/// (docs/architecture.md, "Reading fds"). These tests reuse an fd number for another file,
/// behind maptrace's back and in a thread with a table of its own, and check that every
/// mapping is shown with the file it really maps and counted on hugetlbfs only when it is.
@Suite("What an fd holds, read through a pidfd", .serialized)
struct OpenFilesTests {
    let maptrace = Fixture.binary("maptrace")

    @Test("an fd number reused for another file, by close and open and by dup2, is read anew", Fixture.privileged)
    func reusedNumbers() throws {
        let stage = try HugetlbStage(pages: 4)
        defer { stage.restore() }
        let dir = stage.mount.path
        let trace = traceMappings("""
        fd = os.open("\(dir)/first", os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(fd, 2 << 20)
        show(fd, 2 << 20)
        os.close(fd)
        other = os.open("/etc/passwd", os.O_RDONLY)   # the same number, another file
        assert other == fd
        show(other, 0)
        second = os.open("\(dir)/second", os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(second, 2 << 20)
        os.dup2(second, other)                         # the number again, now a hugetlbfs file
        show(other, 2 << 20)
        os.close(second)
        os.close(other)
        os.unlink("\(dir)/first")
        os.unlink("\(dir)/second")
        """, dir: dir, files: ["\(dir)/first", "/etc/passwd", "\(dir)/second"])
        #expect(trace.contains("2 mappings made"), "the two hugetlbfs mappings only:\n\(trace)")
    }

    @Test("a thread with an fd table of its own: its fds are its own files", Fixture.privileged)
    func threadWithOwnTable() throws {
        let stage = try HugetlbStage(pages: 4)
        defer { stage.restore() }
        let dir = stage.mount.path
        // the thread unshares its table (CLONE_FILES), then puts a hugetlbfs file on the number
        // that the main thread keeps for /etc/passwd; each maps "its" fd
        let trace = traceMappings("""
        import ctypes, threading
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/etc/passwd", os.O_RDONLY)
        def own_table():
            assert libc.unshare(0x400) == 0, ctypes.get_errno()
            os.close(fd)
            huge = os.open("\(dir)/thread", os.O_RDWR | os.O_CREAT, 0o600)
            assert huge == fd
            os.ftruncate(huge, 2 << 20)
            show(huge, 2 << 20)
            os.close(huge)
        t = threading.Thread(target=own_table)
        t.start()
        t.join()
        show(fd, 0)
        os.unlink("\(dir)/thread")
        """, dir: dir, files: ["\(dir)/thread", "/etc/passwd"])
        #expect(trace.contains("1 mapping made"), "the thread's hugetlbfs mapping only:\n\(trace)")
    }

    @Test("an mmap's fd is named as strace -y names it: a file, /dev/zero shared and private, a deleted file, a memfd")
    func namesAsStraceShowsThem() throws {
        // the name of most mappings is read from the area they made; these are the kinds
        // whose area names another file than the fd (/dev/zero shared is shmem), none (private
        // /dev/zero is anonymous), or a deleted one
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-names")
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import mmap, os, sys
        d = sys.argv[1]
        def show(fd, length, flags=mmap.MAP_SHARED):
            m = mmap.mmap(fd, length, flags, mmap.PROT_READ)
            m.close()
        f = os.open(d + "/plain", os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(f, 8192)
        show(f, 8192)
        show(f, 4096, mmap.MAP_PRIVATE)
        z = os.open("/dev/zero", os.O_RDWR)
        show(z, 8192)
        show(z, 8192, mmap.MAP_PRIVATE)
        g = os.open(d + "/gone", os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(g, 4096)
        os.unlink(d + "/gone")
        show(g, 4096)
        m = os.memfd_create("maptrace-test")
        os.ftruncate(m, 4096)
        show(m, 4096)
        """
        let command = ["python3", "-c", script, dir]
        let ours = Fixture.run([maptrace, "--no-status", "--all", "-e", "trace=mmap", "--"] + command)
        #expect(ours.status == 0, "\(ours.stderr)")
        let theirs = Fixture.run(["strace", "-f", "-y", "-e", "trace=mmap"] + command)
        #expect(theirs.status == 0, "\(theirs.stderr)")
        // the fd argument's name of every mmap of a file, in order, with strace's "(deleted)"
        // after it (the numbers depend on what each tracer's child inherited)
        func names(_ text: String) -> [String] {
            text.split(separator: "\n").filter { $0.contains("mmap(") }.compactMap { line in
                line.firstMatch(of: #/, \d+<([^>]*)>(\(deleted\))?, /#).map { String($0.1) + String($0.2 ?? "") }
            }
        }
        let mine = names(ours.stderr), reference = names(theirs.stderr)
        #expect(mine.count >= 6, "\(ours.stderr)")
        #expect(mine == reference, "maptrace:\n\(mine.joined(separator: "\n"))\nstrace -y:\n\(reference.joined(separator: "\n"))")
        for name in ["\(dir)/plain", "/dev/zero", "\(dir)/gone(deleted)", "/memfd:maptrace-test(deleted)"] {
            #expect(mine.contains(name), "\(name) in \(mine)")
        }
    }

    /// Runs `script` under maptrace (with `show(fd, length)`: a shared read mapping of fd) and
    /// checks its mappings of files in `dir` and of /etc/passwd, in order: the nth shows the
    /// nth of `files` as its fd's name. Returns what maptrace printed.
    private func traceMappings(_ script: String, dir: String, files: [String]) -> String {
        let prelude = """
        import mmap, os
        def show(fd, length):
            m = mmap.mmap(fd, length, mmap.MAP_SHARED, mmap.PROT_READ)
            m.close()

        """
        let result = Fixture.run([maptrace, "--no-status", "--all", "-e", "trace=mmap", "--", "python3", "-c", prelude + script])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("mmap(") && ($0.contains(dir) || $0.contains("/etc/passwd")) }
        #expect(lines.count == files.count, "\(result.stderr)")
        for (line, file) in zip(lines, files) { #expect(line.contains("<\(file)>"), "\(line)") }
        return result.stderr
    }
}
