/// A decoded argument as the log stores it: integers as numbers, flags as a flat array of names.
public enum FieldValue: Codable, Sendable, Equatable {
    case number(Int64)
    case text(String)
    case names([String])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int64.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .text(s) }
        else { self = .names(try c.decode([String].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .text(let s): try c.encode(s)
        case .names(let a): try c.encode(a)
        }
    }
}

/// The arguments of a call as named fields, for the log.
enum CallFields {
    static func of(_ call: CallRecord) -> [String: FieldValue] {
        let a = call.args
        func n(_ v: UInt64) -> FieldValue { .number(Int64(bitPattern: v)) }
        func fd(_ v: UInt64) -> FieldValue { .number(Int64(Int32(truncatingIfNeeded: v))) }
        func names(_ text: String) -> FieldValue { .names(text == "0" ? [] : text.split(separator: "|").map(String.init)) }
        var f: [String: FieldValue] = [:]
        if let s = call.string { f[call.syscall == .memfd_create || call.syscall == .prctl ? "name" : "path"] = .text(s) }
        switch call.syscall {
        case .open: f["flags"] = names(renderOpenFlags(a[1])); f["mode"] = n(a[2])
        case .creat: f["mode"] = n(a[1])
        case .openat: f["dirfd"] = fd(a[0]); f["flags"] = names(renderOpenFlags(a[2])); f["mode"] = n(a[3])
        case .openat2: f["dirfd"] = fd(a[0]); if let h = call.openHow { f["flags"] = names(renderOpenFlags(h.flags)); f["mode"] = n(h.mode) }
        case .mmap:
            f["addr"] = n(a[0]); f["length"] = n(a[1]); f["prot"] = names(protFlags.render(a[2], zero: "PROT_NONE"))
            f["flags"] = names(renderMapFlags(a[3])); f["fd"] = fd(a[4]); f["offset"] = n(a[5])
        case .munmap, .mlock, .madvise, .mprotect, .mlock2, .munlock, .pkey_mprotect, .mseal, .mbind:
            f["addr"] = n(a[0]); f["length"] = n(a[1])
            if call.syscall == .mprotect || call.syscall == .pkey_mprotect { f["prot"] = names(protFlags.render(a[2], zero: "PROT_NONE")) }
            if call.syscall == .pkey_mprotect { f["pkey"] = .number(Int64(Int32(truncatingIfNeeded: a[3]))) }
            if call.syscall == .mbind, let policy = call.policy { f["policy"] = .text(policy) }
            if call.syscall == .madvise { f["advice"] = .text(madviseAdvice.name(of: a[2]) ?? String(a[2])) }
        case .mremap:
            f["old_addr"] = n(a[0]); f["old_length"] = n(a[1]); f["new_length"] = n(a[2])
            f["flags"] = names(mremapFlags.render(a[3])); f["new_addr"] = n(a[4])
        case .brk: f["addr"] = n(a[0])
        case .mlockall: f["flags"] = names(mlockallFlags.render(a[0]))
        case .munlockall: break
        case .prctl: f["addr"] = n(a[2]); f["length"] = n(a[3])
        case .fallocate: f["fd"] = fd(a[0]); f["mode"] = names(fallocateModes.render(a[1])); f["offset"] = n(a[2]); f["length"] = n(a[3])
        case .ftruncate: f["fd"] = fd(a[0]); f["length"] = n(a[1])
        case .memfd_create: f["flags"] = names(renderMemfdFlags(a[1]))
        case .shmget: f["key"] = n(a[0]); f["size"] = n(a[1]); f["flags"] = names(renderShmgetFlags(a[2]))
        case .shmat: f["shmid"] = fd(a[0]); f["addr"] = n(a[1])
        case .shmdt: f["addr"] = n(a[0])
        case .execve, .execveat: if let argv = call.argv { f["argv"] = .names(argv) }
        case .statfs, .fstatfs:
            if call.syscall == .fstatfs { f["fd"] = fd(a[0]) }
            f["buf"] = n(a[1])
            if let r = call.statfsResult {
                f["f_type"] = n(r.type); f["f_bsize"] = .number(r.blockSize)
                f["f_blocks"] = n(r.blocks); f["f_bfree"] = n(r.blocksFree); f["f_bavail"] = n(r.blocksAvailable)
            }
        }
        return f
    }
}
