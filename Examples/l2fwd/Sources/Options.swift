import Glibc

/// How the EAL lays out its huge page memory.
enum MemoryMode: String, CaseIterable {
    /// DPDK 16.04: map every free page, one mapping each, then keep only what `-m` asks for.
    case allPages = "all-pages"
    /// Map only the pages `-m` needs, one mapping each.
    case onDemand = "on-demand"
    /// One file for the whole of `-m`, one mapping.
    case singleFile = "single-file"
    /// DPDK 18.05 and later: compare `-m` with the free pages first and give up before mapping
    /// anything when they fall short, then map only what `-m` needs, one mapping each.
    case checked
}

/// The options before `--`, in DPDK's EAL spelling.
struct EALOptions {
    /// `-m MB`: memory to keep; nil means every free page.
    var memoryMB: Int?
    /// `--huge-dir DIR`; nil means the first hugetlbfs mount of the default page size.
    var hugeDir: String?
    /// `--file-prefix P`: page files are named `Pmap_N`.
    var filePrefix = "rte"
    /// `-l CORES` or `-c MASK`; nil means every online core.
    var cores: [Int]?
    /// `--vdev SPEC`, in the order given; port N is the Nth.
    var vdevs: [String] = []
    /// `--mem-mode MODE`.
    var memoryMode = MemoryMode.allPages
}

/// The options after `--`, in DPDK l2fwd's spelling.
struct AppOptions {
    /// `-p PORTMASK` (hex); nil means every port.
    var portMask: UInt64?
    /// `-q N`: receive ports per forwarding core.
    var portsPerCore = 1
    /// `-T SECONDS`: statistics period, 0 for none but the final table.
    var statisticsPeriod = 10.0
    /// False with `--no-mac-updating`.
    var updatesMACs = true
    /// `--duration SECONDS`: stop by itself after that long.
    var duration: Double?
}

/// A mistake in the command line or in what it names (a file, an interface), reported as one
/// line.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// `-h` or `--help` was given.
struct HelpRequested: Error {}

/// The whole command line: `l2fwd [EAL options] -- [app options]`.
struct Options {
    var eal = EALOptions()
    var app = AppOptions()

    static let usage = """
        usage: l2fwd [EAL options] -- [app options]
        EAL options:
          -m MB                 memory to keep (default: every free huge page)
          --huge-dir DIR        hugetlbfs mount (default: the first of the default page size)
          --file-prefix P       page files are named Pmap_N (default: rte)
          -l CORES | -c MASK    forwarding cores, e.g. 0-3,5 (default: all online)
          --vdev SPEC           a port: net_pcap0,rx_pcap=IN,tx_pcap=OUT | net_af_packet0,iface=IF
                                | net_null0 | net_ring0[,packets=N]  (repeatable)
          --mem-mode MODE       all-pages (DPDK 16.04, default) | on-demand | single-file
                                | checked (DPDK 18.05+: checks the free pages first, exits 1 if short)
          -n N                  memory channels (accepted, ignored)
        app options:
          -p PORTMASK           hex mask of the ports to forward between (default: all)
          -q N                  receive ports per core (default 1)
          -T SECONDS            statistics period, 0 to print only at exit (default 10)
          --no-mac-updating     forward frames unchanged
          --duration SECONDS    stop after that long (pcap inputs stop by themselves at their end)
        """

    /// Parses `arguments` (without the program name). `-h`/`--help` throws `HelpRequested`.
    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        let split = arguments.firstIndex(of: "--") ?? arguments.endIndex
        var eal = OptionReader(Array(arguments[..<split]), prefix: "EAL")
        while let option = try eal.next() {
            try options.eal.apply(option, &eal)
        }
        if split < arguments.endIndex {
            var app = OptionReader(Array(arguments[(split + 1)...]), prefix: "L2FWD")
            while let option = try app.next() {
                try options.app.apply(option, &app)
            }
        }
        return options
    }
}

extension EALOptions {
    fileprivate mutating func apply(_ option: String, _ reader: inout OptionReader) throws {
        switch option {
        case "m":
            memoryMB = try reader.integer(for: option, in: 1...Int(Int32.max))
        case "huge-dir":
            hugeDir = try reader.value(for: option)
        case "file-prefix":
            let prefix = try reader.value(for: option)
            guard !prefix.isEmpty, !prefix.contains("/") else { throw reader.invalid(option, prefix) }
            filePrefix = prefix
        case "l":
            let list = try reader.value(for: option)
            guard let parsed = CoreList.parse(list) else { throw reader.invalid(option, list) }
            cores = parsed
        case "c":
            let mask = try reader.value(for: option)
            guard let bits = parseHex(mask), bits != 0 else { throw reader.invalid(option, mask) }
            cores = (0..<64).filter { bits & (1 << UInt64($0)) != 0 }
        case "vdev":
            vdevs.append(try reader.value(for: option))
        case "mem-mode":
            let name = try reader.value(for: option)
            guard let mode = MemoryMode(rawValue: name) else { throw reader.invalid(option, name) }
            memoryMode = mode
        case "n":
            _ = try reader.integer(for: option, in: 1...64)
        case "h", "help":
            throw HelpRequested()
        default:
            throw reader.unknown(option)
        }
    }
}

extension AppOptions {
    fileprivate mutating func apply(_ option: String, _ reader: inout OptionReader) throws {
        switch option {
        case "p":
            let mask = try reader.value(for: option)
            guard let bits = parseHex(mask), bits != 0 else { throw reader.invalid("portmask", mask) }
            portMask = bits
        case "q":
            portsPerCore = try reader.integer(for: option, in: 1...16)
        case "T":
            statisticsPeriod = try reader.seconds(for: option)
        case "no-mac-updating":
            updatesMACs = false
        case "mac-updating":
            updatesMACs = true
        case "duration":
            duration = try reader.seconds(for: option)
        case "h", "help":
            throw HelpRequested()
        default:
            throw reader.unknown(option)
        }
    }
}

/// getopt-style reading of one side of `--`: `-m 64`, `-m64`, `--huge-dir DIR`,
/// `--huge-dir=DIR`. Long options that take no value are listed in `flags`.
private struct OptionReader {
    private var arguments: [String]
    private var position = 0
    private var attached: String?
    private let prefix: String
    private static let flags: Set<String> = ["no-mac-updating", "mac-updating", "help", "h"]

    init(_ arguments: [String], prefix: String) {
        self.arguments = arguments
        self.prefix = prefix
    }

    /// The next option's name, without dashes; nil at the end.
    mutating func next() throws -> String? {
        guard position < arguments.count else { return nil }
        let argument = arguments[position]
        position += 1
        attached = nil
        if argument.hasPrefix("--"), argument.count > 2 {
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                attached = String(body[body.index(after: equals)...])
                return String(body[..<equals])
            }
            return String(body)
        }
        if argument.hasPrefix("-"), argument.count > 1 {
            let name = String(argument.dropFirst().prefix(1))
            let rest = argument.dropFirst(2)
            if !rest.isEmpty { attached = String(rest) }
            return name
        }
        throw UsageError(message: "\(prefix): invalid argument '\(argument)' (options start with '-')")
    }

    mutating func value(for option: String) throws -> String {
        if let attached { return attached }
        guard position < arguments.count, !OptionReader.flags.contains(option) else {
            throw UsageError(message: "\(prefix): option '\(dashed(option))' needs a value")
        }
        position += 1
        return arguments[position - 1]
    }

    mutating func integer(for option: String, in range: ClosedRange<Int>) throws -> Int {
        let text = try value(for: option)
        guard let number = Int(text), range.contains(number) else { throw invalid(option, text) }
        return number
    }

    mutating func seconds(for option: String) throws -> Double {
        let text = try value(for: option)
        guard let number = Double(text), number >= 0, number.isFinite else { throw invalid(option, text) }
        return number
    }

    func invalid(_ option: String, _ value: String) -> UsageError {
        UsageError(message: "\(prefix): invalid \(option.count == 1 ? dashed(option) : option) '\(value)'")
    }

    func unknown(_ option: String) -> UsageError {
        UsageError(message: "\(prefix): invalid option '\(dashed(option))' (see --help)")
    }

    private func dashed(_ option: String) -> String {
        option.count == 1 ? "-\(option)" : "--\(option)"
    }
}

/// Parses `ff`, `0xff` or `0XFF`.
func parseHex(_ text: String) -> UInt64? {
    let digits = text.lowercased().hasPrefix("0x") ? text.dropFirst(2) : Substring(text)
    return digits.isEmpty ? nil : UInt64(digits, radix: 16)
}

/// DPDK's `-l` syntax: `0-3,5,7-8`.
enum CoreList {
    static func parse(_ text: String) -> [Int]? {
        var cores: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]),
                low >= 0, low <= high, high < 1024
            else { return nil }
            cores.append(contentsOf: low...high)
        }
        var seen = Set<Int>()
        return cores.filter { seen.insert($0).inserted }
    }
}
