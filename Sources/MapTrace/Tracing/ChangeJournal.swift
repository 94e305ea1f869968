/// The ranges of one process's model that changed lately, each with a sequence number.
///
/// Threads of one process run their calls at once, and the tracer sees their exits in an order
/// of its own (wait(2) favours some threads): a thread's call may have run before a call of
/// another thread that the model took first. When the two touch the same pages, or pages side
/// by side, the order decides the outcome (one thread unmaps a page, another maps a page at the
/// same address right after). A call that exits finds here whether anything near its range
/// changed in the model since it entered; if so, the model asks the kernel about that range
/// instead of trusting the order. See docs/architecture.md, "Threads".
struct ChangeJournal {
    /// The sequence number of the last change; 0 before any.
    private(set) var epoch: UInt64 = 0
    /// The most recent changes, oldest first, at most `capacity` of them.
    private var changes: [(epoch: UInt64, low: UInt64, high: UInt64)] = []
    private var oldest = 0
    private let capacity = 1024

    /// Notes a change of [low, high) under the next sequence number.
    mutating func record(_ low: UInt64, _ high: UInt64) {
        epoch += 1
        if changes.count < capacity {
            changes.append((epoch, low, high))
        } else {
            changes[oldest] = (epoch, low, high)
            oldest = (oldest + 1) % capacity
        }
    }

    /// Whether a change after `since` touched [low, high) or a page beside it. True too when
    /// the changes since then are no longer all kept: the answer must never be a wrong no.
    func changed(since: UInt64, _ low: UInt64, _ high: UInt64) -> Bool {
        guard epoch > since else { return false }
        let below = low >= Page.size ? low - Page.size : 0
        let above = high <= UInt64.max - Page.size ? high + Page.size : UInt64.max
        var index = (oldest + changes.count - 1) % changes.count
        for _ in 0..<changes.count {
            let change = changes[index]
            if change.epoch <= since { return false }
            if change.low < above && below < change.high { return true }
            index = (index + changes.count - 1) % changes.count
        }
        return true  // older changes than the ones kept were after `since`
    }
}
