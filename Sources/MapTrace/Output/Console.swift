import Glibc

/// maptrace's own messages on stderr, written straight to fd 2 (the C `stderr` global is
/// shared mutable state to Swift 6).
public enum Console {
    public static func error(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}
