import Foundation
import Testing

/// l2fwd forwarding frames between pcap files: the rewrite, byte by byte, and the counts.
@Suite("l2fwd with net_pcap ports", .serialized)
struct L2fwdPcapTests {
    static let stranger: [UInt8] = [0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x5e]
    static let broadcast: [UInt8] = Array(repeating: 0xff, count: 6)

    /// Frames of the shapes a forwarder meets: minimum size, broadcast, multicast, one and two
    /// 802.1Q tags, the largest untagged and tagged frames.
    static let framesIn0: [[UInt8]] = [
        EthernetFrame.make(destination: broadcast, source: stranger, etherType: 0x0806, payloadLength: 46),
        EthernetFrame.make(destination: [0x01, 0x00, 0x5e, 0, 0, 1], source: stranger, etherType: 0x0800, payloadLength: 50, seed: 3),
        EthernetFrame.make(
            destination: stranger, source: broadcast.map { $0 ^ 0xfd }, vlans: [(0x8100, 100)], etherType: 0x0800,
            payloadLength: 100, seed: 7),
        EthernetFrame.make(
            destination: stranger, source: stranger, vlans: [(0x8100, 10), (0x8100, 20)], etherType: 0x86dd,
            payloadLength: 300, seed: 11),
        EthernetFrame.make(destination: stranger, source: stranger, etherType: 0x0800, payloadLength: 1500, seed: 13),
        EthernetFrame.make(
            destination: broadcast, source: stranger, vlans: [(0x8100, 4094)], etherType: 0x0800, payloadLength: 1500,
            seed: 17),
    ]
    static let framesIn1: [[UInt8]] = (0..<40).map { index in
        EthernetFrame.make(
            destination: stranger, source: stranger, etherType: 0x88b5, payloadLength: 46 + index * 37,
            seed: UInt8(index))
    }

    /// The frame l2fwd should send out of `port`, whose MAC address is `portMAC`.
    static func rewritten(_ frame: [UInt8], toPort port: Int, portMAC: [UInt8]) -> [UInt8] {
        [0x02, 0, 0, 0, 0, UInt8(port)] + portMAC + frame[12...]
    }

    @Test("frames from each port's input come out of the paired port with l2fwd's MAC rewrite", Fixture.privileged)
    func forwardsAndRewrites() throws {
        let stage = try L2fwdStage(pages: 8)
        defer { stage.tearDown() }
        try PcapFile(frameBytes: Self.framesIn0).write(to: stage.file("in0.pcap"))
        try PcapFile(frameBytes: Self.framesIn1).write(to: stage.file("in1.pcap"))

        // No --duration: the run must end by itself once both inputs are forwarded.
        let result = Fixture.run(
            stage.command(
                eal: [
                    "-m", "4", "--mem-mode", "on-demand",
                    "--vdev", "net_pcap0,rx_pcap=\(stage.file("in0.pcap")),tx_pcap=\(stage.file("out0.pcap"))",
                    "--vdev", "net_pcap1,rx_pcap=\(stage.file("in1.pcap")),tx_pcap=\(stage.file("out1.pcap"))",
                ],
                app: ["-p", "0x3", "-T", "0"]),
            timeout: 30)
        #expect(result.status == 0, "\(result)")

        let output = L2fwdOutput(result.stdout)
        let mac0 = try #require(output.portMACs[0], "\(result)")
        let mac1 = try #require(output.portMACs[1], "\(result)")
        #expect(mac0 != mac1)

        let out1 = try PcapFile(contentsOf: stage.file("out1.pcap"))
        let out0 = try PcapFile(contentsOf: stage.file("out0.pcap"))
        #expect(out1.frames.map(\.bytes) == Self.framesIn0.map { Self.rewritten($0, toPort: 1, portMAC: mac1) })
        #expect(out0.frames.map(\.bytes) == Self.framesIn1.map { Self.rewritten($0, toPort: 0, portMAC: mac0) })
        // The capture times travel with the frames.
        #expect(out1.frames.map(\.seconds) == PcapFile(frameBytes: Self.framesIn0).frames.map(\.seconds))
        #expect(out1.frames.map(\.microseconds) == PcapFile(frameBytes: Self.framesIn0).frames.map(\.microseconds))

        #expect(output.statistics[0] == .init(received: Self.framesIn0.count, sent: Self.framesIn1.count, dropped: 0))
        #expect(output.statistics[1] == .init(received: Self.framesIn1.count, sent: Self.framesIn0.count, dropped: 0))
        #expect(stage.mount.files.isEmpty, "page files left: \(stage.mount.files)")

        // A parser that is not ours reads the same frames, addresses and tags.
        let tshark = Fixture.run(
            ["tshark", "-r", stage.file("out1.pcap"), "-T", "fields", "-E", "separator=;",
             "-e", "frame.len", "-e", "eth.dst", "-e", "eth.src", "-e", "vlan.id"], timeout: 60)
        if tshark.status == 127 {
            print("tshark is not installed: the third-party check is skipped")
        } else {
            #expect(tshark.status == 0, "\(tshark)")
            let expected = Self.framesIn0.map { frame -> String in
                let vlans = Self.vlanIDs(frame).map(String.init).joined(separator: ",")
                return "\(frame.count);02:00:00:00:00:01;\(EthernetFrame.text(mac1[...]));\(vlans)"
            }
            #expect(tshark.stdout.split(separator: "\n").map(String.init) == expected)
        }
    }

    @Test("an odd last port sends its frames back out of itself", Fixture.privileged)
    func oddPortForwardsToItself() throws {
        let stage = try L2fwdStage(pages: 4)
        defer { stage.tearDown() }
        try PcapFile(frameBytes: Self.framesIn0).write(to: stage.file("in.pcap"))
        let result = Fixture.run(
            stage.command(
                eal: ["-m", "2", "--vdev", "net_pcap0,rx_pcap=\(stage.file("in.pcap")),tx_pcap=\(stage.file("out.pcap"))"],
                app: ["-p", "0x1", "-T", "0"]),
            timeout: 30)
        #expect(result.status == 0, "\(result)")
        let mac0 = try #require(L2fwdOutput(result.stdout).portMACs[0], "\(result)")
        let out = try PcapFile(contentsOf: stage.file("out.pcap"))
        #expect(out.frames.map(\.bytes) == Self.framesIn0.map { Self.rewritten($0, toPort: 0, portMAC: mac0) })
    }

    @Test("--no-mac-updating forwards frames unchanged, and frames too long for a buffer are dropped and counted", Fixture.privileged)
    func noMACUpdatingAndOversizedFrames() throws {
        let stage = try L2fwdStage(pages: 4)
        defer { stage.tearDown() }
        let jumbo = EthernetFrame.make(destination: Self.stranger, source: Self.stranger, etherType: 0x0800, payloadLength: 8986)
        try PcapFile(frameBytes: [Self.framesIn0[0], jumbo, Self.framesIn0[2]]).write(to: stage.file("in.pcap"))
        let result = Fixture.run(
            stage.command(
                eal: [
                    "-m", "2", "--mem-mode", "single-file",
                    "--vdev", "net_pcap0,rx_pcap=\(stage.file("in.pcap"))",
                    "--vdev", "net_pcap1,tx_pcap=\(stage.file("out.pcap"))",
                ],
                app: ["-p", "0x3", "-T", "0", "--no-mac-updating"]),
            timeout: 30)
        #expect(result.status == 0, "\(result)")
        let out = try PcapFile(contentsOf: stage.file("out.pcap"))
        #expect(out.frames.map(\.bytes) == [Self.framesIn0[0], Self.framesIn0[2]])
        let statistics = L2fwdOutput(result.stdout).statistics
        #expect(statistics[0] == .init(received: 2, sent: 0, dropped: 1), "\(result)")
        #expect(statistics[1] == .init(received: 0, sent: 2, dropped: 0), "\(result)")
    }

    /// The VLAN ids of a frame's 802.1Q / 802.1ad tags, outermost first.
    static func vlanIDs(_ frame: [UInt8]) -> [Int] {
        var ids: [Int] = []
        var offset = 12
        while offset + 4 <= frame.count, [0x8100, 0x88a8].contains(Int(frame[offset]) << 8 | Int(frame[offset + 1])) {
            ids.append((Int(frame[offset + 2]) << 8 | Int(frame[offset + 3])) & 0x0fff)
            offset += 4
        }
        return ids
    }
}

/// l2fwd's command line: mistakes are one line and status 1, before any memory is touched.
@Suite("l2fwd command line")
struct L2fwdCommandLineTests {
    @Test(
        "a bad option is reported in one line with exit status 1",
        arguments: [
            (["-x"], "invalid option '-x'"),
            (["--mem-mode", "sometimes"], "invalid mem-mode 'sometimes'"),
            (["-m"], "option '-m' needs a value"),
            (["-m", "lots"], "invalid -m 'lots'"),
            (["--vdev", "net_tap0"], "unknown driver 'net_tap'"),
            (["--vdev", "net_pcap0,rx=in.pcap"], "net_pcap takes no 'rx=in.pcap'"),
            (["-l", "3-1"], "invalid -l '3-1'"),
            (["--", "-p", "0"], "invalid portmask '0'"),
            (["--", "-p", "zz"], "invalid portmask 'zz'"),
            (["--", "-T", "-1"], "invalid -T '-1'"),
            (["--", "--frobnicate"], "invalid option '--frobnicate'"),
        ])
    func badOption(arguments: [String], message: String) {
        let result = Fixture.run([Fixture.binary("l2fwd")] + arguments, timeout: 30)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(!result.stdout.contains("Mapped"), "\(result)")
    }

    @Test("--help prints the usage and exits 0")
    func help() {
        let result = Fixture.run([Fixture.binary("l2fwd"), "--help"], timeout: 30)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("usage: l2fwd [EAL options] -- [app options]"))
        #expect(result.stdout.contains("--mem-mode"))
    }
}
