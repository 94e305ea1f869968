/// Which ports are forwarded to which, and which core receives on which port: l2fwd's rules.
struct Topology {
    /// For each enabled port, the port its frames are sent out of.
    let destinations: [Int: Int]
    /// For each core that has work, its receive ports, in port order.
    let coreInputs: [(lcore: Int, ports: [Int])]

    /// - Parameters:
    ///   - portCount: how many ports exist.
    ///   - mask: the `-p` mask; nil enables every port.
    ///   - cores: the cores given with `-l`, in order.
    ///   - portsPerCore: `-q`.
    init(portCount: Int, mask: UInt64?, cores: [Int], portsPerCore: Int) throws {
        let all = portCount >= 64 ? UInt64.max : (UInt64(1) << UInt64(portCount)) - 1
        let mask = mask ?? all
        guard mask & ~all == 0 else {
            throw UsageError(message: "L2FWD: invalid portmask 0x\(String(mask, radix: 16)); ports present: 0x\(String(all, radix: 16))")
        }
        let enabled = (0..<portCount).filter { mask & (1 << UInt64($0)) != 0 }
        // Enabled ports pair up in order, 0↔1, 2↔3…; an odd one out sends back out of itself.
        var destinations: [Int: Int] = [:]
        var index = 0
        while index < enabled.count {
            if index + 1 < enabled.count {
                destinations[enabled[index]] = enabled[index + 1]
                destinations[enabled[index + 1]] = enabled[index]
            } else {
                destinations[enabled[index]] = enabled[index]
            }
            index += 2
        }
        self.destinations = destinations
        // Each core takes up to -q receive ports before the next core is used.
        let needed = (enabled.count + portsPerCore - 1) / portsPerCore
        guard needed <= cores.count else {
            throw UsageError(
                message: "L2FWD: not enough cores: \(enabled.count) port(s) at \(portsPerCore) per core need \(needed), have \(cores.count)")
        }
        coreInputs = (0..<needed).map { slot in
            (cores[slot], Array(enabled[(slot * portsPerCore)..<min(enabled.count, (slot + 1) * portsPerCore)]))
        }
    }

    /// The enabled ports, in order.
    var enabledPorts: [Int] { destinations.keys.sorted() }
}
