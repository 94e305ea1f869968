import Foundation
import Testing

/// maptrace remembers what the directories of opens lie on (docs/architecture.md, "Fewer
/// stops"). A directory on sysfs is taken as off hugetlbfs without asking again, until a mount
/// or a chroot could change that: these tests change it each way in the middle of a run and
/// check that the hugetlbfs file opened after the change is seen.
@Suite("What an open's directory lies on, remembered", .serialized)
struct DirectoryCacheTests {
    let maptrace = Fixture.binary("maptrace")

    /// A sysfs directory with nothing mounted on it, to mount hugetlbfs on for a moment.
    private func emptySysfsDirectory() -> String? {
        ["/sys/fs/fuse/connections", "/sys/kernel/config", "/sys/fs/pstore", "/sys/kernel/debug", "/sys/fs/bpf"].first {
            Fixture.run(["stat", "-f", "-c", "%T", $0]).stdout == "sysfs\n"
        }
    }

    /// Opens DIR/page (refused on sysfs) until maptrace has the answer remembered, then `change`,
    /// then opens DIR/page again, now on hugetlbfs.
    private func script(directory: String, change: String) -> String {
        """
        import os, subprocess
        for _ in range(3):
            try:
                os.close(os.open("\(directory)/page", os.O_RDWR | os.O_CREAT, 0o600))
            except OSError:
                pass
        \(change)
        os.close(os.open("\(directory)/page", os.O_RDWR | os.O_CREAT, 0o600))
        os.unlink("\(directory)/page")
        """
    }

    @Test("a hugetlbfs mounted on a sysfs directory mid-run: the next open there is a hugetlbfs open", Fixture.privileged)
    func mountMidRun() throws {
        try Fixture.requirePrivileges()
        let pool = try HugePagePool.reserve(pages: 4)
        defer { pool.restore() }
        let directory = try #require(emptySysfsDirectory(), "no sysfs directory free to mount on")
        defer {
            unlink(directory + "/page")
            _ = Fixture.run(["umount", directory])
        }
        let change = "subprocess.run([\"mount\", \"-t\", \"hugetlbfs\", \"-o\", \"pagesize=2M\", \"nodev\", \"\(directory)\"], check=True)"
        let result = Fixture.run([maptrace, "--no-status", "--", "python3", "-c", script(directory: directory, change: change)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("hugetlbfs: 1 file opened"), "\(result.stderr)")
        #expect(result.stderr.contains("openat(AT_FDCWD<"), "the open on hugetlbfs is shown:\n\(result.stderr)")
    }

    @Test("a chroot mid-run into a tree whose same-named directory is hugetlbfs: the next open there is a hugetlbfs open",
          Fixture.privileged)
    func chrootMidRun() throws {
        try Fixture.requirePrivileges()
        let pool = try HugePagePool.reserve(pages: 4)
        defer { pool.restore() }
        let directory = try #require(emptySysfsDirectory(), "no sysfs directory to name")
        let jail = try Fixture.makeTemporaryDirectory(prefix: "maptrace-jail")
        defer { try? FileManager.default.removeItem(atPath: jail) }
        try FileManager.default.createDirectory(atPath: jail + directory, withIntermediateDirectories: true)
        // mounted before the run: the chroot alone changes what the path names
        let mounted = Fixture.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", jail + directory])
        try #require(mounted.status == 0, "\(mounted.stderr)")
        defer {
            unlink(jail + directory + "/page")
            _ = Fixture.run(["umount", jail + directory])
        }
        let result = Fixture.run([maptrace, "--no-status", "--", "python3", "-c",
                                  script(directory: directory, change: "os.chroot(\"\(jail)\")")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("hugetlbfs: 1 file opened"), "\(result.stderr)")
    }
}
