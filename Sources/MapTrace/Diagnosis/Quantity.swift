/// Numbers as a diagnosis prints them.
enum Quantity {
    /// "2 MiB", "1 GiB", "6122 MiB", "64 kB": whole GiB when exact, else MiB (a tenth shown
    /// below 100 MiB, where it matters), as the sizes in DPDK's and the kernel's messages.
    static func bytes(_ value: UInt64) -> String {
        let tib: UInt64 = 1 << 40, gib: UInt64 = 1 << 30, mib: UInt64 = 1 << 20
        if value >= tib {  // address-space sizes: exact MiB would be a wall of digits
            if value % tib == 0 { return "\(value / tib) TiB" }
            let tenths = value / (tib / 10)
            return "\(tenths / 10).\(tenths % 10) TiB"
        }
        if value >= gib, value % gib == 0 { return "\(value / gib) GiB" }
        if value >= mib {
            if value % mib == 0 || value >= 100 * mib { return "\(value / mib) MiB" }
            let tenths = value * 10 / mib
            return "\(tenths / 10).\(tenths % 10) MiB"
        }
        if value >= 1024, value % 1024 == 0 { return "\(value / 1024) kB" }
        return "\(value) bytes"
    }

    static func bytes(_ value: UInt64?) -> String { value.map { bytes($0) } ?? "unlimited" }

    /// "2048kB": the name of a size in /sys/kernel/mm/hugepages.
    static func sysfsName(_ pageSize: UInt64) -> String { "hugepages-\(pageSize / 1024)kB" }

    /// "1 page", "3 pages".
    static func pages(_ count: Int) -> String { count == 1 ? "1 page" : "\(count) pages" }

    /// An unsigned byte count as an evidence value, saturating.
    static func int(_ value: UInt64) -> Int { Int(clamping: value) }
}

/// Commands that recur across fixes.
enum FixText {
    static func sysfsPool(_ pageSize: UInt64, node: Int? = nil, file: String = "nr_hugepages") -> String {
        let base = node.map { "/sys/devices/system/node/node\($0)/hugepages" } ?? "/sys/kernel/mm/hugepages"
        return "\(base)/\(Quantity.sysfsName(pageSize))/\(file)"
    }

    /// Sets a pool size and reads it back (the kernel may allocate fewer pages than asked).
    static func setPool(_ pages: Int, pageSize: UInt64, node: Int? = nil) -> String {
        let path = sysfsPool(pageSize, node: node)
        return "echo \(pages) > \(path) && cat \(path)"
    }

    /// A sysctl.d file of maptrace's own for `key` whose name sorts after `setter`'s, so its
    /// assignment is applied later and wins. One file per key, so two fixes never overwrite each other.
    static func persistentFile(for key: String, after setter: String?) -> String {
        let setterName = setter.map { String($0.split(separator: "/").last ?? "") } ?? ""
        let name = "maptrace-" + (key.split(separator: ".").last.map(String.init) ?? key) + ".conf"
        let candidates = ["90-", "99-", "99-zz-", "zz-"].map { $0 + name }
        return "/etc/sysctl.d/" + (candidates.first { $0 > setterName } ?? candidates[candidates.count - 1])
    }

    /// A runtime `sysctl -w` and a persistent line that wins over the file that set the old value.
    static func sysctl(_ key: String, _ value: String, setBy: SysctlAssignment?, note: String? = nil)
        -> [FixCommand] {
        [FixCommand(.runtime, "sysctl -w \(key)=\(value)", note: note),
         persistentSysctl(key, value, setBy: setBy)]
    }

    /// The persistent half: a sysctl.d file applied after `setBy`, then `sysctl --system` and a read-back.
    static func persistentSysctl(_ key: String, _ value: String, setBy: SysctlAssignment?) -> FixCommand {
        if let setBy, setBy.file == SysctlFiles.mainFile {
            // /etc/sysctl.conf is applied after every sysctl.d file: edit it in place.
            return FixCommand(.persistent,
                "sed -i 's/^[[:space:]]*\(key.replacingDots())[[:space:]]*=.*/\(key) = \(value)/' \(SysctlFiles.mainFile)"
                + " && sysctl --system >/dev/null && sysctl \(key)",
                note: "\(SysctlFiles.mainFile) line \(setBy.line) sets it and is applied last")
        }
        let file = persistentFile(for: key, after: setBy?.file)
        return FixCommand(.persistent,
            "echo '\(key) = \(value)' > \(file) && sysctl --system >/dev/null && sysctl \(key)",
            note: setBy.map { "sorts after \($0.file), which sets \($0.value)" })
    }
}

private extension String {
    /// "vm.max_map_count" → "vm\.max_map_count" for a sed pattern.
    func replacingDots() -> String { split(separator: ".").joined(separator: "\\.") }
}
