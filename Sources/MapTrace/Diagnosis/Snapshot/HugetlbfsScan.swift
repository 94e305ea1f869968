#if canImport(Glibc)
import Glibc
#endif

/// What hugetlbfs mounts hold: statfs counters, the files below each mount, and which of those
/// files no live process maps.
enum HugetlbfsScan {
    /// A file below a hugetlbfs mount and the bytes of huge pages it holds.
    struct File {
        var path: String
        var allocatedBytes: UInt64
        var pageSize: UInt64
    }

    /// Deep enough for DPDK's layout (files directly in the mount, or one prefix directory down).
    static let maxDepth = 4

    /// statvfs carries statfs's counters (glibc fills f_frsize from f_bsize when the kernel leaves it 0).
    static func statfsCounts(_ mountPoint: String) -> StatfsCounts? {
        var counts = statvfs()
        guard statvfs(mountPoint, &counts) == 0 else { return nil }
        return StatfsCounts(blockSize: Int64(counts.f_bsize), blocks: Int64(bitPattern: UInt64(counts.f_blocks)),
                            blocksFree: Int64(bitPattern: UInt64(counts.f_bfree)),
                            files: Int64(bitPattern: UInt64(counts.f_files)),
                            filesFree: Int64(bitPattern: UInt64(counts.f_ffree)))
    }

    /// Walks one mount: fills the counts of `mount` and returns its files.
    static func walk(_ mount: inout HugetlbfsMountState) -> [File] {
        var files: [File] = []
        var directories = 0
        var pending: [(path: String, depth: Int)] = [(mount.mountPoint, 0)]
        while let (directory, depth) = pending.popLast() {
            for entry in ProcText.directoryEntries(directory) {
                let path = (directory.hasSuffix("/") ? directory : directory + "/") + entry.name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    directories += 1
                    if depth + 1 < maxDepth { pending.append((path, depth + 1)) }
                } else {
                    files.append(File(path: path, allocatedBytes: UInt64(info.st_blocks) * 512,
                                      pageSize: mount.pageSize))
                }
            }
        }
        mount.fileCount = files.count
        mount.directoryCount = directories
        mount.allocatedBytes = files.reduce(0) { $0 + $1.allocatedBytes }
        return files
    }

    /// The files that appear in no /proc/PID/maps. Reads every process's maps, so call it only
    /// when a mount holds files.
    static func unmapped(_ files: [File], mountPoints: [String]) -> [StaleFile] {
        guard !files.isEmpty else { return [] }
        let mapped = mappedPaths(under: mountPoints)
        return files.filter { !mapped.contains($0.path) }
            .map { StaleFile(path: $0.path, allocatedBytes: $0.allocatedBytes, pageSize: $0.pageSize) }
    }

    /// Paths below `mountPoints` that some live process maps. The fields before the path hold no
    /// '/', so each line's first '/' starts its path; the scan stays in memchr/memcmp, which keeps
    /// reading every process's maps cheap.
    static func mappedPaths(under mountPoints: [String]) -> Set<String> {
        let prefixes = mountPoints.map { Array(($0.hasSuffix("/") ? $0 : $0 + "/").utf8) }
        var mapped = Set<String>()
        for entry in ProcText.directoryEntries("/proc") where entry.name.first?.isNumber == true {
            guard var text = ProcText.read("/proc/\(entry.name)/maps") else { continue }
            text.withUTF8 { bytes in
                guard let base = bytes.baseAddress else { return }
                var line = 0
                while line < bytes.count {
                    let rest = bytes.count - line
                    let newline = memchr(base + line, 0x0A, rest).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) }
                        ?? bytes.count
                    if let slash = memchr(base + line, 0x2F, newline - line) {
                        let start = base.distance(to: slash.assumingMemoryBound(to: UInt8.self))
                        let length = newline - start
                        if prefixes.contains(where: { $0.count <= length && memcmp(base + start, $0, $0.count) == 0 }) {
                            let path = String(decoding: bytes[start..<newline], as: UTF8.self)
                            // A deleted file has no name left to match.
                            if !path.hasSuffix(" (deleted)") { mapped.insert(path) }
                        }
                    }
                    line = newline + 1
                }
            }
        }
        return mapped
    }
}
