import Glibc
import Synchronization

/// One port's counters, added to by the forwarding cores once per burst and read by the main
/// thread for the table. `received` is written by the core that owns the port, `sent` and
/// `dropped` by the core that transmits to it: each on a line of its own.
final class PortCounters: Sendable {
    private let counters = CacheLineAtomics<UInt64>(count: 3, initial: 0)

    func countReceived(_ count: Int) { counters.atomic(0).pointee.wrappingAdd(UInt64(count), ordering: .relaxed) }
    func countSent(_ count: Int) { counters.atomic(1).pointee.wrappingAdd(UInt64(count), ordering: .relaxed) }
    func countDropped(_ count: Int) { counters.atomic(2).pointee.wrappingAdd(UInt64(count), ordering: .relaxed) }

    /// The three counters now.
    var values: (received: UInt64, sent: UInt64, dropped: UInt64) {
        (counters.atomic(0).pointee.load(ordering: .relaxed), counters.atomic(1).pointee.load(ordering: .relaxed),
         counters.atomic(2).pointee.load(ordering: .relaxed))
    }
}

/// The statistics table l2fwd prints every `-T` seconds and at exit.
struct StatisticsTable {
    /// The enabled ports, in port order.
    let ports: [(id: Int, counters: PortCounters)]

    /// The lines of the table, after `elapsed` seconds of forwarding.
    func render(elapsed: Double) -> [String] {
        var lines = ["Port statistics after \(format(elapsed, decimals: 2)) s " + String(repeating: "=", count: 28)]
        lines.append(row("port", "received", "sent", "dropped"))
        var total: (received: UInt64, sent: UInt64, dropped: UInt64) = (0, 0, 0)
        for port in ports {
            let values = port.counters.values
            lines.append(row("\(port.id)", "\(values.received)", "\(values.sent)", "\(values.dropped)"))
            total.received += values.received
            total.sent += values.sent
            total.dropped += values.dropped
        }
        lines.append(row("total", "\(total.received)", "\(total.sent)", "\(total.dropped)"))
        lines.append(String(repeating: "=", count: 56))
        return lines
    }

    /// Frames sent by all ports.
    var totalSent: UInt64 { ports.reduce(0) { $0 + $1.counters.values.sent } }

    private func row(_ columns: String...) -> String {
        columns.map { String(repeating: " ", count: max(0, 13 - $0.count)) + $0 }.joined(separator: " ")
    }
}

/// `value` with a fixed number of decimals, without Foundation.
func format(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(abs(scaled % Int(scale)))
    guard decimals > 0 else { return String(whole) }
    return "\(whole).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
}
