import Glibc

/// A /proc or /sys file could not be read.
public struct ProcReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The errno of the failed open or read.
    public var errno: Int32

    public init(path: String, errno: Int32) {
        self.path = path
        self.errno = errno
    }

    /// "/proc/42/maps: No such file or directory".
    public var description: String {
        // glibc's strerror is thread-safe since 2.32 (unknown numbers use a per-thread buffer).
        guard let message = strerror(errno) else { return "\(path): errno \(errno)" }
        return "\(path): \(String(cString: message))"
    }
}

/// Reading the kernel's text files whole. They report size 0, so they are read until EOF.
enum ProcFile {
    /// "/proc/PID/NAME", with pid 0 meaning the calling process ("/proc/self/NAME").
    static func path(pid: Int32, _ name: String) -> String {
        pid == 0 ? "/proc/self/\(name)" : "/proc/\(pid)/\(name)"
    }

    /// The whole file as UTF-8 text (invalid bytes are replaced).
    static func read(_ path: String) throws(ProcReadError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ProcReadError(path: path, errno: Glibc.errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if Glibc.errno == EINTR { continue }
                throw ProcReadError(path: path, errno: Glibc.errno)
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
