import Testing
@testable import MapTrace

/// Which checks with the kernel the calls of other threads in flight may disturb.
@Suite("Calls in flight")
struct InFlightCallsTests {
    let page: UInt64 = 4096
    let base: UInt64 = 0x7f00_0000_0000

    func process(_ calls: [(Syscall, [UInt64])], unseen: [(start: UInt64, end: UInt64)] = []) -> TracedProcess {
        let process = TracedProcess(pid: 100, space: AddressSpace(), command: ["test"])
        for (i, call) in calls.enumerated() {
            let thread = TracedThread(tid: 101 + Int32(i), process: process)
            thread.pending = CallRecord(syscall: call.0, args: SyscallArguments(call.1))
            process.threads[thread.tid] = thread
        }
        if !unseen.isEmpty {
            let thread = TracedThread(tid: 200, process: process)
            thread.inUnseenCall = true
            thread.unseenSpans = TouchedSpans(unseen)
            process.threads[thread.tid] = thread
        }
        return process
    }

    func area(_ start: UInt64, _ end: UInt64) -> Mapping { Mapping(start: start, end: end, prot: 3, shared: false) }

    @Test("an mmap placed by the kernel may land anywhere: every check waits; a MAP_FIXED one only beside its range")
    func placing() {
        let anywhere = InFlightCalls(process([(.mmap, [0, page, 3, 0x22, UInt64.max, 0])]))
        #expect(anywhere.anywhere)
        #expect(anywhere.mayDisturb(base + 100 * page, base + 101 * page))
        let fixed = InFlightCalls(process([(.mmap, [base, page, 3, 0x32, UInt64.max, 0])]))
        #expect(!fixed.anywhere)
        #expect(fixed.mayDisturb(base + page, base + 2 * page), "a page beside it: a merge")
        #expect(!fixed.mayDisturb(base + 2 * page, base + 3 * page))
    }

    @Test("ranges in flight disturb checks at or beside them; calls that change no area disturb none")
    func ranges() {
        let calls = InFlightCalls(process([(.munmap, [base, 2 * page]), (.mprotect, [base + 10 * page, page, 1]),
                                           (.openat, [0, 0, 0])]))
        #expect(calls.mayDisturb(base - page, base - 1))
        #expect(calls.mayDisturb(base + 11 * page, base + 12 * page))
        #expect(!calls.mayDisturb(base + 3 * page, base + 9 * page - 1))
        #expect(!InFlightCalls(process([(.openat, [0, 0, 0])])).anywhere)
        #expect(InFlightCalls(process([(.mremap, [base, page, 2 * page, 1, 0])])).anywhere, "a move's destination is known at its exit only")
    }

    @Test("a munmap taken at entry has not run while the kernel maps a byte of it the model does not")
    func unseenMunmap() {
        let calls = InFlightCalls(process([], unseen: [(base + page, base + 2 * page)]))
        #expect(!calls.mayDisturb(base + page, base + 2 * page), "taken at entry: checks go on, the answer tells")
        let kernel: [(start: UInt64, end: UInt64, prot: UInt32)] = [(base, base + 3 * page, 3)]
        #expect(calls.unseenNotRun(kernel, model: [area(base, base + page), area(base + 2 * page, base + 3 * page)]).count == 1)
        #expect(calls.unseenNotRun(kernel, model: [area(base, base + 3 * page)]).isEmpty,
                "a page mapped there since is in the model too: the munmap ran")
        #expect(calls.unseenNotRun([(base, base + page, 3), (base + 2 * page, base + 3 * page, 3)],
                                   model: [area(base, base + page), area(base + 2 * page, base + 3 * page)]).isEmpty)
    }
}
