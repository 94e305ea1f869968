#if canImport(Glibc)
import Glibc
#endif
import CMapTrace

/// What a failed call asked the kernel for, in the units the limits use.
///
/// A failed call is rolled back before the tracer sees it, so every rule compares
/// "current value + this request" with its limit.
struct MemoryRequest: Sendable {
    let failure: Failure
    /// The huge page size for hugetlb memory, else the base page size.
    let pageSize: UInt64
    let isHugetlb: Bool
    /// Start of the range the call names (mmap with MAP_FIXED, munmap, mprotect, …), if any.
    let start: UInt64?
    /// Bytes of the range: for mmap the length rounded up to `pageSize`; for munmap, mprotect,
    /// madvise, mlock the length as given; for mremap the old length.
    let length: UInt64
    /// Bytes of new address space the call would add (mmap length, mremap or brk growth, shmget size).
    let growth: UInt64
    let flags: UInt64
    let prot: UInt64

    init(_ failure: Failure, areas: AddressSpaceView? = nil) {
        self.failure = failure
        let a = failure.args
        pageSize = failure.pageSize ?? Page.size
        isHugetlb = failure.pageSize != nil
        switch failure.syscall {
        case .mmap?:
            flags = a[3]
            prot = a[2]
            length = Page.roundUp(a[1], to: pageSize)
            growth = length
            start = flags & (CallBits.mapFixed | CallBits.mapFixedNoReplace) != 0 ? a[0] : nil
        case .munmap?, .mprotect?, .madvise?, .mlock?, .mlock2?, .munlock?:
            flags = failure.syscall == .mlock2 ? a[2] : 0
            prot = failure.syscall == .mprotect ? a[2] : 0
            start = a[0]
            length = a[1]
            growth = failure.syscall == .mlock || failure.syscall == .mlock2 ? a[1] : 0
        case .mremap?:
            flags = a[3]
            prot = 0
            start = a[0]
            length = a[1]
            growth = a[2] > a[1] ? a[2] - a[1] : 0
        case .brk?:
            flags = 0
            prot = 0
            // The old break: the end of [heap], or (no heap yet) what the refused brk returned.
            let heapEnd = areas?.areas.first { $0.path == "[heap]" }?.end ?? Self.returnedAddress(failure.text)
            start = heapEnd
            length = 0
            growth = heapEnd.map { a[0] > $0 ? Page.roundUp(a[0] - $0, to: Page.size) : 0 } ?? 0
        case .shmget?:
            flags = a[2]
            prot = 0
            start = nil
            length = Page.roundUp(a[1], to: pageSize)
            growth = length
        case .fallocate?:
            flags = a[1]
            prot = 0
            start = nil
            length = Page.roundUp(a[3], to: pageSize)
            growth = length
        default:
            flags = failure.syscall == .memfd_create ? a[1] : 0
            prot = 0
            start = failure.fault?.address
            length = failure.isFault ? pageSize : 0
            growth = length
        }
    }

    /// The failed call; nil for a fault or an exit.
    var syscall: Syscall? { failure.syscall }
    /// The call's name (or the signal's), for sentences.
    var name: String { failure.name }
    var errno: Errno { failure.errno }
    var isSignal: Bool { failure.isFault }
    func isCall(in calls: Set<Syscall>) -> Bool { failure.isCall(in: calls) }
    /// Huge pages the request needs (0 for non-hugetlb memory).
    var hugePages: Int { isHugetlb ? Int(growth / pageSize) : 0 }
    var end: UInt64? { start.map { Page.end($0, length) } }

    var isMmap: Bool { syscall == .mmap }
    var isPrivate: Bool { flags & CallBits.mapTypeMask == CallBits.mapPrivate }
    var isShared: Bool { isMmap && !isPrivate }
    var isAnonymous: Bool { flags & CallBits.mapAnonymous != 0 }
    var writable: Bool { prot & CallBits.protWrite != 0 }
    var noReserve: Bool {
        switch syscall {
        case .mmap?: flags & CallBits.mapNoReserve != 0
        case .shmget?: flags & CallBits.shmNoReserve != 0
        default: false
        }
    }
    var locked: Bool { isMmap && flags & CallBits.mapLocked != 0 }
    var fixed: Bool { isMmap && flags & (CallBits.mapFixed | CallBits.mapFixedNoReplace) != 0 }
    /// The huge page size the flags' size bits name (MAP_HUGE_*, SHM_HUGE_*, MFD_HUGE_*).
    var flagPageSize: UInt64? { hugePageSize(fromFlags: flags) }

    /// Bytes of existing areas the range replaces (a MAP_FIXED mmap unmaps them first, so
    /// may_expand_vm counts only the difference: mm/vma.c __mmap_prepare).
    func replacedBytes(in view: AddressSpaceView) -> UInt64 {
        guard fixed, let start, let end else { return 0 }
        return view.areas(overlapping: start, end).reduce(0) { total, area in
            total + (min(area.end, end) - max(area.start, start))
        }
    }

    /// The top of user space the request reaches past (x86_64 TASK_SIZE with 4-level page
    /// tables): a range there is refused before any limit is counted (mm/mmap.c
    /// __get_unmapped_area; brk through check_brk_limits). nil when it stays below.
    var endPastUserSpace: UInt64? {
        let top = AddressSpaceRule.taskSize
        switch syscall {
        case .brk?:
            let wanted = failure.args[0]
            return wanted > top || Page.roundUp(wanted, to: Page.size) < wanted ? wanted : nil
        case .mmap?:
            guard fixed, let start else { return nil }
            let (end, overflow) = start.addingReportingOverflow(Page.roundUp(failure.args[1], to: Page.size))
            return overflow || end > top ? (overflow ? UInt64.max : end) : nil
        default:
            return nil
        }
    }

    /// "0x55e7a5595000" at the end of "brk(0x…) = 0x55e7a5595000".
    static func returnedAddress(_ text: String) -> UInt64? {
        guard let range = text.ranges(of: "= 0x").last else { return nil }
        return UInt64(text[range.upperBound...].prefix { $0.isHexDigit }, radix: 16)
    }

    /// Address ranges whose surroundings the snapshot should keep.
    static func focusRanges(of failure: Failure) -> [(start: UInt64, end: UInt64)] {
        if failure.syscall == .brk, case let wanted = failure.args[0], wanted < AddressSpaceRule.taskSize {
            // The areas just below the requested break: one of them stops the heap's growth.
            let low = returnedAddress(failure.text) ?? Page.roundDown(wanted, to: Page.size)
            return [(low, Swift.max(low + 1, Page.roundUp(wanted, to: Page.size) + Page.size))]
        }
        let request = MemoryRequest(failure)
        guard let start = request.start, let end = request.end else { return [] }
        if failure.syscall == .mremap {
            // Growth in place needs the range right after the old end to be free.
            return [(start, Page.end(end, request.growth))]
        }
        return [(start, max(end, start + 1))]
    }
}

/// errno values the rules test, by the names the kernel's sources use.
enum ErrorNumber {
    static let EPERM = Errno.notPermitted
    static let EAGAIN = Errno.again
    static let ENOMEM = Errno.noMemory
    static let EFAULT = Errno.fault
    static let ENODEV = Errno.noDevice
    static let EINVAL = Errno.invalid
    static let ENOSPC = Errno.noSpace

    /// "ENOMEM", as strace prints it.
    static func name(_ value: Errno) -> String {
        guard let name = mt_errname(value.rawValue) else { return "errno \(value.rawValue)" }
        return String(cString: name)
    }
}
