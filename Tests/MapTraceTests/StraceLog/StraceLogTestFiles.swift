import Glibc

/// Temporary files for the reader tests, removed by the caller with `remove`.
enum StraceLogTestFiles {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// A new empty file under /tmp; returns its path.
    static func make(_ stem: String) throws -> String {
        var template = Array("/tmp/maptrace-stracelog-\(stem)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure(description: "mkstemp: \(String(cString: strerror(errno)))") }
        close(fd)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes `bytes` to a new temporary file.
    static func write(_ bytes: [UInt8], stem: String) throws -> String {
        let path = try make(stem)
        try append(bytes, to: path)
        return path
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND)
        guard fd >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw Failure(description: "write \(path): \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    static func contents(of path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 65536) }
            guard count > 0 else { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    static func remove(_ path: String) { unlink(path) }

    /// The process's peak resident set so far, in KiB.
    static func peakResidentKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}
