import ArgumentParser
import Foundation
import Glibc
import MapTrace

/// `maptrace check`: a preflight that runs nothing.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Preflight: would a dataplane's hugepage init fail here? Runs nothing.",
        discussion: """
        Reads the huge page pools per size and NUMA node, the hugetlbfs mounts and their limits, \
        stale files on them, vm.max_map_count, the rlimits of this shell (or of --pid PID), the \
        cgroup hugetlb limits and the overcommit settings. Predicts whether a process that maps \
        every free huge page with one mapping each (DPDK's legacy memory init) would run into \
        vm.max_map_count, and prints the value that would pass.

        Exit status: 0 nothing is predicted to fail; 1 a failure is predicted; 2 usage error; \
        3 the process given with --pid could not be read.
        """)

    @Option(name: [.short, .customLong("pid")], help: ArgumentHelp("Check the limits of this running process instead of the calling shell.", valueName: "pid"))
    var pid: Int32?

    @Flag(name: .customLong("json"), help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let target = pid ?? getppid()
        if let pid, access("/proc/\(pid)", F_OK) != 0 { throw MapTraceError.noSuchProcess(pid).asUnreadableInput }
        let result = Preflight.run(pid: target)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(result.text)
        }
        if !result.passed { throw ExitCode(1) }
    }
}
