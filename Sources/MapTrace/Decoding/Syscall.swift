/// The calls maptrace traces. The raw value is the code the seccomp filter returns with
/// SECCOMP_RET_TRACE, so the tracer dispatches on it without looking up syscall numbers.
public enum Syscall: UInt16, CaseIterable, Sendable, Codable {
    case open = 1, openat, openat2, creat
    case mmap, munmap, mremap, mprotect, brk, madvise
    case mlock, mlock2, mlockall
    case fallocate, ftruncate, memfd_create
    case shmget, shmat, shmdt
    case execve, execveat
    case munlock, munlockall, pkey_mprotect, mbind, mseal
    /// prctl only as PR_SET_VMA (the filter passes every other option untraced).
    case prctl
    /// statfs of a hugetlbfs mount is how a program reads its size= and free pages.
    case statfs, fstatfs

    /// The name strace prints, which is also the name libseccomp resolves.
    public var name: String { String(describing: self) }

    /// Calls whose result changes the address space.
    public var changesMappings: Bool {
        switch self {
        case .mmap, .munmap, .mremap, .mprotect, .brk, .shmat, .shmdt, .madvise, .mlock, .mlock2, .mlockall,
             .munlock, .munlockall, .pkey_mprotect, .mbind, .mseal, .prctl: true
        default: false
        }
    }

    /// Calls that open a file and return an fd.
    public var opensFile: Bool {
        switch self {
        case .open, .openat, .openat2, .creat: true
        default: false
        }
    }

    public var isExec: Bool { self == .execve || self == .execveat }

    /// Which argument holds a path to read at entry, if any.
    var pathArgument: Int? {
        switch self {
        case .open, .creat, .execve, .statfs: 0
        case .openat, .openat2, .execveat: 1
        case .memfd_create: 0
        default: nil
        }
    }

    /// Which argument is an fd whose path `-y` prints, if any.
    var fdArgument: Int? {
        switch self {
        case .mmap: 4
        case .fallocate, .ftruncate, .fstatfs: 0
        default: nil
        }
    }

    public init?(name: String) {
        guard let call = Syscall.allCases.first(where: { $0.name == name }) else { return nil }
        self = call
    }
}

/// The filter's code for a memory call made through the 32-bit entry (int 0x80 on x86_64).
let foreignArchCode: UInt16 = 0x7fff
/// The filter's codes for clone with CLONE_UNTRACED and for every clone3 (whose flags live in
/// memory, out of the filter's reach): a child created untraced would keep the filter with no
/// tracer, and every memory call it makes would fail with ENOSYS.
let cloneUntracedCode: UInt16 = 0x7ffe
let clone3Code: UInt16 = 0x7ffd
/// The filter's code for chroot, pivot_root, setns and unshare: after one, a path may name
/// another file than before without any mount (see DirectoryFilesystems).
let rootChangeCode: UInt16 = 0x7ffc
