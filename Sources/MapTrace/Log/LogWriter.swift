import Foundation
import Glibc

/// Writes the post-mortem log: JSON Lines, each record copied whole into the file as soon as
/// it is made (`LogFile`), so a crash of the traced program or a kill -9 of maptrace loses
/// nothing already seen.
public final class LogWriter: TraceSink {
    private let file: LogFile
    private let encoder = LogCoding.encoder()
    public var path: String { file.path }
    /// Why the log could not be written (a full disk, /dev/full), once it failed; nil while all is well.
    public var failure: String? { file.failure }

    /// Opens (creates) PATH and takes its lock; a regular file is truncated only once locked.
    public init(path: String) throws {
        file = try LogFile(path: path)
    }

    /// Trims the log to what was written and closes it (its lock goes with it).
    public func close() { file.close() }

    public func writeHeader(command: [String], mode: String) {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        write(LogHeader(kernel: field(u.release), arch: field(u.machine), host: field(u.nodename),
                        start: Clock.realtime(), command: command, mode: mode, system: Snapshot.readSystem()))
    }

    public func writeSummary(_ summary: SummaryLogRecord) { write(summary) }

    /// The trace output at PATH could not be written (the first failure only: the rest of it is lost).
    public func writeOutputError(path: String, reason: String) {
        write(OutputErrorLogRecord(time: Clock.realtime(), path: path, reason: reason))
    }

    public func wants(touchesHugetlb: Bool, failed: Bool) -> Bool { true }

    /// A record has no duration: a call known at its entry is recorded there.
    public func needsExit(_ call: Syscall, touchesHugetlb: Bool) -> Bool { false }

    public func handle(_ event: TraceEvent) {
        switch event {
        case .syscall(let e): writeSyscall(e, later: nil)
        case .laterFailure(let e): writeSyscall(e, later: true)
        case .signal(let time, let pid, let tid, let sig, let code, let address):
            write(SignalLogRecord(time: time, pid: pid, tid: tid, signal: Signal(rawValue: sig), code: code, addr: address))
        case .exec(let time, let pid, let tid, let path, let argv):
            write(ExecLogRecord(time: time, pid: pid, tid: tid, path: path, argv: argv))
        case .exit(let time, let pid, let tid, let status, let sig, let core, let isProcess):
            write(ExitLogRecord(time: time, pid: pid, tid: tid, status: status, signal: sig.map(Signal.init(rawValue:)),
                                coreDumped: core, process: isProcess))
        case .drift(let time, let pid, let model, let kernel):
            write(DriftLogRecord(time: time, pid: pid, model: model, kernel: kernel))
        case .diagnosis(let d):
            write(DiagnosisLogRecord(diagnosis: d))
        }
    }

    public func status(_ status: LiveStatus) {}

    /// A syscall record (the bulk of a log): the common memory calls through the fast path, the
    /// others through `JSONLine`; the two write the same bytes.
    private func writeSyscall(_ e: SyscallEvent, later: Bool?) {
        // made in place in the file's mapping when it has room for any record, else copied there
        if let space = file.space(for: SyscallRecordBytes.capacity) {
            if fast.format(e, later: later, into: space) {
                file.commit(fast.count)
                return
            }
        } else if fast.format(e, later: later) {
            file.append(fast.bytes)
            return
        }
        writeLine(SyscallRecordBytes.general(e, later: later))
    }

    private let fast = SyscallRecordBytes()
}

extension SyscallRecordBytes {
    /// The general path: every call, through `CallFields`, `CallText` and `JSONLine`.
    static func general(_ e: SyscallEvent, later: Bool?) -> [UInt8] {
        var line = JSONLine()
        line.field("type", "syscall")
        line.field("time", e.time)
        line.field("pid", e.pid)
        line.field("tid", e.tid)
        line.field("name", e.call.syscall.name)
        line.field("args", e.call.args.array)
        line.field("fields", CallFields.of(e.call))
        line.field("text", CallText.render(e.call))
        line.nullable("result", e.call.failed || e.call.neverReturned ? nil : e.call.result)
        line.field("errno", errno: e.call.failed ? Errno(rawValue: e.call.errno) : nil)
        line.field("injected", e.call.injected ? true : nil)
        line.field("fd_path", e.call.fdPath ?? e.call.resultPath)
        line.field("hugetlb", e.touchesHugetlb)
        line.field("page_size", e.hugePageSize)
        line.field("map_count", e.mapCount)
        line.field("max_map_count", e.maxMapCount)
        line.field("hugetlb_map_count", e.hugetlbMapCount)
        line.field("refused", e.refused)
        line.field("later", later)
        return line.finish()
    }
}

extension LogWriter {

    private func write<T: Encodable>(_ value: T) {
        guard var data = try? encoder.encode(value) else { return }
        data.append(0x0A)
        writeLine(Array(data))
    }

    private func writeLine(_ line: [UInt8]) {
        line.withUnsafeBytes { file.append($0) }
    }
}
