import Glibc

/// A buffered writer to an fd. Lines are flushed when the buffer fills, when a fifth of a
/// second has passed, and before maptrace holds a process or exits.
public final class TextOutput {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var lastFlush = 0.0
    /// Whether a live status line is currently drawn on this fd (a terminal).
    private var statusShown = false

    public init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    /// Opens FILE for the text output, truncating it, as strace's -o does.
    public convenience init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MapTraceError.io(path: path, reason: errnoMessage(errno)) }
        self.init(fd: fd)
    }

    public var isTerminal: Bool { isatty(fd) != 0 }

    public func line(_ text: String) {
        clearStatus()
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        let now = Clock.monotonic()
        if buffer.count >= 1 << 15 || now - lastFlush > 0.2 { flush() }
    }

    /// Draws a one-line status in place (terminals only).
    public func status(_ text: String) {
        flush()
        write(fd, "\r\u{1B}[K" + text)
        statusShown = true
    }

    public func clearStatus() {
        guard statusShown else { return }
        statusShown = false
        write(fd, "\r\u{1B}[K")
    }

    public func flush() {
        lastFlush = Clock.monotonic()
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { writeAll(UnsafeRawBufferPointer($0)) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    deinit { flush() }
}
