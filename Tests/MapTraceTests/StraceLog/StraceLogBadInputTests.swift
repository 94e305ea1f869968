import Testing
@testable import MapTrace

/// What the reader does with files that are not (whole) strace logs: a clear error or issues
/// with line numbers, never a crash, a hang, or the whole of a huge line in memory.
@Suite(.serialized)
struct StraceLogBadInputTests {
    typealias Files = StraceLogTestFiles

    /// The error `read` throws for `bytes`, after checking it is one line of text naming the file.
    func readError(_ bytes: [UInt8], stem: String, lineLimit: Int = StraceLog.defaultLineLimit) throws -> StraceLogError? {
        let path = try Files.write(bytes, stem: stem)
        defer { Files.remove(path) }
        do {
            _ = try StraceLog.read(paths: [path], lineLimit: lineLimit)
            return nil
        } catch {
            #expect(!error.description.contains("\n") && error.description.hasPrefix(path + ": "))
            return error
        }
    }

    @Test("an empty file is an error that says so")
    func emptyFile() throws {
        let error = try readError([], stem: "empty")
        #expect(error.map { if case .empty = $0 { true } else { false } } == true)
        #expect(error?.description.contains("empty file") == true)
        #expect(throws: StraceLogError.self) { try StraceLog.read(paths: ["/dev/null"]) }
        #expect(StraceLog.parse("").events.isEmpty && StraceLog.parse("").issues.isEmpty)
    }

    @Test("binary files are refused before any parsing")
    func binaryFiles() throws {
        let pattern = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let error = try readError(pattern, stem: "binary")
        #expect(error.map { if case .binary = $0 { true } else { false } } == true)
        // a gzip header: the error says what to do
        let gzip: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03] + Array("strace".utf8)
        let compressed = try readError(gzip, stem: "gz")
        #expect(compressed.map { if case .compressed(_, "gzip") = $0 { true } else { false } } == true)
        #expect(compressed?.description.hasSuffix("gzip-compressed; decompress it first") == true)
        // a real executable
        #expect {
            try StraceLog.read(paths: ["/usr/bin/strace"])
        } throws: { error in
            (error as? StraceLogError) == .binary(path: "/usr/bin/strace")
        }
    }

    @Test("JSON and prose are not strace logs; the error quotes the first line")
    func textThatIsNotStrace() throws {
        let json = Array(#"{"format": 1, "record": "call", "name": "mmap", "result": "0x7f00"}"#.utf8) + [0x0A]
        let jsonError = try readError(json + json, stem: "json")
        guard case .notStraceLog(_, let detail)? = jsonError else {
            Issue.record("JSON read as \(String(describing: jsonError))")
            return
        }
        #expect(detail.contains("line 1") && detail.contains("{\"format\": 1"))
        let prose = Array("The quick brown fox (jumps) over the lazy dog.\nNothing = here\n".utf8)
        #expect(try readError(prose, stem: "prose").map { if case .notStraceLog = $0 { true } else { false } } == true)
    }

    @Test("missing files, directories and an empty list are errors, not crashes")
    func unreadable() throws {
        #expect(throws: StraceLogError.noFiles) { try StraceLog.read(paths: []) }
        #expect {
            try StraceLog.read(paths: ["/nonexistent/strace.log"])
        } throws: { error in
            (error as? StraceLogError)?.description == "/nonexistent/strace.log: cannot read: No such file or directory"
        }
        #expect(throws: StraceLogError.unreadable(path: "/tmp", reason: "is a directory")) {
            try StraceLog.read(paths: ["/tmp"])
        }
    }

    @Test("a line over the limit is skipped and reported; the lines around it are read")
    func longLineIsAnIssue() throws {
        let bytes = Array("getpid() = 1\n".utf8) + [UInt8](repeating: 0x78, count: 10_000) + Array("\ngetppid() = 2\n".utf8)
        let path = try Files.write(bytes, stem: "long")
        defer { Files.remove(path) }
        let log = try StraceLog.read(paths: [path], lineLimit: 1024)
        #expect(log.events.map(\.line) == [1, 3])
        #expect(log.issues.count == 1 && log.issues[0].line == 2 && log.issues[0].message.contains("10000 bytes"))
        // alone in its file, it is the error
        let only = try readError([UInt8](repeating: 0x28, count: 5000), stem: "only-long", lineLimit: 1024)
        guard case .lineTooLong(_, let line, let limit)? = only else {
            Issue.record("a file of one long line read as \(String(describing: only))")
            return
        }
        #expect(line == 1 && limit == 1024)
    }

    @Test("a 200 MB line is streamed past with memory bounded by the line limit")
    func hugeLineIsStreamed() throws {
        let path = try Files.make("huge")
        defer { Files.remove(path) }
        try Files.append(Array("getpid() = 1\n".utf8), to: path)
        let block = [UInt8](repeating: 0x61, count: 1 << 20)
        for _ in 0..<200 { try Files.append(block, to: path) }
        try Files.append(Array("\ngetppid() = 2\n".utf8), to: path)
        let before = Files.peakResidentKiB()
        let clock = ContinuousClock()
        let start = clock.now
        let log = try StraceLog.read(paths: [path])
        let elapsed = clock.now - start
        let grown = Files.peakResidentKiB() - before
        #expect(log.events.map(\.line) == [1, 3])
        #expect(log.issues.map(\.line) == [2] && log.issues[0].message.contains("\(200 << 20) bytes"))
        #expect(grown < 64 * 1024, "peak resident set grew by \(grown) KiB reading a 200 MB line")
        #expect(elapsed < .seconds(20))
    }

    @Test("lines that each end in an attach notice are glued at most once, so reading stays linear")
    func noticesOnEveryLine() {
        let line = "[pid 7] mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0strace: Process 8 attached\n"
        let text = String(repeating: line, count: 20_000)
        let clock = ContinuousClock()
        let start = clock.now
        let log = StraceLog.parse(text)
        #expect(clock.now - start < .seconds(5))
        #expect(log.events.isEmpty && log.issues.count > 0)
        #expect(log.issues.first?.line == 1 && log.issues.first?.message.contains("truncated") == true)
    }

    @Test("a log cut mid-line: the cut line is reported with its number, everything before it is read")
    func truncatedLog() throws {
        let whole = try StraceLogFixtures.bytes("threads-y-tt.log")
        // cut inside line 95, the mmap of rtemap_0
        var newlines = 0
        var cut = 0
        for (index, byte) in whole.enumerated() where byte == 0x0A {
            newlines += 1
            if newlines == 94 { cut = index + 60; break }
        }
        let path = try Files.write(Array(whole[..<cut]), stem: "cut")
        defer { Files.remove(path) }
        let log = try StraceLog.read(paths: [path])
        #expect(log.issues.count == 1 && log.issues[0].line == 95)
        #expect(log.issues[0].message.contains("without a newline"))
        #expect(log.events.last?.line == 94)
        #expect(StraceLogFixtures.callsByLine(log)[93]?.resultFdPath == "/tmp/maptrace-fixtures/rtemap_0, \"q\"")
    }
}
