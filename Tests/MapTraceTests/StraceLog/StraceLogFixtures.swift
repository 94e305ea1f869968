@testable import MapTrace

/// The real strace logs under Fixtures/ (see Fixtures/README.md for how each was recorded).
enum StraceLogFixtures {
    static let directory: String = {
        let file = "\(#filePath)"
        let folder = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return folder + "/Fixtures"
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    /// The `-ff -o ff-tt/trace` files, in pid order.
    static let perThreadFiles = [13507, 13508, 13509, 13510, 13511, 13512, 13513].map { path("ff-tt/trace.\($0)") }

    /// Every single-file fixture, for tests that run over all of them.
    static let singleFiles = [
        "threads-y-tt.log", "stderr-pids-tt.log", "relative-r.log", "inject-ttt.log", "xverbose.log",
        "xraw.log", "stack-k-n-i.log", "pipe-t-yy-T.log", "exec-thread.log",
    ]

    static func read(_ name: String) throws -> StraceLog { try StraceLog.read(paths: [path(name)]) }

    /// The calls of a log by line (of their first half) in file `file`.
    static func callsByLine(_ log: StraceLog, file: Int = 0) -> [Int: StraceCall] {
        var calls: [Int: StraceCall] = [:]
        for case .call(let call) in log.events where call.file == file { calls[call.line] = call }
        return calls
    }

    /// Whether a time stamp is `expected` to within a microsecond (or `within`).
    static func isClose(_ time: Double?, _ expected: Double, within tolerance: Double = 1e-6) -> Bool {
        guard let time else { return false }
        return abs(time - expected) <= tolerance
    }

    /// The raw bytes of a fixture.
    static func bytes(_ name: String) throws -> [UInt8] {
        try StraceLogTestFiles.contents(of: path(name))
    }
}
