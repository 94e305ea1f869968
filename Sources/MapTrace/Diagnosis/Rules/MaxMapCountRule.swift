/// vm.max_map_count: the per-process limit on memory map areas (docs/causes.md).
///
/// The kernel applies it with three different thresholds:
/// - a new mapping (mmap, brk, shmat) fails when map_count > max (mm/mmap.c do_mmap), so a
///   process can hold max + 1 areas;
/// - a split (munmap of a hole, mprotect/madvise/mlock of part of an area, MAP_FIXED into the
///   middle of one) fails at map_count ≥ max (mm/vma.c split_vma, vms_gather_munmap_vmas);
///   madvise turns that ENOMEM into EAGAIN (mm/madvise.c);
/// - an mremap that moves fails at map_count ≥ max − 3, with MREMAP_FIXED at map_count + 2 ≥ max − 3
///   (mm/mremap.c), because a move may need up to four new areas.
public struct MaxMapCountRule: CauseRule {
    public let cause = Cause.maxMapCount
    public init() {}

    /// How the failing call meets the limit.
    struct Threshold {
        /// The call fails when map_count ≥ `failsAt`.
        var failsAt: Int
        /// What the call needed, in words.
        var need: String
        /// Whether the snapshot shows the call really needed the areas (a split the maps prove).
        var shown: Bool
    }

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        guard let process = input.process, let max = input.snapshot.maxMapCount else {
            return .notApplicable("map count or vm.max_map_count not read")
        }
        guard let threshold = Self.threshold(request, max: max, view: process.addressSpace) else {
            return .notApplicable("\(request.name) adds no memory map area")
        }
        let expected = request.syscall == .madvise ? ErrorNumber.EAGAIN : ErrorNumber.ENOMEM
        guard request.errno == expected || request.syscall == .brk else {
            return .notApplicable("this limit gives \(ErrorNumber.name(expected)), not \(ErrorNumber.name(request.errno))")
        }
        let count = process.mapCount
        var certainty: Certainty = threshold.shown ? .confirmed : .likely
        var band: String?
        if let bounds = process.mapCountBounds {
            // a count rebuilt from a log: rule out only what its upper bound keeps below the limit
            if let high = bounds.high, high < threshold.failsAt {
                return .within("\(bounds.low)–\(high) areas, \(request.name) fails from \(threshold.failsAt) (vm.max_map_count \(max))")
            }
            if bounds.low < threshold.failsAt {
                certainty = bounds.high == nil ? .possible : .likely
                band = bounds.high.map { "\(count) areas seen, up to \($0 - count) unseen: the limit \(max) is within reach" }
                    ?? "\(count) areas seen, and the log cannot bound the unseen ones: the limit \(max) may have been reached"
            }
        } else if count < threshold.failsAt {
            return .within("\(count) areas, \(request.name) fails from \(threshold.failsAt) (vm.max_map_count \(max))")
        }
        let setting = input.snapshot.sysctlFile(for: "vm.max_map_count")
        let setByFile = setting.flatMap { Int($0.value) == max ? $0 : nil }
        var details: [String] = []
        if let setting, setByFile == nil {
            details.append("\(setting.file) sets \(setting.value), but the running value is \(max): changed at runtime")
        } else if setting == nil, max != 65530, input.snapshot.sysctlFilesRead != false {
            details.append("no sysctl file sets vm.max_map_count: \(max) was set at runtime (kernel default 65530)")
        }
        let sizing = MapCountSizing(input, max: max, failsAt: threshold.failsAt)
        details += sizing.explanation
        if let band { details.insert(band, at: 0) }
        return .exceeded(Finding(
            cause: cause, certainty: certainty,
            values: [EvidenceValue("map_count", count), EvidenceValue("max_map_count", max)]
                + sizing.values,
            sentence: "vm.max_map_count [\(max)] is too low: the process had \(count) memory map areas "
                + "and this \(request.name) \(threshold.need)",
            details: details,
            fix: sizing.fix(setBy: setByFile),
            setBy: setByFile.map { "\($0.file):\($0.line)" }))
    }

    static func threshold(_ request: MemoryRequest, max: Int, view: AddressSpaceView) -> Threshold? {
        switch request.syscall {
        case .mmap?:
            if let splits = splitCount(request, view: view, holeOnly: true), splits > 0 {
                return Threshold(failsAt: max, need: "would split an area in two (a split needs the count below the limit)",
                                 shown: true)
            }
            return Threshold(failsAt: max + 1, need: "needed one more", shown: true)
        case .brk?, .shmat?:
            return Threshold(failsAt: max + 1, need: "needed one more", shown: true)
        case .munmap?:
            guard let splits = splitCount(request, view: view, holeOnly: true) else {
                return Threshold(failsAt: max, need: "may punch a hole, which needs the count below the limit",
                                 shown: false)
            }
            return splits > 0
                ? Threshold(failsAt: max, need: "punches a hole in one area (a split needs the count below the limit)",
                            shown: true)
                : nil
        case .mprotect?, .madvise?, .mlock?, .mlock2?, .munlock?:
            guard let splits = splitCount(request, view: view, holeOnly: false) else {
                return Threshold(failsAt: max, need: "may split an area, which needs the count below the limit",
                                 shown: false)
            }
            // Each split checks map_count ≥ max before it adds an area: with two splits the
            // second fails one area earlier (docs/causes.md: mprotect of a middle range at max − 1).
            return splits > 0
                ? Threshold(failsAt: max - (splits - 1),
                            need: "splits \(splits == 1 ? "an area" : "areas at both ends") (\(splits) more needed, "
                                + "each split needs the count below the limit)", shown: true)
                : nil
        case .mremap?:
            let fixed = request.flags & CallBits.mremapFixed != 0
            if fixed {
                return Threshold(failsAt: max - 5, need: "moves with MREMAP_FIXED (needs the count below limit − 5)",
                                 shown: true)
            }
            guard request.flags & CallBits.mremapMayMove != 0, request.growth > 0,
                  let start = request.start, let end = request.end else { return nil }
            let room = view.areas(overlapping: end, Page.end(end, request.growth)).isEmpty
            let known = view.area(containing: start) != nil
            if room && known { return nil }
            return Threshold(failsAt: max - 3, need: "must move the area (a move needs the count below limit − 3)",
                             shown: known)
        default:
            return nil
        }
    }

    /// Splits the call's range makes: ends strictly inside an area. With `holeOnly`, only a range
    /// strictly inside one area counts (munmap and MAP_FIXED check the limit only then).
    /// nil when the snapshot does not hold the area at the range's start.
    static func splitCount(_ request: MemoryRequest, view: AddressSpaceView, holeOnly: Bool) -> Int? {
        guard let start = request.start, let end = request.end, end > start else { return nil }
        let overlapped = view.areas(overlapping: start, end)
        if overlapped.isEmpty { return view.areas.isEmpty ? nil : 0 }
        if holeOnly {
            guard overlapped.count == 1, let area = overlapped.first else { return 0 }
            return area.start < start && end < area.end ? 1 : 0
        }
        let first = overlapped.first!, last = overlapped.last!
        return (first.start < start ? 1 : 0) + (end < last.end ? 1 : 0)
    }
}
