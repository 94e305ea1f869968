import Glibc

// Reads a file as lines without ever holding more than one line (capped) and one chunk: an
// strace log can be gigabytes, and a broken one can be a single gigabyte-long line.

/// One item of a file: a line, or the length of a line that was too long to keep.
enum StraceLogLineItem {
    case line([UInt8], number: Int)
    case tooLong(length: Int, number: Int)
}

/// A streaming line reader over a file descriptor.
struct StraceLogLineReader: ~Copyable {
    static let chunkSize = 64 * 1024

    private let fd: Int32
    private let lineLimit: Int
    private var chunk: [UInt8]
    private var chunkStart = 0
    private var chunkEnd = 0
    private var current: [UInt8] = []
    private var currentLength = 0
    private var lineNumber = 0
    private var atEOF = false
    /// False when the last line ended at the end of the file without a newline.
    private(set) var lastLineHadNewline = true

    /// Opens `path`; the error is the reason, as `strerror` words it.
    init(path: String, lineLimit: Int) throws(StraceLogError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .unreadable(path: path, reason: "is a directory")
        }
        self.fd = fd
        self.lineLimit = max(1, lineLimit)
        self.chunk = [UInt8](repeating: 0, count: Self.chunkSize)
    }

    /// The file's first chunk, read before any line is taken, for sniffing binary data.
    mutating func head(path: String) throws(StraceLogError) -> ArraySlice<UInt8> {
        if lineNumber == 0 && currentLength == 0 && chunkEnd == 0 && !atEOF { try fill(path: path) }
        return chunk[chunkStart..<chunkEnd]
    }

    deinit { close(fd) }

    /// The next line (without its newline), a too-long marker, or nil at the end of the file.
    mutating func next(path: String) throws(StraceLogError) -> StraceLogLineItem? {
        while true {
            if chunkStart >= chunkEnd {
                if atEOF { return finishLast() }
                try fill(path: path)
                continue
            }
            let newline = Self.newline(in: chunk, from: chunkStart, to: chunkEnd)
            let segmentEnd = newline ?? chunkEnd
            take(chunkStart..<segmentEnd)
            chunkStart = segmentEnd
            if newline != nil {
                chunkStart += 1
                return endLine()
            }
        }
    }

    /// Index of the first newline in `chunk[start..<end]` (memchr: a long line is scanned at memory speed).
    private static func newline(in chunk: [UInt8], from start: Int, to end: Int) -> Int? {
        chunk.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress, let found = memchr(base + start, 0x0A, end - start) else { return nil }
            return UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
        }
    }

    /// Appends part of a line, keeping at most `lineLimit` bytes but counting them all.
    private mutating func take(_ range: Range<Int>) {
        currentLength += range.count
        let room = lineLimit - current.count
        if room > 0 { current.append(contentsOf: chunk[range.lowerBound..<(range.lowerBound + min(room, range.count))]) }
    }

    private mutating func endLine() -> StraceLogLineItem {
        lineNumber += 1
        defer { current = []; currentLength = 0 }
        if currentLength > lineLimit { return .tooLong(length: currentLength, number: lineNumber) }
        return .line(current, number: lineNumber)
    }

    private mutating func finishLast() -> StraceLogLineItem? {
        guard currentLength > 0 else { return nil }
        lastLineHadNewline = false
        return endLine()
    }

    private mutating func fill(path: String) throws(StraceLogError) {
        chunkStart = 0
        chunkEnd = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, Self.chunkSize) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { atEOF = true }
            chunkEnd = count
            return
        }
    }
}
