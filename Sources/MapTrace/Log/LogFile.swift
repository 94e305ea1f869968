import Glibc

/// Where the log's bytes go. A regular file is written through a shared mapping of it: a record
/// copied into the mapping is in the page cache at once, so a SIGKILL of maptrace loses nothing
/// it had written, and no system call is made per record (one write(2) a record cost more than
/// the rest of the logging). The file grows a chunk at a time with fallocate, so that a full
/// disk is an error here rather than a SIGBUS at a store into a hole; at close it is trimmed to
/// the bytes written. A log whose writer was killed therefore ends in zero bytes, up to the end
/// of its last chunk or of the one made ahead (`LogChunkAhead`): `LogReader` reads those as the
/// end of the log.
///
/// Anything else (a device, a FIFO), or a file system without fallocate, gets one write(2) per
/// record, which also survives a kill.
final class LogFile {
    let path: String
    private let fd: Int32
    /// The bytes of the log so far (the file's logical length).
    private(set) var length = 0
    /// The mapped chunk: where it starts in the file, its base address and size.
    private var chunkStart = 0
    private var chunk: UnsafeMutableRawPointer?
    private var mapped: Bool
    private static let chunkSize = LogChunk.size
    /// Makes the next chunk while this one fills; nil: made here, when needed.
    private var ahead: LogChunkAhead?
    /// The first write error, said once; later records are dropped.
    private(set) var failure: String?
    private var closed = false

    /// Opens PATH by `OutputFile.openForRun`'s rules: locked and truncated when it is a regular file.
    init(path: String) throws {
        let (fd, isRegular) = try OutputFile.openForRun(path, mappable: true)
        self.path = path
        self.fd = fd
        window = .allocate(capacity: 1)
        window.initialize(to: (nil, nil))
        mapped = isRegular
        if mapped, !grow(to: LogFile.chunkSize, initial: true) {
            mapped = false
            _ = ftruncate(fd, 0)  // what fallocate may have reserved before mmap refused
        }
        if mapped, failure == nil, let ahead = LogChunkAhead.start(fd: fd) {
            self.ahead = ahead
            ahead.request(LogFile.chunkSize, retiring: nil)
        }
    }

    deinit {
        close()
        window.deallocate()
    }

    /// Appends BYTES whole: into the mapping, or with write(2).
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !closed, bytes.count > 0 else { return }
        guard mapped else {
            if let err = OutputFile.writeAll(fd, bytes) { fail(err) }
            return
        }
        var offset = 0
        while offset < bytes.count {
            let room = chunkStart + LogFile.chunkSize - length
            if room == 0 {
                guard grow(to: chunkStart + 2 * LogFile.chunkSize, initial: false) else { return }
                continue
            }
            let n = min(room, bytes.count - offset)
            (chunk! + (length - chunkStart)).copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
            length += n
            offset += n
        }
        placeWindow()
    }

    /// Where the next `count` bytes can be written in place, in the mapped chunk (nil when it
    /// has less room left, or the file is not mapped): the caller writes there and `commit`s.
    /// A record made there skips a copy; the log's length moves only at the commit, so a kill
    /// before it leaves a partial record after the last whole one, as a kill in `append` does.
    func space(for count: Int) -> UnsafeMutablePointer<UInt8>? {
        let window = self.window.pointee
        guard let next = window.next, let end = window.end, end - next >= count else { return nil }
        return next
    }

    /// The `count` bytes written at `space(for:)` are part of the log.
    func commit(_ count: Int) {
        length += count
        window.pointee.next! += count
    }

    /// Where the mapped chunk's free room starts and ends (nil when nothing may be written in
    /// place), behind a pointer: a record's two reads of it then cost no exclusivity checks,
    /// which the properties of a class get at every access.
    private let window: UnsafeMutablePointer<(next: UnsafeMutablePointer<UInt8>?, end: UnsafeMutablePointer<UInt8>?)>

    private func placeWindow() {
        if mapped, failure == nil, !closed, let chunk {
            let bytes = chunk.assumingMemoryBound(to: UInt8.self)
            window.pointee = (bytes + (length - chunkStart), bytes + LogFile.chunkSize)
        } else {
            window.pointee = (nil, nil)
        }
    }

    /// Reserves the file up to END and maps the chunk that ends there (the one made ahead, when
    /// there is one). Returns false (with `failure` set, unless the file system simply lacks
    /// fallocate on the first chunk) when the space cannot be had.
    private func grow(to end: Int, initial: Bool) -> Bool {
        let start = end - LogFile.chunkSize
        let made = ahead?.take(start) ?? LogChunk.make(fd: fd, start: start)
        guard let address = made.address else {
            // the first chunk only: no fallocate (EOPNOTSUPP) or no shared mapping of this
            // file here, so write(2) per record instead
            if initial && (made.mmapFailed || [EOPNOTSUPP, ENOSYS, EINVAL].contains(made.error)) { return false }
            fail(made.error)
            return false
        }
        if let ahead {
            ahead.request(end, retiring: chunk)
        } else if let chunk {
            munmap(chunk, LogFile.chunkSize)
        }
        chunk = address
        chunkStart = start
        placeWindow()
        return true
    }

    private func fail(_ err: Int32) {
        guard failure == nil else { return }
        failure = errnoMessage(err)
        placeWindow()
        Console.error("maptrace: \(path): cannot write the log: \(errnoMessage(err)); the records after this point are lost")
    }

    /// Unmaps, trims the file to what was written, and closes it (and so drops its lock).
    func close() {
        guard !closed else { return }
        closed = true
        placeWindow()
        ahead?.stop()
        ahead = nil
        if mapped {
            if let chunk { munmap(chunk, LogFile.chunkSize) }
            chunk = nil
            if ftruncate(fd, off_t(length)) != 0 { fail(errno) }
        }
        Glibc.close(fd)
    }
}
