import Foundation
import Testing

/// Replay keeps the model, not the log: its memory does not grow with the number of lines.
@Suite("Replay of long logs")
struct ReplayScaleTests {
    let maptrace = Fixture.binary("maptrace")

    /// A log of `lines` lines: mmap, a splitting mprotect, munmap, and a read, over and over.
    func log(lines: Int) throws -> String {
        let path = NSTemporaryDirectory() + "maptrace-scale-\(getpid())-\(lines).log"
        var text = "100 execve(\"./l2fwd\", [\"./l2fwd\"], 0x7ffc) = 0\n"
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<(lines / 4) {
            let address = "0x" + String(0x7f00_0000_0000 + UInt64.random(in: 0..<4096, using: &rng) * 4096, radix: 16)
            text += "100 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = \(address)\n"
            text += "100 mprotect(\(address), 4096, PROT_READ) = 0\n"
            text += "100 munmap(\(address), 8192) = 0\n"
            text += "100 read(3, \"x\", 1) = 1\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Peak RSS in KiB of a replay, from GNU time.
    func peak(_ path: String) -> Int? {
        let r = Fixture.run(["/usr/bin/time", "-f", "%M", maptrace, "replay", path], timeout: 600)
        #expect(r.status == 0, "\(r.stderr.suffix(500))")
        return r.stderr.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    @Test("ten times the lines, the same memory")
    func flatMemory() throws {
        let small = try log(lines: 20_000)
        let large = try log(lines: 200_000)
        defer { unlink(small); unlink(large) }
        let a = try #require(peak(small)), b = try #require(peak(large))
        print("replay peak RSS: 20k lines \(a) KiB, 200k lines \(b) KiB")
        // a log held whole took about 340 bytes a line: 60 MB more here
        #expect(b - a < 8 * 1024, "20k lines: \(a) KiB, 200k lines: \(b) KiB")
    }
}
