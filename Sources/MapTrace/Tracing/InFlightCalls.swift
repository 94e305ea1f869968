/// The memory calls threads of a process have in flight, as far as they can change the kernel's
/// areas before the model has taken them: what an answer of the kernel may already show, or
/// not show yet, that the model does not.
///
/// A check with the kernel answers for one instant. While a thread's mmap has run but its exit
/// stop is still queued, or an munmap the model took at entry has not run yet, the answer and
/// the model disagree for a while that ends by itself. Taking such an answer as the truth put a
/// passing state into the model (with no history, so that every later merge beside it was
/// unsure and asked again); under many threads that fed on itself. A check such calls may
/// disturb waits until they are done (docs/architecture.md, "Threads").
struct InFlightCalls {
    /// Ranges that calls seen at entry and not yet at exit change, page-rounded.
    private var pendingSpans: [(start: UInt64, end: UInt64)] = []
    /// Ranges of munmaps the model took at entry (`Tracer.munmapIsCertain`) that the kernel may
    /// not have done yet.
    private var unseenSpans: [(start: UInt64, end: UInt64)] = []
    /// An mmap at an address of the kernel's choosing is in flight: it may have added an area
    /// (merged with its neighbours) wherever there was room. Or a call whose range the model
    /// cannot tell before its exit (mremap, brk, shmat, exec): anything may be its doing.
    private(set) var anywhere = false

    /// `complete`: also when a call may change anything (`anywhere`), every range is wanted.
    init(_ process: TracedProcess, complete: Bool = false) {
        for thread in process.threadsInCall {
            if thread.inUnseenCall { unseenSpans.append(contentsOf: thread.unseenSpans) }
            guard thread.pendingChangesAreas, let (syscall, flags, address, length) = thread.pendingCall else { continue }
            switch syscall {
            case .mmap where flags & (CallBits.mapFixed | CallBits.mapFixedNoReplace) == 0:
                anywhere = true
            case .mmap, .munmap, .mprotect, .pkey_mprotect, .madvise, .mlock, .mlock2, .munlock, .mbind, .mseal:
                // an mmap whose file is read at its exit may be a hugetlb one of any page size
                let granule = syscall == .mmap && thread.pendingFileAtExit ? Page.largestHuge
                    : syscall == .mmap || syscall == .munmap ? thread.pendingHugePageSize ?? Page.size : Page.size
                pendingSpans.append((Page.roundDown(address, to: granule), Page.end(address, Page.roundUp(length, to: granule))))
            default:
                anywhere = true
            }
            if anywhere && !complete { return }  // every check waits: the rest need not be known
        }
    }

    /// Whether a check of [start, end] should wait: a call in flight may change the areas there
    /// (or beside them) while the kernel is asked.
    func mayDisturb(_ start: UInt64, _ end: UInt64) -> Bool {
        anywhere || Self.overlap(pendingSpans, start, end)
    }

    /// The munmaps the model took at entry that the kernel has not run yet, as far as `areas`
    /// show: it still maps a byte of their range that the model (`held`, the same span) does
    /// not. (A page another call mapped there since is in both.)
    func unseenNotRun(_ areas: [(start: UInt64, end: UInt64, prot: UInt32)], model held: [Mapping]) -> [(start: UInt64, end: UInt64)] {
        unseenSpans.filter { span in
            areas.contains { area in
                let low = Swift.max(area.start, span.start), high = Swift.min(area.end, span.end)
                return low < high && !Self.covers(held, low, high)
            }
        }
    }

    /// Whether `held` (ascending, disjoint) maps every byte of [low, high).
    private static func covers(_ held: [Mapping], _ low: UInt64, _ high: UInt64) -> Bool {
        var covered = low
        for area in held where area.end > covered {
            guard area.start <= covered else { return false }
            covered = area.end
            if covered >= high { return true }
        }
        return covered >= high
    }

    /// Whether a span overlaps [start, end] or a page beside it.
    private static func overlap(_ spans: [(start: UInt64, end: UInt64)], _ start: UInt64, _ end: UInt64) -> Bool {
        let below = start >= Page.size ? start - Page.size : 0
        let above = end <= UInt64.max - Page.size ? end + Page.size : UInt64.max
        return spans.contains { $0.start < above && below < $0.end }
    }
}
