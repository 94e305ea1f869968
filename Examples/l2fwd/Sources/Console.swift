import Glibc

/// Where l2fwd's lines go: progress on standard output, errors on standard error.
///
/// Each line is one write(2) on the descriptor, unbuffered: a reader of a pipe or a file sees
/// every line as soon as it is printed, and nothing is lost when the EAL aborts.
enum Console {
    /// Prints one progress line on standard output.
    static func info(_ line: String) {
        write(line, to: STDOUT_FILENO)
    }

    /// Prints one line on standard error.
    static func error(_ line: String) {
        write(line, to: STDERR_FILENO)
    }

    /// Prints `line` on standard error and exits with status 1: bad options, unusable ports.
    static func fail(_ line: String) -> Never {
        error(line)
        exit(1)
    }

    /// The text of an errno value, as strerror(3) gives it.
    static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }

    private static func write(_ line: String, to descriptor: Int32) {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

/// A failed system call during set-up.
struct Errno: Error, CustomStringConvertible {
    let call: String
    let code: Int32

    var description: String { "\(call): \(Console.describe(errno: code))" }
}

/// Monotonic time in seconds, for periods and rates.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
