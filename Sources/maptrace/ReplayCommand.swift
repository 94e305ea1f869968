import ArgumentParser
import Foundation
import MapTrace

/// `maptrace replay STRACE_LOG...`: the first failure of a plain strace log, explained.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Explain the first failing memory call of a plain `strace -f` log.",
        discussion: """
        Reads logs written by strace -f (with or without pids, -t/-tt/-ttt/-r times, -y fd \
        paths, <unfinished ...>/<... resumed> halves; several -ff files are merged by time), \
        replays the memory calls through the mapping model, finds the first failing memory \
        call and explains it as far as a log allows. The flags supply what a log cannot know. \
        The answer says what the log lacked and how far the count could be off.

        Exit status: 0 the log was read and no memory call failed; 1 a failed memory call was \
        found; 2 usage error; 3 the log could not be read (missing, not an strace log).
        """)

    @Argument(help: ArgumentHelp("strace logs; -ff files of one run together.", valueName: "strace-log"))
    var logs: [String]

    @Option(name: .customLong("max-map-count"), help: "vm.max_map_count on the machine that ran it.")
    var maxMapCount: Int?

    @Option(name: .customLong("hugepages"), help: "nr_hugepages of the huge page size used.")
    var hugepages: Int?

    @Option(name: .customLong("free-hugepages"), help: "free huge pages when the log starts (default: --hugepages).")
    var freeHugepages: Int?

    @Option(name: .customLong("hugepage-size"), help: ArgumentHelp("The huge page size: 2M (default) or 1G.", valueName: "size"),
            completion: .list(["2M", "1G"]))
    var hugepageSize: String = "2M"

    @Option(name: .customLong("rlimit-as"), help: ArgumentHelp("RLIMIT_AS (ulimit -v) in bytes.", valueName: "bytes"))
    var rlimitAS: UInt64?

    @Option(name: .customLong("rlimit-data"), help: ArgumentHelp("RLIMIT_DATA (ulimit -d) in bytes.", valueName: "bytes"))
    var rlimitData: UInt64?

    @Option(name: .customLong("baseline"), help: "Areas the process had before the log's first call (when strace attached to it with -p).")
    var baseline: Int?

    @Option(name: .customLong("hugetlbfs"), help: ArgumentHelp("A hugetlbfs mount point (repeatable); without it, /dev/hugepages, /mnt/huge* and rtemap-style names count.", valueName: "dir"))
    var hugetlbfs: [String] = []

    @Flag(name: .customLong("json"), help: "Print the diagnosis as JSON.")
    var json = false

    func validate() throws {
        if ByteSize.parse(hugepageSize) == nil { throw ValidationError("--hugepage-size must be like 2M, 1G or a byte count") }
    }

    func run() throws {
        var options = ReplayOptions()
        options.maxMapCount = maxMapCount
        options.hugepages = hugepages
        options.freeHugepages = freeHugepages
        options.hugePageSize = ByteSize.parse(hugepageSize) ?? 2 << 20
        options.rlimitAS = rlimitAS
        options.rlimitData = rlimitData
        options.baseline = baseline
        options.hugetlbfsMounts = hugetlbfs
        // one file is replayed as it is read (memory stays flat); strace -ff files are merged by time first
        let log: StraceLog
        let result: ReplayResult
        do {
            if logs.count == 1 {
                (result, log) = try StraceReplay.run(path: logs[0], options: options)
            } else {
                log = try StraceLog.read(paths: logs)
                result = StraceReplay.run(log, options: options)
            }
        } catch let error as StraceLogError {
            throw MapTraceError.unreadableInput(error.description)
        } catch let error as MapTraceError { throw error.asUnreadableInput }
        if json {
            print(try ReportText.diagnosesJSON(result.diagnosis.map { [$0] } ?? []))
        } else {
            print(ReplayText.render(result, log: log))
        }
        if result.failure != nil { throw ExitCode(1) }
    }
}

/// 2M, 1G, 2097152.
enum ByteSize {
    static func parse(_ text: String) -> UInt64? {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = text.uppercased().last, let unit = units[last] { return UInt64(text.dropLast()).map { $0 * unit } }
        return UInt64(text)
    }
}
