/// A line of an strace log that names a memory call maptrace models but cannot be read as one
/// (a number out of range, a flag name no table holds): skipped and counted.
struct MalformedCall: Error {
    var reason: String
}

extension StraceCall {
    /// Names strace prints for the calls of `Syscall`, and the 32-bit mmap whose offset is in pages.
    static func syscall(named name: String) -> (Syscall, offsetInPages: Bool)? {
        if name == "mmap2" { return (.mmap, true) }
        return Syscall(name: name).map { ($0, false) }
    }

    /// This line in numbers, for `ProcessMemory.apply`; nil for calls the model does not need.
    /// `fdPaths` names the files the process's earlier opens returned; `area` finds the model's
    /// area at an address, for the huge page size of calls that name a range.
    func memoryCall(fdPaths: [Int64: String], hugePageSize defaultSize: UInt64, isHugetlbfs: (String) -> Bool,
                    area: (UInt64) -> Mapping?) throws(MalformedCall) -> MemoryCall? {
        guard let (syscall, inPages) = Self.syscall(named: name), !syscall.isExec else { return nil }
        func number(_ i: Int) throws(MalformedCall) -> UInt64 {
            guard let value = integer(i) else {
                throw MalformedCall(reason: "\(name): argument \(i + 1) is not a number: \(arguments.indices.contains(i) ? arguments[i] : "missing")")
            }
            return value
        }
        func bits(_ i: Int, _ parse: ([String]) -> UInt64?) throws(MalformedCall) -> UInt64 {
            if let value = parse(flags(i)) { return value }
            throw MalformedCall(reason: "\(name): argument \(i + 1) is not a known flag set: \(arguments.indices.contains(i) ? arguments[i] : "missing")")
        }
        func path(ofFd i: Int) -> String? {
            fdPath(i) ?? integer(i).flatMap { fdPaths[Int64(Int32(truncatingIfNeeded: $0))] }
        }
        var args = SyscallArguments()
        var filePath: String?
        var huge: UInt64?
        var policy: String?
        var anonName: String?
        switch syscall {
        case .mmap:
            args = SyscallArguments([try number(0), try number(1), try bits(2) { protFlags.parse($0, zero: "PROT_NONE") },
                                     try bits(3) { parseFlags($0, mapTypes, mapFlags) }, try number(4), try number(5)])
            if inPages { args[5] = args[5] &* Page.size }
            if args[3] & CallBits.mapAnonymous == 0 { filePath = path(ofFd: 4) }
            if args[3] & CallBits.mapHugetlb != 0 {
                huge = hugePageSize(fromFlags: args[3]) ?? defaultSize
            } else if let filePath, isHugetlbfs(filePath) {
                huge = defaultSize
            } else if args[3] & CallBits.mapFixed != 0 {
                huge = area(args[0])?.hugePageSize
            }
        case .munmap, .mlock, .munlock, .shmdt:
            args = SyscallArguments([try number(0), syscall == .shmdt ? 0 : try number(1)])
            huge = area(args[0])?.hugePageSize
        case .mprotect, .pkey_mprotect:
            args = SyscallArguments([try number(0), try number(1), try bits(2) { protFlags.parse($0, zero: "PROT_NONE") },
                                     syscall == .pkey_mprotect ? try number(3) : 0])
            huge = area(args[0])?.hugePageSize
        case .mremap:
            let flags = try bits(3) { mremapFlags.parse($0) }
            args = SyscallArguments([try number(0), try number(1), try number(2), flags,
                                     flags & CallBits.mremapFixed != 0 ? try number(4) : 0])
            huge = area(args[0])?.hugePageSize
        case .madvise:
            var advice = madviseAdvice.value(of: arguments.indices.contains(2) ? arguments[2].trimmingSpaces() : "")
            if advice == nil { advice = try number(2) }
            args = SyscallArguments([try number(0), try number(1), advice ?? 0])
            huge = area(args[0])?.hugePageSize
        case .mlock2:
            args = SyscallArguments([try number(0), try number(1), try bits(2) { mlock2Flags.parse($0) }])
        case .mlockall:
            args = SyscallArguments([try bits(0) { mlockallFlags.parse($0) }])
        case .munlockall:
            break
        case .mbind:
            let mode = try bits(2) { parseFlags($0, mempolicyModes, mempolicyModeFlags) }
            args = SyscallArguments([try number(0), try number(1), mode])
            policy = "\(mode)/" + (arguments.indices.contains(3) ? arguments[3].trimmingSpaces() : "")
            huge = area(args[0])?.hugePageSize
        case .mseal:
            args = SyscallArguments([try number(0), try number(1), try number(2)])
        case .prctl:
            guard arguments.count >= 5, arguments[0].trimmingSpaces() == "PR_SET_VMA",
                  arguments[1].trimmingSpaces() == "PR_SET_VMA_ANON_NAME" else { return nil }
            args = SyscallArguments([CallBits.prSetVMA, CallBits.prSetVMAAnonName, try number(2), try number(3), 0])
            anonName = string(4)
        case .shmget:
            let key = arguments.first?.trimmingSpaces() == "IPC_PRIVATE" ? 0 : try number(0)
            args = SyscallArguments([key, try number(1), try bits(2) { parseFlags($0, shmgetFlags) }])
            if args[2] & CallBits.shmHugetlb != 0 { huge = hugePageSize(fromFlags: args[2]) ?? defaultSize }
        case .shmat:
            args = SyscallArguments([try number(0), try number(1), try bits(2) { shmatFlags.parse($0) }])
        case .open, .creat, .openat, .openat2:
            filePath = resultFdPath ?? string(syscall == .open || syscall == .creat ? 0 : 1)
            if let filePath, isHugetlbfs(filePath) { huge = defaultSize }
        case .memfd_create:
            let flags = try bits(1) { parseFlags($0, memfdFlags) }
            args = SyscallArguments([0, flags])
            if flags & CallBits.mfdHugetlb != 0 { huge = hugePageSize(fromFlags: flags) ?? defaultSize }
        case .fallocate, .ftruncate:
            filePath = path(ofFd: 0)
            if let filePath, isHugetlbfs(filePath) { huge = defaultSize }
        case .brk:
            args = SyscallArguments([try number(0)])
        case .execve, .execveat, .statfs, .fstatfs:
            return nil
        }
        var call = MemoryCall(syscall: syscall, args: args)
        if failed {
            call.error = errnoName.flatMap(Errno.init(name:)) ?? Errno(rawValue: 0)
        } else {
            if result == "?" { return nil }  // the thread died in the call: its outcome is unknown
            guard let value = resultValue else { throw MalformedCall(reason: "\(name): the result is not a number: \(result ?? "")") }
            call.result = UInt64(bitPattern: value)
        }
        call.filePath = filePath
        call.hugePageSize = huge
        call.policy = policy
        call.anonName = anonName
        return call
    }
}
