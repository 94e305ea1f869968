import Foundation

/// A fresh hugetlbfs mounted on a new temporary directory for one test.
///
/// ``unmount()`` (also run when the object goes away) deletes whatever files the test or its
/// programs left there first, because a file on hugetlbfs keeps its huge pages until it is
/// deleted, and a stale one would starve the next test's pool.
final class HugetlbfsMount {
    /// The mount point.
    let path: String
    private var mounted: Bool

    /// Mounts hugetlbfs with `options` (as `mount -o` takes them) on a new directory in /tmp.
    init(options: String = "pagesize=2M") throws {
        path = try Fixture.makeTemporaryDirectory(prefix: "maptrace-hugetlbfs")
        let result = Fixture.run(["mount", "-t", "hugetlbfs", "-o", options, "nodev", path], timeout: 30)
        guard result.status == 0 else {
            rmdir(path)
            throw HugetlbfsMountError(command: "mount -t hugetlbfs -o \(options) nodev \(path)", result: result)
        }
        mounted = true
    }

    deinit { unmount() }

    /// The names of the files on the mount now (sorted; subdirectories' files as `dir/name`).
    var files: [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Deletes every file on the mount, unmounts it and removes the directory. Idempotent; a
    /// failure is printed, since `defer` and `deinit` have nobody to throw to.
    func unmount() {
        guard mounted else { return }
        for name in files.reversed() {  // reversed: a directory's files before the directory
            let file = "\(path)/\(name)"
            if unlink(file) != 0 && errno == EISDIR { rmdir(file) }
        }
        let result = Fixture.run(["umount", path], timeout: 30)
        if result.status != 0 {
            FileHandle.standardError.write(Data("warning: cannot unmount \(path): \(result.stderr)".utf8))
            return
        }
        mounted = false
        rmdir(path)
    }
}

/// mount(8) refused.
struct HugetlbfsMountError: Error, CustomStringConvertible {
    let command: String
    let result: ProcessResult
    var description: String { "\(command) failed: \(result)" }
}
