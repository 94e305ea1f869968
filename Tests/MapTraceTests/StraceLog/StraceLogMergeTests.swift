import Testing
@testable import MapTrace

/// `strace -ff -o prefix`: one file per thread, merged by time.
struct StraceLogMergeTests {
    typealias F = StraceLogFixtures

    @Test("-ff files merge in time order, each event with the pid of its file name")
    func perThreadFilesMergeByTime() throws {
        let log = try StraceLog.read(paths: F.perThreadFiles)
        #expect(log.issues.isEmpty && log.hasPids && log.timeFormat == "tt")
        #expect(log.files == F.perThreadFiles)
        for event in log.events {
            guard case .call(let call) = event else { continue }
            #expect(call.pid == Int32(F.perThreadFiles[call.file].split(separator: ".").last!))
        }
        var last = -Double.infinity
        for case .call(let call) in log.events {
            let time = try #require(call.time)
            #expect(time >= last, "line \(call.line) of file \(call.file) goes back in time")
            last = time
        }
        // the parent forks 13511, waits; the child's SIGBUS comes between the fork and the parent's SIGCHLD
        let fork = try #require(log.events.firstIndex {
            if case .call(let call) = $0 { return call.name == "clone" && call.resultValue == 13511 } else { return false }
        })
        let bus = try #require(log.events.firstIndex {
            if case .signal(13511, "SIGBUS", _, _, _) = $0 { return true } else { return false }
        })
        let child = try #require(log.events.firstIndex {
            if case .signal(13507, "SIGCHLD", let fields, _, _) = $0 { return fields["si_pid"] == "13511" } else { return false }
        })
        #expect(fork < bus && bus < child)
        #expect(log.events.contains(.exit(pid: 13511, status: nil, signal: "SIGBUS", line: 2)))
        #expect(log.events.last == .exit(pid: 13507, status: 1, signal: nil, line: 49))
    }

    @Test("the order the files are given in does not change the merged order")
    func mergeIgnoresArgumentOrder() throws {
        let forward = try StraceLog.read(paths: F.perThreadFiles)
        let backward = try StraceLog.read(paths: F.perThreadFiles.reversed())
        let key: (StraceEvent) -> String = { "\($0.pid ?? 0):\($0.line)" }
        #expect(forward.events.map(key) == backward.events.map(key))
        let total = try F.perThreadFiles.map { try StraceLog.read(paths: [$0]).events.count }.reduce(0, +)
        #expect(forward.events.count == total)
    }

    @Test("files with -r deltas or no stamps follow one another, and the log says why")
    func relativeFilesAreJoinedNotMerged() {
        let first = StraceLog.parse("     0.000000 brk(NULL) = 0x1000\n     0.500000 getpid() = 7\n", file: 0)
        let second = StraceLog.parse("     0.000001 brk(NULL) = 0x2000\n", file: 1)
        #expect(first.timeFormat == "r" && first.events.map(\.time) == [0.0, 0.5])
        let parts = [StraceFileEvents(events: first.events, sortTimes: first.events.map(\.time), timeFormat: "r"),
                     StraceFileEvents(events: second.events, sortTimes: second.events.map(\.time), timeFormat: "r")]
        let merged = StraceLog.merge(parts, files: ["a.1", "a.2"])
        #expect(merged.events.map(\.line) == [1, 2, 1])
        // how the files were joined is a note on the reading, not a line that could not be read
        #expect(merged.issues.isEmpty)
        #expect(merged.notes.count == 1 && merged.notes[0].contains("not merged by time"))
    }
}
