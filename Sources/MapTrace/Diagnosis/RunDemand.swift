/// What the traced run as a whole asks of the huge page memory, as far as its command line and
/// the calls the tracer saw tell, so that a fix is sized for the run and not only for the call
/// that failed.
///
/// The rules come from how DPDK's EAL lays out its memory (docs/causes.md cites the functions):
/// - DPDK up to 17.11 (lib/librte_eal/linuxapp/eal/eal_memory.c, rte_eal_hugepage_init and
///   map_all_hugepages) maps every free page of each size one file and one mapping each, maps
///   them a second time in physically contiguous runs, and only then keeps what -m asks; a
///   failed mmap in either pass is fatal.
/// - DPDK 18.05 and later with --legacy-mem (eal_legacy_hugepage_init) maps every free page
///   once, stops quietly at the first failure and needs -m of what it got.
/// - DPDK 18.05 and later without it (eal_dynmem_hugepage_init, eal_memalloc.c alloc_seg)
///   first compares -m / --socket-mem with the free pages (eal_dynmem_calc_num_pages_per_socket
///   prints "Not enough memory available! Requested: …MB, available: …MB") and then maps only
///   those pages, one mmap per page into a reserved range, with --single-file-segments too
///   (one file per segment list, still one mmap per page); hugetlb areas never merge, since
///   hugetlbfs marks them VM_DONTEXPAND.
/// - the shipped l2fwd names its layout with --mem-mode.
public struct RunDemand: Sendable, Equatable {
    /// How the program lays out its huge page memory.
    public enum Layout: String, Sendable {
        /// Every free page, one mapping each, twice over; the first failure is fatal (DPDK ≤ 17.11).
        case everyFreePageTwice
        /// Every free page, one mapping each; the first failure is fatal (the shipped l2fwd's all-pages).
        case everyFreePageFatal
        /// Every free page once, stopping at the first failure (DPDK ≥ 18.05 --legacy-mem).
        case everyFreePageTolerant
        /// Only the pages asked for, one mapping per page (DPDK ≥ 18.05 dynamic memory, l2fwd on-demand/checked).
        case requestedPages
        /// Only the pages asked for, in one mapping (the shipped l2fwd's single-file).
        case requestedSegment
        /// A program whose layout maptrace cannot tell.
        case unknown
    }

    /// "DPDK EAL", "l2fwd", or nil for a program that is not an EAL.
    public var program: String?
    public var layout: Layout
    /// -m in MiB, or the sum of --socket-mem.
    public var memoryMiB: Int?
    /// --socket-mem per NUMA node in MiB.
    public var socketMemMiB: [Int]?
    /// --socket-limit: a cap on what the EAL may take per node, not a demand.
    public var socketLimitMiB: [Int]?
    public var hugeDir: String?
    public var filePrefix: String?
    public var legacyMem = false
    public var singleFileSegments = false
    public var inMemory = false
    /// -l/--lcores/-c: cores the EAL runs on (each gets a little per-lcore memory, not pages).
    public var lcores: [Int]?
    /// The option that set the demand, as the user typed it: "-m 256", "--socket-mem 512,0".
    public var source: String?

    public init(command: [String], sawFixedHugetlbMaps: Bool = false, sawHugetlbMaps: Bool = false) {
        let arguments = Array(command.dropFirst().prefix { $0 != "--" })
        let name = command.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
        var memMode: String?
        var index = 0
        var sawEALOption = false
        func value(_ option: String) -> String? {
            let argument = arguments[index]
            if argument.hasPrefix(option + "=") { return String(argument.dropFirst(option.count + 1)) }
            if argument == option, index + 1 < arguments.count { index += 1; return arguments[index] }
            if option.count == 2, argument.hasPrefix(option), argument.count > 2, !argument.hasPrefix("--") {
                return String(argument.dropFirst(2))
            }
            return nil
        }
        while index < arguments.count {
            let argument = arguments[index]
            if let text = value("-m"), let mib = Int(text) {
                memoryMiB = mib; source = "-m \(mib)"; sawEALOption = true
            } else if let text = value("--socket-mem") {
                socketMemMiB = text.split(separator: ",").map { Int($0) ?? 0 }
                source = "--socket-mem \(text)"; sawEALOption = true
            } else if let text = value("--socket-limit") {
                socketLimitMiB = text.split(separator: ",").map { Int($0) ?? 0 }; sawEALOption = true
            } else if let text = value("--huge-dir") {
                hugeDir = text; sawEALOption = true
            } else if let text = value("--file-prefix") {
                filePrefix = text; sawEALOption = true
            } else if let text = value("--mem-mode") {
                memMode = text; sawEALOption = true
            } else if let text = value("-l") ?? value("--lcores") {
                lcores = Self.coreList(text)
            } else if argument == "--legacy-mem" {
                legacyMem = true; sawEALOption = true
            } else if argument == "--single-file-segments" {
                singleFileSegments = true; sawEALOption = true
            } else if argument == "--in-memory" {
                inMemory = true; sawEALOption = true
            }
            index += 1
        }
        if memoryMiB == nil, let perNode = socketMemMiB { memoryMiB = perNode.reduce(0, +) }
        let modernEAL = legacyMem || inMemory || singleFileSegments || sawFixedHugetlbMaps
        if name == "l2fwd" && (memMode != nil || !modernEAL) {
            // The shipped example (DPDK's own builds as dpdk-l2fwd, or l2fwd from its Makefile,
            // and then shows itself by its options or its MAP_FIXED pattern): --mem-mode names the layout.
            program = "l2fwd"
            switch memMode ?? "all-pages" {
            case "all-pages": layout = .everyFreePageFatal
            case "single-file": layout = .requestedSegment
            default: layout = .requestedPages
            }
        } else if sawEALOption || name.hasPrefix("dpdk-") || name == "l2fwd" {
            program = "DPDK EAL"
            if legacyMem {
                layout = .everyFreePageTolerant
            } else if sawFixedHugetlbMaps || inMemory || singleFileSegments {
                // Options and the MAP_FIXED-into-a-reservation pattern exist from 18.05 on.
                layout = .requestedPages
            } else if sawHugetlbMaps {
                layout = .everyFreePageTwice
            } else {
                layout = memoryMiB == nil ? .unknown : .requestedPages
            }
        } else {
            program = nil
            layout = .unknown
        }
    }

    /// Whether the run maps every free page whatever -m says.
    public var mapsEveryFreePage: Bool {
        [.everyFreePageTwice, .everyFreePageFatal, .everyFreePageTolerant].contains(layout)
    }

    /// Pages of `pageSize` the -m/--socket-mem request comes to.
    public func requestedPages(pageSize: UInt64) -> Int? {
        guard let memoryMiB, pageSize > 0 else { return nil }
        return Int((UInt64(memoryMiB) << 20 + pageSize - 1) / pageSize)
    }

    /// "-m 256 → 128 pages of 2 MiB".
    public func requestText(pageSize: UInt64) -> String? {
        guard let pages = requestedPages(pageSize: pageSize), let source else { return nil }
        return "\(source) → \(Quantity.pages(pages)) of \(Quantity.bytes(pageSize))"
    }

    /// The pages the run takes (reserves, or holds as files) before it gets past its memory
    /// init, given the pages free to it when it started; nil when that cannot be known. With the
    /// derivation in words.
    public func pagesTaken(pageSize: UInt64, freeAtStart: Int?) -> (pages: Int, why: String)? {
        let requested = requestedPages(pageSize: pageSize)
        switch layout {
        case .everyFreePageTwice, .everyFreePageFatal:
            // The first failure is fatal, so every free page must fit, -m or not.
            guard let freeAtStart else { return nil }
            let pages = Swift.max(freeAtStart, requested ?? 0)
            return (pages, "\(program ?? "the program") maps every free page (\(freeAtStart) when it started) "
                + "before it looks at \(source ?? "-m"); a failure on the way is fatal")
        case .everyFreePageTolerant:
            // A failure only ends the first pass; the run needs -m of what it got.
            guard let requested, let text = requestText(pageSize: pageSize) else { return nil }
            return (requested, "\(text); --legacy-mem stops at the first failure and keeps what it got, "
                + "so the run needs \(Quantity.pages(requested))")
        case .requestedPages, .requestedSegment:
            guard let requested, let text = requestText(pageSize: pageSize) else { return nil }
            return (requested, text)
        case .unknown:
            return nil
        }
    }

    /// Memory map areas the run's hugetlb memory needs at its peak, with the derivation.
    public func areas(pageSize: UInt64, freeAtStart: Int?) -> (areas: Int, why: String)? {
        switch layout {
        case .everyFreePageTwice:
            guard let freeAtStart else { return nil }
            return (2 * freeAtStart, "every free page mapped twice (\(freeAtStart) × 2) before the first copies go")
        case .everyFreePageFatal, .everyFreePageTolerant:
            guard let freeAtStart else { return nil }
            return (freeAtStart, "every free page (\(freeAtStart)) in a mapping of its own")
        case .requestedPages:
            guard let pages = requestedPages(pageSize: pageSize), let text = requestText(pageSize: pageSize) else { return nil }
            // A modern EAL maps pages into a reserved range: the range's remaining pieces
            // count as areas too (one before, one after the mapped pages at most).
            let pieces = program == "DPDK EAL" ? 2 : 0
            return (pages + pieces, "\(text), one mapping per page" + (pieces > 0 ? " and 2 pieces of the reserved range" : ""))
        case .requestedSegment:
            return (1, "one mapping for the whole segment")
        case .unknown:
            return nil
        }
    }

    /// DPDK's -l syntax: "0-3,5".
    static func coreList(_ text: String) -> [Int]? {
        var cores: [Int] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            guard let low = bounds.first, let high = bounds.last, low <= high, high < 4096 else { return nil }
            cores += Array(low...high)
        }
        return cores.isEmpty ? nil : cores
    }
}

/// How a fix states a value that gets the run, not only the call, past the limit.
enum DemandText {
    /// "the run may need more (the program did not say how much)".
    static let unknownRun = "the run may need more (the program did not say how much)"
}
