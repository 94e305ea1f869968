#if canImport(Glibc)
import Glibc
#endif

/// Which sysctl configuration file set a key, in the order systemd-sysctl applies them.
///
/// systemd-sysctl (sysctl.d(5)) gathers `*.conf` from these directories; a file name found in an
/// earlier directory masks the same name in later ones; the survivors are applied sorted by file
/// name, and the last assignment of a key wins. procps `sysctl --system` then reads
/// /etc/sysctl.conf last (Debian links it as /etc/sysctl.d/99-sysctl.conf; read once).
public enum SysctlFiles {
    /// Directories in precedence order.
    public static let directories = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d",
                                     "/usr/lib/sysctl.d", "/lib/sysctl.d"]
    public static let mainFile = "/etc/sysctl.conf"

    /// The files in the order they are applied. `root` prefixes every path (for tests).
    public static func files(root: String = "") -> [String] {
        var chosen: [String: String] = [:]
        for directory in directories {
            for entry in ProcText.directoryEntries(root + directory)
            where entry.name.hasSuffix(".conf") && chosen[entry.name] == nil {
                chosen[entry.name] = directory + "/" + entry.name
            }
        }
        var ordered = chosen.keys.sorted().compactMap { chosen[$0] }
        let seen = Set(ordered.map { realPath(root + $0) })
        if access(root + mainFile, R_OK) == 0, !seen.contains(realPath(root + mainFile)) {
            ordered.append(mainFile)
        }
        return ordered
    }

    /// The last assignment of each of `keys` ("vm.max_map_count"), in application order.
    public static func lastAssignments(of keys: [String], root: String = "") -> [SysctlAssignment] {
        var last: [String: SysctlAssignment] = [:]
        for file in files(root: root) {
            guard let text = ProcText.read(root + file) else { continue }
            for assignment in assignments(in: text, file: file) where keys.contains(assignment.key) {
                last[assignment.key] = assignment
            }
        }
        return keys.compactMap { last[$0] }
    }

    /// `key = value` lines of one file; `#`/`;` start comments, a leading `-` (ignore errors) is
    /// dropped, and `vm/max_map_count` is the same key as `vm.max_map_count`.
    static func assignments(in text: String, file: String) -> [SysctlAssignment] {
        var result: [SysctlAssignment] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingSpaces()
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix(";"),
                  let equals = line.firstIndex(of: "=") else { continue }
            var key = line[..<equals].trimmingSpaces()
            if key.hasPrefix("-") { key.removeFirst() }
            key = key.replacingSlashes()
            let value = line[line.index(after: equals)...].trimmingSpaces()
            result.append(SysctlAssignment(key: key, value: value, file: file, line: index + 1))
        }
        return result
    }

    private static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

private extension String {
    /// sysctl accepts '/' as the separator when the key has no '.'; normalise to dots.
    func replacingSlashes() -> String {
        contains(".") ? self : String(map { $0 == "/" ? "." : $0 })
    }
}
