import Foundation

/// One /proc/sys or /sys file whose value a test changes and must put back.
///
/// The value found at `init` is restored by ``restore()`` and, failing that, when the object
/// goes away; a test that throws or fails an expectation still leaves the host as it was.
final class SystemSetting {
    /// The file, e.g. `/proc/sys/vm/max_map_count`.
    let path: String
    /// The value it held when this object was made (whitespace-trimmed).
    let originalValue: String
    private var changed = false

    /// Remembers the current value of `path`.
    init(_ path: String) throws {
        self.path = path
        originalValue = try SystemSetting.read(path)
    }

    deinit { restore() }

    /// The file's current value, whitespace-trimmed.
    var currentValue: String {
        get throws { try SystemSetting.read(path) }
    }

    /// Writes `value` and reads it back.
    ///
    /// - Throws: ``FixtureError/notApplied(path:wanted:got:)`` when the kernel keeps a different
    ///   value (compared with runs of whitespace collapsed), or the write's error.
    /// - Returns: the value read back.
    @discardableResult
    func set(_ value: String) throws -> String {
        changed = true
        try SystemSetting.write(value, to: path)
        let readBack = try SystemSetting.read(path)
        guard SystemSetting.normalized(readBack) == SystemSetting.normalized(value) else {
            throw FixtureError.notApplied(path: path, wanted: value, got: readBack)
        }
        return readBack
    }

    /// Writes `value` without insisting that the kernel keeps it exactly (nr_hugepages, for
    /// one, gives what it could allocate). Returns the value read back.
    @discardableResult
    func write(_ value: String) throws -> String {
        changed = true
        try SystemSetting.write(value, to: path)
        return try SystemSetting.read(path)
    }

    /// Puts the original value back if this object changed it. Safe to call more than once; a
    /// failure is printed, since there is nobody left to throw to in a `defer` or `deinit`.
    func restore() {
        guard changed else { return }
        do {
            try SystemSetting.write(originalValue, to: path)
            changed = false
        } catch {
            FileHandle.standardError.write(Data("warning: cannot restore \(path) to \(originalValue): \(error)\n".utf8))
        }
    }

    /// The file's contents, whitespace-trimmed.
    static func read(_ path: String) throws -> String {
        try Fixture.readFile(path).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One write(2) of the whole value: proc_sys handlers parse a single write, not a stream.
    static func write(_ value: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FixtureError.system("open \(path) for writing", errno: errno) }
        defer { close(fd) }
        let bytes = Array("\(value)\n".utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw FixtureError.system("write \(value) to \(path)", errno: errno) }
    }

    private static func normalized(_ value: String) -> String {
        value.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}

/// Runs `body` with the file at `path` set to `value`, then restores it, even when `body` throws.
func withSetting<R>(_ path: String, _ value: String, _ body: () throws -> R) throws -> R {
    let setting = try SystemSetting(path)
    defer { setting.restore() }
    try setting.set(value)
    return try body()
}

/// Runs `body` with the file at `path` set to `value`, then restores it, even when `body` throws.
func withSetting<R>(_ path: String, _ value: String, _ body: () async throws -> R) async throws -> R {
    let setting = try SystemSetting(path)
    defer { setting.restore() }
    try setting.set(value)
    return try await body()
}
