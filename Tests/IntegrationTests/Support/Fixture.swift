import Foundation
import Testing

/// Where the package and its built binaries are, how to run them, and whether this host lets a
/// test change system settings.
enum Fixture {
    /// The package's root directory (the one holding Package.swift).
    static let packageRoot: String = {
        // #filePath is …/Tests/IntegrationTests/Support/Fixture.swift: four components up.
        var path = "\(#filePath)"
        for _ in 0..<4 { path = parentDirectory(path) }
        return path
    }()

    /// The path of the executable product `name` built alongside this test bundle
    /// (`.build/<triple>/debug/name` for whatever scratch path the tests were built with).
    ///
    /// `MAPTRACE_BIN_DIR`, when set, wins. When nothing is found the path next to the test
    /// binary is returned, so running it fails with status 127 and a message naming the path.
    static func binary(_ name: String) -> String {
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["MAPTRACE_BIN_DIR"] {
            candidates.append(dir)
        }
        // The test runner is `.build/<triple>/debug/<package>PackageTests.xctest`; walk up from
        // its directory in case a toolchain nests the bundle one or two levels deeper.
        var dir = parentDirectory(executablePath())
        for _ in 0..<4 where dir != "/" {
            candidates.append(dir)
            dir = parentDirectory(dir)
        }
        candidates.append("\(packageRoot)/.build/debug")
        for candidate in candidates where access("\(candidate)/\(name)", X_OK) == 0 {
            return "\(candidate)/\(name)"
        }
        return "\(candidates.first ?? packageRoot)/\(name)"
    }

    /// Runs `argv` to completion and returns its exit status and output.
    ///
    /// - Parameters:
    ///   - argv: the program (searched in `PATH` when it has no slash) and its arguments.
    ///   - environment: variables added to (or replacing those of) the test's environment.
    ///   - stdin: the text the program reads on standard input; `/dev/null` when nil.
    ///   - timeout: seconds after which the program's whole process group is killed with
    ///     SIGKILL; the result then has `timedOut` set and status 137.
    ///
    /// A program that cannot be started gives status 127 with the reason in `stderr`.
    static func run(
        _ argv: [String], environment: [String: String]? = nil, stdin: String? = nil, timeout: Double = 60
    ) -> ProcessResult {
        do {
            let process = try RunningProcess(argv, environment: environment, stdin: stdin)
            return process.wait(timeout: timeout)
        } catch {
            return ProcessResult(status: 127, stdout: "", stderr: "\(error)\n", timedOut: false)
        }
    }

    /// Starts `argv` and returns at once, for tests that look at a process while it runs.
    /// The arguments mean what they mean for ``run(_:environment:stdin:timeout:)``.
    static func start(_ argv: [String], environment: [String: String]? = nil, stdin: String? = nil) throws
        -> RunningProcess
    {
        try RunningProcess(argv, environment: environment, stdin: stdin)
    }

    /// True when the tests may change system settings: running as root with a writable
    /// /proc/sys/vm/nr_hugepages (a container's read-only /proc/sys says no).
    static var isPrivileged: Bool {
        getuid() == 0 && access("/proc/sys/vm/nr_hugepages", W_OK) == 0
    }

    /// True when the `CI` environment variable is set: privileged tests must then run and fail
    /// loudly rather than be skipped.
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// Whether a privileged test should run: on a privileged host, and always under CI.
    static var canRunPrivileged: Bool { isPrivileged || isCI }

    /// Why a privileged test was skipped, printed by the test runner.
    static let privilegeNote: Comment =
        "needs root and a writable /proc/sys/vm/nr_hugepages (set CI=1 to run it anyway and fail)"

    /// The trait for tests that change system settings:
    /// `@Test("…", Fixture.privileged) func …`.
    static var privileged: ConditionTrait { .enabled(if: canRunPrivileged, privilegeNote) }

    /// Throws, with a message saying what is missing, unless the host is privileged. Call it
    /// first in a privileged test so that under CI a missing privilege is one clear failure.
    static func requirePrivileges() throws {
        guard isPrivileged else { throw FixtureError.notPrivileged }
    }

    /// The whole of a file, read with read(2) until end of file. For /proc and /sys files,
    /// whose size is reported as 0 or 4096 whatever they hold, so that readers which trust the
    /// size (Foundation's `String(contentsOfFile:)` among them) may stop short.
    static func readFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FixtureError.system("open \(path)", errno: errno) }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw FixtureError.system("read \(path)", errno: errno) }
            if n == 0 { break }
            data.append(contentsOf: chunk[..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Creates a new empty directory `/tmp/<prefix>.XXXXXX` and returns its path.
    static func makeTemporaryDirectory(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw FixtureError.system("mkdtemp", errno: errno) }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments.first ?? "." }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// How a program run by ``Fixture`` ended.
struct ProcessResult: Sendable, CustomStringConvertible {
    /// The exit code, or 128 + the signal number when a signal ended it (as a shell reports it).
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the program was killed because it outlived its timeout.
    var timedOut: Bool

    /// The signal that ended the program, if one did.
    var signal: Int32? { status > 128 ? status - 128 : nil }

    var description: String {
        "status \(status)\(timedOut ? " (timed out, killed)" : "")\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Failures of the test fixtures themselves, worded for a test log.
enum FixtureError: Error, CustomStringConvertible {
    case notPrivileged
    case spawn(argv: [String], errno: Int32)
    case system(String, errno: Int32)
    case notApplied(path: String, wanted: String, got: String)

    var description: String {
        switch self {
        case .notPrivileged:
            return "this test changes system settings and needs root with a writable /proc/sys"
                + " (it runs because CI is set)"
        case let .spawn(argv, errno):
            return "cannot run \(argv.first ?? "?"): \(String(cString: strerror(errno)))"
        case let .system(what, errno):
            return "\(what): \(String(cString: strerror(errno)))"
        case let .notApplied(path, wanted, got):
            return "\(path): wrote \(wanted), reads back \(got)"
        }
    }
}
