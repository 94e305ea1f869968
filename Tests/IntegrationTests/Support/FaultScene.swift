import Foundation
import Testing

/// One fault-suite test's surroundings: a private directory, a tag in the environment of every
/// process the test starts (maptrace and all it launches inherit it), and the checks made when
/// the test ends: no process of the test left (none in a tracing stop, no orphan), and the
/// global settings as they were.
final class FaultScene {
    let directory: String
    let tag: String
    let maptrace = Fixture.binary("maptrace")
    let faultprobe = Fixture.binary("faultprobe")
    private let settingsBefore: [String: String]

    /// Settings a misbehaving tracer or test could leave changed.
    static let watchedSettings = ["/proc/sys/vm/max_map_count", "/proc/sys/vm/nr_hugepages",
                                  "/proc/sys/vm/overcommit_memory", "/proc/sys/vm/overcommit_ratio",
                                  "/proc/sys/kernel/yama/ptrace_scope", "/proc/sys/kernel/pid_max"]

    init(_ name: String) throws {
        directory = try Fixture.makeTemporaryDirectory(prefix: "maptrace-fault-\(name)")
        tag = "\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        settingsBefore = FaultScene.readSettings()
    }

    var environment: [String: String] { ["MAPTRACE_FAULT_TAG": tag] }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func run(_ argv: [String], stdin: String? = nil, timeout: Double = 60) -> ProcessResult {
        Fixture.run(argv, environment: environment, stdin: stdin, timeout: timeout)
    }

    func start(_ argv: [String], stdin: String? = nil) throws -> RunningProcess {
        try Fixture.start(argv, environment: environment, stdin: stdin)
    }

    /// The checks of the end of a test; then the directory goes. Processes still there after a
    /// grace period are reported (with their state) and killed, so that one failure does not
    /// spill into the next test.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        var left: [(pid: Int32, state: String)] = []
        for _ in 0..<100 {
            left = processes()
            if left.isEmpty { break }
            usleep(20_000)
        }
        #expect(left.filter { $0.state.hasPrefix("t") }.isEmpty,
                "processes of the test left in a tracing stop: \(left)", sourceLocation: sourceLocation)
        #expect(left.isEmpty, "processes of the test left running (orphans): \(left)", sourceLocation: sourceLocation)
        for p in left { kill(p.pid, SIGKILL) }
        let after = FaultScene.readSettings()
        #expect(after == settingsBefore, "a global setting changed: \(settingsBefore) → \(after)", sourceLocation: sourceLocation)
        _ = Fixture.run(["rm", "-rf", directory])
    }

    /// Every live process whose environment holds this test's tag, with its state letter.
    func processes() -> [(pid: Int32, state: String)] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        let needle = Array("MAPTRACE_FAULT_TAG=\(tag)".utf8)
        var found: [(Int32, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name), pid != getpid() else { continue }
            guard let environ = try? Fixture.readFile("/proc/\(pid)/environ"),
                  Array(environ.utf8).split(separator: 0).contains(where: { Array($0) == needle }) else { continue }
            let stat = (try? Fixture.readFile("/proc/\(pid)/stat")) ?? ""
            let state = stat.lastIndex(of: ")").map { String(stat[stat.index($0, offsetBy: 2)...].prefix(1)) } ?? "?"
            // a zombie whose parent is this test runner is the runner's to reap, not an orphan
            if state == "Z" { continue }
            found.append((pid, state))
        }
        return found
    }

    static func readSettings() -> [String: String] {
        var values: [String: String] = [:]
        for path in watchedSettings { values[path] = try? SystemSetting.read(path) }
        return values
    }

    /// Waits until `condition` holds or `timeout` seconds pass; returns whether it held.
    static func waitUntil(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// The pid in the first match of `pattern`'s first capture in `text`.
    static func pid(in text: String, after prefix: String) -> Int32? {
        guard let range = text.range(of: prefix) else { return nil }
        return Int32(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// The state letter of a process (or thread), nil when it is gone.
    static func state(of pid: Int32) -> String? {
        guard let stat = try? Fixture.readFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        return String(stat[stat.index(close, offsetBy: 2)...].prefix(1))
    }
}
