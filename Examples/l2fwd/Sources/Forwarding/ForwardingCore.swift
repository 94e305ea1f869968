import Glibc
import Synchronization

/// What the main thread and the forwarding cores share: the request to stop, and how many
/// cores are still forwarding.
final class RunControl: Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let running = Atomic<Int>(0)

    var stopRequested: Bool { stopFlag.load(ordering: .relaxed) }
    func requestStop() { stopFlag.store(true, ordering: .relaxed) }

    /// Cores that have not yet left their loop.
    var runningCores: Int { running.load(ordering: .acquiring) }
    fileprivate func coreStarted() { running.wrappingAdd(1, ordering: .relaxed) }
    fileprivate func coreFinished() { running.wrappingSubtract(1, ordering: .releasing) }
}

/// One receive port of a core and where its frames go.
struct Route {
    let input: Port
    let inputCounters: PortCounters
    let output: Port
    let outputCounters: PortCounters
    /// The 12 bytes written over the destination and source addresses, as one 8-byte and one
    /// 4-byte store; nil with --no-mac-updating.
    let addressRewrite: (UInt64, UInt32)?

    init(input: Port, inputCounters: PortCounters, output: Port, outputCounters: PortCounters, updatesMACs: Bool) {
        self.input = input
        self.inputCounters = inputCounters
        self.output = output
        self.outputCounters = outputCounters
        guard updatesMACs else {
            addressRewrite = nil
            return
        }
        let header = MACAddress.l2fwdDestination(port: output.id).bytes + output.macAddress.bytes
        addressRewrite = header.withUnsafeBytes {
            ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        }
    }
}

/// One forwarding thread, l2fwd's main loop: receive a burst, rewrite the addresses,
/// transmit it on the paired port, count.
///
/// Everything it uses (burst array, buffer cache, routes) exists before the loop starts, so
/// the loop itself allocates nothing and makes no memory syscall; the only syscalls are the
/// ports' own I/O and, when nothing arrives for a while, a short sleep.
final class ForwardingCore {
    let lcore: Int
    let routes: [Route]
    private let cache: BufferCache
    private let burst = Burst()
    let control: RunControl

    /// Empty polls before the core starts sleeping between polls: a live port with no traffic
    /// should not hold a CPU of a shared machine at 100%.
    private static let idlePollsBeforeSleep = 1024
    private static let idleSleepMicroseconds: useconds_t = 50

    init(lcore: Int, routes: [Route], pool: PacketPool, control: RunControl) {
        self.lcore = lcore
        self.routes = routes
        cache = BufferCache(pool: pool)
        self.control = control
    }

    /// Forwards until a stop is requested or every input is exhausted.
    func run() {
        defer { control.coreFinished() }
        var idlePolls = 0
        while !control.stopRequested {
            var moved = 0
            var live = 0
            for route in routes where !route.input.isExhausted {
                live += 1
                moved += forward(route)
            }
            if live == 0 { return }  // every input ended (pcap files): nothing more will come
            if moved > 0 {
                idlePolls = 0
            } else {
                idlePolls += 1
                if idlePolls >= ForwardingCore.idlePollsBeforeSleep { usleep(ForwardingCore.idleSleepMicroseconds) }
            }
        }
    }

    /// One burst from `route.input` to `route.output`; returns the frames received.
    @inline(__always)
    private func forward(_ route: Route) -> Int {
        let received = route.input.receive(into: burst, max: Burst.capacity, cache: cache, counters: route.inputCounters)
        guard received > 0 else { return 0 }
        route.inputCounters.countReceived(received)
        if let (first, second) = route.addressRewrite {
            for index in 0..<received {
                let data = burst[index].data
                data.storeBytes(of: first, as: UInt64.self)
                data.storeBytes(of: second, toByteOffset: 8, as: UInt32.self)
            }
        }
        let sent = route.output.transmit(burst, count: received, cache: cache)
        if sent > 0 { route.outputCounters.countSent(sent) }
        if sent < received {
            cache.free(burst, from: sent, to: received)
            route.outputCounters.countDropped(received - sent)
        }
        return received
    }
}

/// A POSIX thread running one ``ForwardingCore``.
///
/// The thread is not pinned to its core: glibc's affinity calls are GNU extensions that
/// Swift's Glibc module does not import, and pinning changes nothing l2fwd shows.
struct ForwardingThread {
    private let thread: pthread_t
    /// Held here, not by the thread: the core (its cache, its burst array) is then freed by the
    /// main thread after join, and a forwarding thread never calls free(), whose first use on a
    /// thread makes glibc mmap a new malloc arena.
    private let core: ForwardingCore

    init(running core: ForwardingCore) throws {
        var thread = pthread_t()
        core.control.coreStarted()  // before the thread exists, so the main thread never sees 0 too early
        let result = pthread_create(&thread, nil, { context in
            Unmanaged<ForwardingCore>.fromOpaque(context!).takeUnretainedValue().run()
            return nil
        }, Unmanaged.passUnretained(core).toOpaque())
        guard result == 0 else {
            core.control.coreFinished()
            throw Errno(call: "pthread_create", code: result)
        }
        self.thread = thread
        self.core = core
    }

    func join() {
        pthread_join(thread, nil)
    }
}
