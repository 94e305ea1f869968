import Foundation
import Testing

/// l2fwd forwarding live frames between two veth pairs through AF_PACKET sockets.
///
/// Everything happens in a network namespace of the test's own: a sender (l2fwd itself,
/// from a pcap file to veth `a1`), the forwarder under test between `a0` and `b0`, and a
/// capture (l2fwd again, from `b1` to a pcap file).
///
///     in.pcap ─▶ sender ─▶ a1 ══ a0 ─▶ l2fwd ─▶ b0 ══ b1 ─▶ capture ─▶ out.pcap
@Suite("l2fwd with net_af_packet ports", .serialized)
struct L2fwdAFPacketTests {
    /// Frames of many sizes up to the veth MTU, marked with the local experimental EtherType so
    /// that they stand out from anything else on the wire.
    static let frames: [[UInt8]] = (0..<24).map { index in
        EthernetFrame.make(
            destination: [0x00, 0x1b, 0x21, 0x3a, 0x4f, UInt8(index)], source: [0x00, 0x1b, 0x21, 0x00, 0x00, 0x01],
            etherType: 0x88b5, payloadLength: 46 + index * 63, seed: UInt8(index))
    }

    @Test("live frames entering one interface leave by the paired one with l2fwd's MAC rewrite", Fixture.privileged)
    func forwardsLiveFrames() throws {
        let stage = try L2fwdStage(pages: 8)
        defer { stage.tearDown() }
        let namespace = try NetworkNamespace(name: "maptrace-l2fwd-\(getpid())")
        defer { namespace.delete() }
        // No IPv6 in the namespace, so no router or multicast chatter when the links come up.
        try namespace.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        for pair in ["a", "b"] {
            try namespace.run(["ip", "link", "add", "\(pair)0", "type", "veth", "peer", "name", "\(pair)1"])
            try namespace.run(["ip", "link", "set", "\(pair)0", "up"])
            try namespace.run(["ip", "link", "set", "\(pair)1", "up"])
        }
        let b0MAC = try #require(EthernetFrame.mac(try namespace.run(["cat", "/sys/class/net/b0/address"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        try PcapFile(frameBytes: Self.frames).write(to: stage.file("in.pcap"))

        // Three l2fwds share the pool: each maps only its own two pages, under its own prefix.
        func l2fwd(_ prefix: String, _ vdevs: [String], _ app: [String]) -> [String] {
            namespace.command(
                stage.command(
                    eal: ["-m", "2", "--mem-mode", "on-demand", "--file-prefix", prefix] + vdevs.flatMap { ["--vdev", $0] },
                    app: ["-p", "0x3", "-T", "0"] + app))
        }
        var running: [RunningProcess] = []
        defer {
            for process in running {
                process.send(SIGKILL)
                process.wait(timeout: 20)
            }
        }
        let capture = try Fixture.start(
            l2fwd("cap", ["net_af_packet0,iface=b1", "net_pcap1,tx_pcap=\(stage.file("out.pcap"))"], ["--no-mac-updating"]))
        running.append(capture)
        #expect(capture.waitForOutput(containing: "L2FWD: lcore"), "\(capture.stderrSoFar)")
        let forwarder = try Fixture.start(l2fwd("fwd", ["net_af_packet0,iface=a0", "net_af_packet1,iface=b0"], []))
        running.append(forwarder)
        #expect(forwarder.waitForOutput(containing: "L2FWD: lcore"), "\(forwarder.stderrSoFar)")

        let sender = Fixture.run(
            l2fwd("snd", ["net_pcap0,rx_pcap=\(stage.file("in.pcap"))", "net_af_packet1,iface=a1"],
                  ["--no-mac-updating", "--duration", "1"]),
            timeout: 30)
        #expect(sender.status == 0, "\(sender)")
        #expect(L2fwdOutput(sender.stdout).statistics[1]?.sent == Self.frames.count, "\(sender)")

        usleep(300_000)  // frames in flight reach the capture
        forwarder.send(SIGTERM)
        let forwarded = forwarder.wait(timeout: 20)
        capture.send(SIGTERM)
        let captured = capture.wait(timeout: 20)
        #expect(forwarded.status == 0, "\(forwarded)")
        #expect(captured.status == 0, "\(captured)")

        let output = L2fwdOutput(forwarded.stdout)
        #expect(output.portMACs[1] == b0MAC, "port 1 announces its interface's address")
        let ours = try PcapFile(contentsOf: stage.file("out.pcap")).frames.map(\.bytes)
            .filter { $0.count >= 14 && $0[12] == 0x88 && $0[13] == 0xb5 }
        #expect(ours == Self.frames.map { [0x02, 0, 0, 0, 0, 0x01] + b0MAC + $0[12...] })
        let statistics = output.statistics
        #expect((statistics[0]?.received ?? 0) >= Self.frames.count, "\(forwarded)")
        #expect((statistics[1]?.sent ?? 0) >= Self.frames.count, "\(forwarded)")
        #expect(statistics[1]?.dropped == 0, "\(forwarded)")
        #expect(stage.mount.files.isEmpty, "left behind: \(stage.mount.files)")
    }
}
