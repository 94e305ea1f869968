import Foundation
import Testing

@Suite("Integration-test support", .serialized)
struct SupportTests {
    @Test("run returns the exit status and both outputs, and feeds standard input")
    func runReportsStatusAndOutput() {
        let result = Fixture.run(["sh", "-c", "read line; echo out:$line; echo err >&2; exit 3"], stdin: "hello\n")
        #expect(result.status == 3)
        #expect(result.stdout == "out:hello\n")
        #expect(result.stderr == "err\n")
        #expect(!result.timedOut)
    }

    @Test("a child that outlives its timeout is killed with its whole process group")
    func runKillsAHungChild() {
        let started = Date()
        let result = Fixture.run(["sh", "-c", "sleep 30 & echo $!; wait"], timeout: 0.5)
        #expect(result.timedOut)
        #expect(result.status == 128 + SIGKILL)
        #expect(Date().timeIntervalSince(started) < 10)
        // The grandchild shared the group, so it died too: gone, or a zombie until init reaps it
        // (a SIGKILLed process still runs its exit for a moment: give it a second).
        if let grandchild = pid_t(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) {
            var stat = ""
            var state: Substring = "gone"
            for _ in 0..<100 {
                stat = (try? Fixture.readFile("/proc/\(grandchild)/stat")) ?? ""
                state = stat.split(separator: ")").last?.split(separator: " ").first ?? "gone"
                if state == "gone" || state == "Z" { break }
                usleep(10_000)
            }
            #expect(state == "gone" || state == "Z", "\(stat)")
        } else {
            Issue.record("no grandchild pid in \(result)")
        }
    }

    @Test("a signal that ends the child is reported as 128 + its number")
    func runReportsASignal() {
        let result = Fixture.run(["sh", "-c", "kill -TERM $$"])
        #expect(result.status == 128 + SIGTERM)
        #expect(result.signal == SIGTERM)
    }

    @Test("a program that does not exist gives status 127 and says so")
    func runReportsAMissingProgram() {
        let result = Fixture.run(["/nonexistent/program"])
        #expect(result.status == 127)
        #expect(result.stderr.contains("/nonexistent/program"))
    }

    @Test("large outputs do not block the child")
    func runReadsLargeOutput() {
        let result = Fixture.run(["sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; head -c 300000 /dev/zero >&2"])
        #expect(result.status == 0)
        #expect(result.stdout.utf8.count == 1_000_000)
        #expect(result.stderr.utf8.count == 300_000)
    }

    @Test("the built products are found next to the test bundle")
    func binariesAreFound() {
        let path = Fixture.binary("l2fwd")
        #expect(access(path, X_OK) == 0, "\(path)")
        #expect(access(Fixture.packageRoot + "/Package.swift", F_OK) == 0)
    }

    @Test("a system setting is changed, read back and restored", Fixture.privileged)
    func systemSettingRestores() throws {
        try Fixture.requirePrivileges()
        let path = "/proc/sys/vm/max_map_count"
        let before = try SystemSetting.read(path)
        let setting = try SystemSetting(path)
        #expect(try setting.set("4096") == "4096")
        setting.restore()
        setting.restore()
        #expect(try SystemSetting.read(path) == before)
        #expect(throws: FixtureError.self) {
            try withSetting(path, "5000") { throw FixtureError.notPrivileged }
        }
        #expect(try SystemSetting.read(path) == before)
    }

    @Test("a huge page pool and a hugetlbfs mount leave nothing behind", Fixture.privileged)
    func poolAndMountCleanUp() throws {
        try Fixture.requirePrivileges()
        let before = try SystemSetting.read("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")
        let mountPath: String
        do {
            let pool = try HugePagePool.reserve(pages: 4)
            #expect(pool.pages == 4)
            let mount = try HugetlbfsMount()
            mountPath = mount.path
            // A file holding a page: unmount must delete it before unmounting.
            let fd = open(mount.path + "/held", O_CREAT | O_RDWR, 0o600)
            #expect(fd >= 0)
            let page = mmap(nil, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0)
            #expect(page != MAP_FAILED)
            munmap(page, 2 << 20)
            close(fd)
            #expect(mount.files == ["held"])
            #expect(pool.freePages == 3)
            mount.unmount()
            mount.unmount()
            pool.restore()
        }
        #expect(try SystemSetting.read("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") == before)
        #expect(access(mountPath, F_OK) != 0)
        #expect(!(try Fixture.readFile("/proc/self/mountinfo")).contains(mountPath))
    }
}
