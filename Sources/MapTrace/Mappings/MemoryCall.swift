/// A completed memory call in numbers, whether the tracer saw it live or a replay read it from
/// an strace log: the one input of `ProcessMemory.apply` and of `needsDiagnosis`.
public struct MemoryCall: Sendable {
    public var syscall: Syscall
    public var args: SyscallArguments
    /// The value returned on success (an address, an fd, a segment id).
    public var result: UInt64 = 0
    /// The error on failure.
    public var error: Errno?
    /// The file behind the call's fd argument (mmap, fallocate, ftruncate) or the file an open
    /// named, when known.
    public var filePath: String?
    /// The huge page size when the call works on hugetlb memory, as the caller resolved it
    /// (from the fd's mount, the flags' size bits, or the area at the address).
    public var hugePageSize: UInt64?
    /// mbind: the policy, as text that is equal for equal policies.
    public var policy: String?
    /// prctl(PR_SET_VMA_ANON_NAME): the name given; nil clears it.
    public var anonName: String?

    public init(syscall: Syscall, args: SyscallArguments, result: UInt64 = 0, error: Errno? = nil) {
        self.syscall = syscall
        self.args = args
        self.result = result
        self.error = error
    }

    public var failed: Bool { error != nil }

    /// From a live record: `huge` is what the tracer resolved at entry or exit.
    init(_ record: CallRecord, hugePageSize huge: UInt64?) {
        self.init(syscall: record.syscall, args: record.args, result: UInt64(bitPattern: record.result),
                  error: record.errno == 0 ? nil : Errno(rawValue: record.errno))
        filePath = record.syscall.opensFile ? (record.resultPath ?? record.string) : record.fdPath
        hugePageSize = huge
        policy = record.policy
        anonName = record.string
    }

    /// The range [start, start + length) the call names, for the calls that name one.
    var range: (start: UInt64, length: UInt64)? {
        switch syscall {
        case .munmap, .mremap, .mprotect, .pkey_mprotect, .madvise, .mlock, .mlock2, .munlock, .mbind, .mseal:
            (args[0], args[1])
        case .prctl: (args[2], args[3])
        default: nil
        }
    }
}

/// What applying a call did beyond the model's areas, for the caller's figures.
public struct CallEffect: Sendable {
    /// A brk the kernel refused (it reports that by returning the old break, not an errno).
    public var refusedBrk = false
    /// Bytes of hugetlb memory the call mapped.
    public var hugetlbBytes: UInt64 = 0
    /// The call changed every area in ways the model follows only roughly (mlockall,
    /// munlockall): the live tracer re-reads the areas.
    public var changedEverything = false
    /// Where the call may have changed areas, [start, end) each: what the live tracer compares
    /// with the calls other threads made meanwhile (`ChangeJournal`).
    public var spans = TouchedSpans()

    mutating func touched(_ start: UInt64, length: UInt64) {
        let end = Page.end(start, Page.roundUp(length, to: Page.size))
        if end > start { spans.append((start, end)) }
    }
}

/// The spans one call touches: one or two (an mremap's source and destination), kept inline,
/// since an array would be allocated and freed at every call the tracer sees.
public struct TouchedSpans: Sequence, Sendable {
    public typealias Span = (start: UInt64, end: UInt64)
    private var first: Span = (0, 0), second: Span = (0, 0)
    private var more: [Span] = []
    public private(set) var count = 0

    public init() {}

    public init(_ spans: [Span]) {
        for span in spans { append(span) }
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func append(_ span: Span) {
        switch count {
        case 0: first = span
        case 1: second = span
        default: more.append(span)
        }
        count += 1
    }

    public subscript(_ i: Int) -> Span { i == 0 ? first : i == 1 ? second : more[i - 2] }

    public struct Iterator: IteratorProtocol {
        let spans: TouchedSpans
        var index = 0
        public mutating func next() -> Span? {
            guard index < spans.count else { return nil }
            defer { index += 1 }
            return spans[index]
        }
    }

    public func makeIterator() -> Iterator { Iterator(spans: self) }
}

/// SysV segments by id, shared by every process of a trace: shmat needs the size and page size
/// shmget gave it.
public struct SharedMemorySegments: Sendable {
    var segments: [Int64: (size: UInt64, hugePageSize: UInt64?)] = [:]
    public init() {}

    public subscript(id id: UInt64) -> (size: UInt64, hugePageSize: UInt64?)? {
        segments[Int64(Int32(truncatingIfNeeded: id))]
    }
}
