import Foundation

/// What an l2fwd run needs: a pool of 2 MB huge pages of exactly `pages` pages, a fresh
/// hugetlbfs mount and a scratch directory, all undone by ``tearDown()`` (also on deinit).
final class L2fwdStage {
    let pool: HugePagePool
    let mount: HugetlbfsMount
    /// A scratch directory for pcap files, removed at tear-down.
    let directory: String

    init(pages: Int) throws {
        try Fixture.requirePrivileges()
        pool = try HugePagePool.reserve(pages: pages)
        do {
            mount = try HugetlbfsMount()
        } catch {
            pool.restore()
            throw error
        }
        do {
            directory = try Fixture.makeTemporaryDirectory(prefix: "maptrace-l2fwd")
        } catch {
            mount.unmount()
            pool.restore()
            throw error
        }
    }

    deinit { tearDown() }

    /// Deletes the scratch directory, unmounts (deleting any page files left) and restores the
    /// pool. Idempotent.
    func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        mount.unmount()
        pool.restore()
    }

    /// `l2fwd --huge-dir <mount> <eal…> -- <app…>`.
    func command(eal: [String] = [], app: [String] = []) -> [String] {
        [Fixture.binary("l2fwd"), "--huge-dir", mount.path] + eal + ["--"] + app
    }

    /// A path in the scratch directory.
    func file(_ name: String) -> String { "\(directory)/\(name)" }
}

/// What l2fwd printed, read back: its ports' MAC addresses and its last statistics table.
struct L2fwdOutput {
    /// Port number to the MAC address l2fwd announced for it.
    let portMACs: [Int: [UInt8]]
    /// Port number to its counters in the last table printed.
    let statistics: [Int: PortCounts]
    /// The rate of the closing `forwarded N packets in T s: R packets/s` line.
    let packetsPerSecond: Int?

    struct PortCounts: Equatable, CustomStringConvertible {
        var received: Int
        var sent: Int
        var dropped: Int
        var description: String { "received \(received), sent \(sent), dropped \(dropped)" }
    }

    init(_ stdout: String) {
        var macs: [Int: [UInt8]] = [:]
        var statistics: [Int: PortCounts] = [:]
        var rate: Int?
        var inTable = false
        for line in stdout.split(separator: "\n") {
            // Port 1 (net_pcap1), MAC address: 02:00:00:00:10:01
            if line.hasPrefix("Port "), let colon = line.range(of: "MAC address: "),
                let id = Int(line.dropFirst(5).prefix { $0.isNumber }),
                let mac = EthernetFrame.mac(line[colon.upperBound...])
            {
                macs[id] = mac
            } else if line.hasPrefix("Port statistics") {
                inTable = true
                statistics = [:]
            } else if line.hasPrefix("====") {
                inTable = false
            } else if inTable {
                let columns = line.split(separator: " ").compactMap { Int($0) }
                if columns.count == 4 {
                    statistics[columns[0]] = PortCounts(received: columns[1], sent: columns[2], dropped: columns[3])
                }
            } else if line.hasPrefix("L2FWD: forwarded"), let end = line.range(of: " packets/s") {
                rate = Int(line[..<end.lowerBound].split(separator: " ").last ?? "")
            }
        }
        portMACs = macs
        self.statistics = statistics
        packetsPerSecond = rate
    }
}

/// The mappings of process `pid` backed by files under `directory`, from /proc/PID/maps.
func hugepageMappings(pid: pid_t, under directory: String) -> [String] {
    let maps = (try? Fixture.readFile("/proc/\(pid)/maps")) ?? ""
    return maps.split(separator: "\n").map(String.init).filter { $0.contains(" \(directory)/") }
}
