import Glibc

/// The program: EAL init (memory, ports), then forwarding until a signal, the end of the
/// inputs or `--duration`, then the final statistics and clean-up.
enum L2fwd {
    static func run(_ arguments: [String]) -> Int32 {
        // SIGINT and SIGTERM are taken by the main thread with sigtimedwait, never by a
        // handler: blocked here, before any thread exists, every forwarding thread inherits the
        // block, and the stop becomes an ordinary flag the loops read.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let options: Options
        do {
            options = try Options.parse(arguments)
        } catch is HelpRequested {
            Console.info(Options.usage)
            return 0
        } catch {
            Console.fail("\(error)")
        }

        let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        Console.info("EAL: Detected \(online) lcore(s)")
        // -l may name cores this machine does not have; like a smaller machine, use the rest.
        let cores = (options.eal.cores ?? Array(0..<online)).filter { $0 < online }
        guard !cores.isEmpty else { Console.fail("EAL: invalid core list: none of the cores exists (\(online) online)") }
        let vdevs: [VdevSpec]
        do {
            vdevs = try (options.eal.vdevs.isEmpty ? defaultVdevs(options.app.portMask) : options.eal.vdevs)
                .map(VdevSpec.init(parsing:))
        } catch {
            Console.fail("\(error)")
        }

        let memory: HugepageMemory
        do {
            memory = try HugepageMemory.initialize(options.eal)
        } catch {
            Console.fail("\(error)")
        }
        let status = forward(options: options, cores: cores, vdevs: vdevs, memory: memory, stopSignals: stopSignals)
        let released = memory.release()
        Console.info("EAL: Released \(released.mappings) mapping(s), removed \(released.files) file(s) from \(memory.directory.path)")
        return status
    }

    /// With no `--vdev`, one `net_null` port per bit of the mask (one port with no mask), so
    /// that `l2fwd -m 64 -- -p 0x1` forwards something.
    private static func defaultVdevs(_ mask: UInt64?) -> [String] {
        let count = mask.map { 64 - $0.leadingZeroBitCount } ?? 1
        Console.info("L2FWD: no --vdev given: using \(count) net_null port(s)")
        return (0..<count).map { "net_null\($0)" }
    }

    /// Ports, cores, the loop, the final table; returns the exit status. The memory is the
    /// caller's to release.
    private static func forward(
        options: Options, cores: [Int], vdevs: [VdevSpec], memory: HugepageMemory, stopSignals: sigset_t
    ) -> Int32 {
        let pool = PacketPool(memory: memory)
        Console.info("EAL: Packet pool of \(pool.capacity) buffers of \(PacketBuffer.stride) bytes in huge page memory")
        var ports: [Port] = []
        defer { ports.forEach { $0.close() } }
        let topology: Topology
        do {
            for (id, spec) in vdevs.enumerated() {
                ports.append(try spec.makePort(id: id, pool: pool))
            }
            topology = try Topology(
                portCount: ports.count, mask: options.app.portMask, cores: cores, portsPerCore: options.app.portsPerCore)
        } catch {
            Console.error("\(error)")
            return 1
        }
        let counters = ports.map { _ in PortCounters() }
        for port in ports {
            Console.info("Port \(port.id) (\(port.name)), MAC address: \(port.macAddress)")
        }

        let control = RunControl()
        var threads: [ForwardingThread] = []
        let started = monotonicSeconds()
        for (lcore, inputs) in topology.coreInputs {
            let routes = inputs.map { input in
                let output = topology.destinations[input]!
                return Route(
                    input: ports[input], inputCounters: counters[input], output: ports[output],
                    outputCounters: counters[output], updatesMACs: options.app.updatesMACs)
            }
            for route in routes {
                Console.info("L2FWD: lcore \(lcore): port \(route.input.id) -> port \(route.output.id)")
            }
            do {
                threads.append(try ForwardingThread(running: ForwardingCore(lcore: lcore, routes: routes, pool: pool, control: control)))
            } catch {
                control.requestStop()
                threads.forEach { $0.join() }
                Console.error("L2FWD: cannot start lcore \(lcore): \(error)")
                return 1
            }
        }
        for lcore in cores where !topology.coreInputs.contains(where: { $0.lcore == lcore }) {
            Console.info("L2FWD: lcore \(lcore) has nothing to do")
        }

        let table = StatisticsTable(ports: topology.enabledPorts.map { ($0, counters[$0]) })
        waitForEnd(control: control, options: options.app, table: table, started: started, stopSignals: stopSignals)
        control.requestStop()
        threads.forEach { $0.join() }
        let elapsed = monotonicSeconds() - started

        table.render(elapsed: elapsed).forEach(Console.info)
        let sent = table.totalSent
        let rate = elapsed > 0 ? Double(sent) / elapsed : 0
        Console.info("L2FWD: forwarded \(sent) packets in \(format(elapsed, decimals: 3)) s: \(Int(rate)) packets/s")
        return 0
    }

    /// Sleeps in sigtimedwait until SIGINT or SIGTERM, the end of every input, or the
    /// duration, printing the table every `-T` seconds.
    private static func waitForEnd(
        control: RunControl, options: AppOptions, table: StatisticsTable, started: Double, stopSignals: sigset_t
    ) {
        var signals = stopSignals
        let period = options.statisticsPeriod
        var nextTable = started + period
        while control.runningCores > 0 {
            let now = monotonicSeconds()
            if let duration = options.duration, now - started >= duration { return }
            if period > 0 && now >= nextTable {
                table.render(elapsed: now - started).forEach(Console.info)
                nextTable += period
            }
            // Short slices: the end of a pcap input is noticed within 20 ms.
            var slice = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            let signal = sigtimedwait(&signals, nil, &slice)
            if signal == SIGINT || signal == SIGTERM {
                Console.info("\nSignal \(signal) received, preparing to exit...")
                return
            }
        }
    }
}
