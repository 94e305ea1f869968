/// -c: counts every traced call by name, as strace's summary table does (calls, errors, time),
/// with what only maptrace knows: the memory areas each call added and removed, the hugetlb
/// bytes mapped and unmapped, and the failures by cause.
public final class CallSummary: TraceSink {
    public struct Row: Sendable, Equatable {
        public var name: String
        public var calls = 0
        public var errors = 0
        public var seconds = 0.0
        /// Areas the model gained and lost through this call (the count after minus before).
        public var areasAdded = 0
        public var areasRemoved = 0
        public var hugetlbBytesMapped: UInt64 = 0
        public var hugetlbBytesUnmapped: UInt64 = 0
        public init(name: String) { self.name = name }
    }

    public private(set) var rows: [String: Row] = [:]
    public private(set) var causes: [String: Int] = [:]
    public private(set) var laterFailures = 0
    public private(set) var hugePageSizes: Set<UInt64> = []
    /// The mapping count each process had after its last call, to turn counts into changes.
    private var lastCount: [Int32: Int] = [:]
    let selection: TraceSelection

    public init(selection: TraceSelection = TraceSelection()) { self.selection = selection }

    public func wants(touchesHugetlb: Bool, failed: Bool) -> Bool { true }

    public func handle(_ event: TraceEvent) {
        switch event {
        case .syscall(let e):
            count(e)
        case .laterFailure(let e):
            laterFailures += 1
            count(e)
        case .diagnosis(let d):
            causes[d.cause.rawValue, default: 0] += 1
        case .exec(_, let pid, _, _, _):
            lastCount[pid] = nil
        case .drift(_, let pid, _, let kernel):
            lastCount[pid] = kernel
        default:
            break
        }
    }

    public func status(_ status: LiveStatus) {}

    private func count(_ e: SyscallEvent) {
        let before = lastCount[e.pid] ?? e.mapCount
        lastCount[e.pid] = e.mapCount
        guard selection.shows(e.call), !e.call.neverReturned else { return }
        var row = rows[e.call.syscall.name] ?? Row(name: e.call.syscall.name)
        row.calls += 1
        if e.call.failed || e.refused { row.errors += 1 }
        row.seconds += e.call.duration
        let change = e.mapCount - before
        if change > 0 { row.areasAdded += change } else { row.areasRemoved -= change }
        if let page = e.hugePageSize, !e.call.failed {
            hugePageSizes.insert(page)
            let length = (e.call.args[1] + page - 1) / page * page
            switch e.call.syscall {
            case .mmap: row.hugetlbBytesMapped += length
            case .munmap: row.hugetlbBytesUnmapped += length
            default: break
            }
        }
        rows[row.name] = row
    }

    /// strace's table, then maptrace's lines.
    public func render() -> String {
        let sorted = rows.values.sorted { ($0.seconds, $0.calls, $1.name) > ($1.seconds, $1.calls, $0.name) }
        let total = sorted.reduce(0.0) { $0 + $1.seconds }
        let rule = "------ ----------- ----------- --------- --------- -------- -------- ----------------"
        var lines = ["% time     seconds  usecs/call     calls    errors   +areas   -areas syscall", rule]
        func row(_ percent: Double, _ seconds: Double, _ perCall: String, _ calls: Int, _ errors: Int,
                 _ added: Int, _ removed: Int, _ name: String) -> String {
            pad(format(percent, 2), 6) + " " + pad(format(seconds, 6), 11) + " " + pad(perCall, 11) + " "
                + pad(String(calls), 9) + " " + pad(errors == 0 ? "" : String(errors), 9) + " "
                + pad(added == 0 ? "" : String(added), 8) + " " + pad(removed == 0 ? "" : String(removed), 8) + " " + name
        }
        for r in sorted {
            let perCall = r.calls == 0 ? 0 : Int((r.seconds / Double(r.calls) * 1_000_000).rounded())
            lines.append(row(total > 0 ? r.seconds / total * 100 : 0, r.seconds, String(perCall), r.calls, r.errors,
                             r.areasAdded, r.areasRemoved, r.name))
        }
        lines.append(rule)
        lines.append(row(total > 0 ? 100 : 0, total, "", sorted.reduce(0) { $0 + $1.calls }, sorted.reduce(0) { $0 + $1.errors },
                         sorted.reduce(0) { $0 + $1.areasAdded }, sorted.reduce(0) { $0 + $1.areasRemoved }, "total"))
        let mapped = sorted.reduce(UInt64(0)) { $0 + $1.hugetlbBytesMapped }
        let unmapped = sorted.reduce(UInt64(0)) { $0 + $1.hugetlbBytesUnmapped }
        if mapped > 0 || unmapped > 0 {
            let sizes = hugePageSizes.sorted().map { Quantity.bytes($0) }.joined(separator: ", ")
            lines.append("hugetlb: \(Quantity.bytes(mapped)) mapped, \(Quantity.bytes(unmapped)) unmapped (\(sizes) pages)")
        }
        if !causes.isEmpty || laterFailures > 0 {
            var parts = causes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            if laterFailures > 0 { parts.append("\(laterFailures) later, not diagnosed") }
            lines.append("failures by cause: " + parts.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let n = Int((value * scale).rounded())
        let whole = n / Int(scale), frac = n % Int(scale)
        let fracText = String(frac)
        return "\(whole)." + String(repeating: "0", count: decimals - fracText.count) + fracText
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
