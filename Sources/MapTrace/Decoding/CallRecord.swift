/// The six argument registers of a call.
public struct SyscallArguments: Sendable, Equatable, Codable {
    public var a0: UInt64 = 0, a1: UInt64 = 0, a2: UInt64 = 0, a3: UInt64 = 0, a4: UInt64 = 0, a5: UInt64 = 0

    public init() {}
    public init(_ values: [UInt64]) {
        for (i, v) in values.prefix(6).enumerated() { self[i] = v }
    }

    public subscript(_ i: Int) -> UInt64 {
        get {
            switch i {
            case 0: a0
            case 1: a1
            case 2: a2
            case 3: a3
            case 4: a4
            default: a5
            }
        }
        set {
            switch i {
            case 0: a0 = newValue
            case 1: a1 = newValue
            case 2: a2 = newValue
            case 3: a3 = newValue
            case 4: a4 = newValue
            default: a5 = newValue
            }
        }
    }

    /// From the kernel's `__u64 args[6]`, which imports as a tuple; no array is allocated per stop.
    init(_ t: (UInt, UInt, UInt, UInt, UInt, UInt)) {
        a0 = UInt64(t.0); a1 = UInt64(t.1); a2 = UInt64(t.2); a3 = UInt64(t.3); a4 = UInt64(t.4); a5 = UInt64(t.5)
    }

    public var array: [UInt64] { [a0, a1, a2, a3, a4, a5] }
}

/// The fields of struct statfs a hugetlbfs mount fills in meaningfully (blocks are huge pages).
public struct StatfsResult: Sendable, Equatable {
    public var type: UInt64
    public var blockSize: Int64
    public var blocks: UInt64
    public var blocksFree: UInt64
    public var blocksAvailable: UInt64
    public var files: UInt64
    public var filesFree: UInt64

    public init(type: UInt64, blockSize: Int64, blocks: UInt64, blocksFree: UInt64, blocksAvailable: UInt64,
                files: UInt64, filesFree: UInt64) {
        self.type = type
        self.blockSize = blockSize
        self.blocks = blocks
        self.blocksFree = blocksFree
        self.blocksAvailable = blocksAvailable
        self.files = files
        self.filesFree = filesFree
    }
}

/// A traced call: what was read at entry, and its result at exit.
public struct CallRecord: Sendable {
    public var syscall: Syscall
    public var args: SyscallArguments
    /// The string argument (a path, a memfd name), read at entry; nil when unreadable.
    public var string: String?
    /// Paths of fd arguments for `-y`: the fd argument, and the dirfd of openat (AT_FDCWD → the cwd).
    public var fdPath: String?
    public var dirfdPath: String?
    /// openat2's struct open_how, read at entry.
    public var openHow: (flags: UInt64, mode: UInt64, resolve: UInt64)?
    /// mbind's node mask, read at entry (64 nodes a word).
    public var nodeMask: [UInt64]?
    /// execve's argv, read at entry.
    public var argv: [String]?
    /// What a successful statfs/fstatfs returned, read at exit.
    public var statfsResult: StatfsResult?
    /// The return value (non-negative) or 0, and the errno (0 on success).
    public var result: Int64 = 0
    public var errno: Int32 = 0
    /// The path of the fd a successful open returned.
    public var resultPath: String?
    /// The thread died inside the call: strace prints its result as "?".
    public var neverReturned = false
    /// The result was injected (`-e inject=`): the call never ran; strace prints "(INJECTED)".
    public var injected = false
    /// When the call entered (seconds since the epoch) and how long it took, entry stop to exit
    /// stop: for -t/-r/-T and -c. Zero when not measured.
    public var entryTime: Double = 0
    public var duration: Double = 0
    /// The calling thread's stack at the exit stop (-k), innermost first.
    public var stack: [String]?
    /// -s N: execve's argument strings longer than N are cut, as strace cuts them.
    public var stringLimit: Int?

    public init(syscall: Syscall, args: SyscallArguments) {
        self.syscall = syscall
        self.args = args
    }

    public var failed: Bool { errno != 0 }
}
