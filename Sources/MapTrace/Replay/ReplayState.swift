import Foundation

/// The processes of an strace log as the replay rebuilds them: one address-space model per
/// process, threads (CLONE_THREAD) sharing their process's, a fork copying its parent's.
struct ReplayState {
    final class Process {
        var space: AddressSpace
        var fds: [Int64: String] = [:]
        var programBreak: UInt64 = 0
        var hugetlbMappings = 0
        var hugetlbFiles = 0
        var bytesMapped: UInt64 = 0
        var baseline: Int
        var command: [String] = []
        var mapCountBeforeHugetlb: Int?

        init(space: AddressSpace, baseline: Int) {
            self.space = space
            self.baseline = baseline
        }
    }

    let options: ReplayOptions
    /// pid (a thread id in `strace -f`) → its process.
    private var processes: [Int32: Process] = [:]
    private var firstPid: Int32?
    var startedWithoutExec = false
    var fileMappings = 0
    var totalMappings = 0

    init(options: ReplayOptions) { self.options = options }

    mutating func process(for pid: Int32?) -> Process {
        let key = pid ?? 0
        if let p = processes[key] { return p }
        // A pid seen before any clone that names it: a thread of the first process when the log
        // shows no clone at all (strace -e trace=memory), else a process of its own.
        if let first = firstPid, let p = processes[first], !sawClone {
            processes[key] = p
            return p
        }
        let p = Process(space: AddressSpace(), baseline: options.baseline ?? 0)
        processes[key] = p
        if firstPid == nil { firstPid = key; startedWithoutExec = true }
        return p
    }

    private var sawClone = false

    func baselineFor(_ pid: Int32?) -> Int { processes[pid ?? 0]?.baseline ?? 0 }

    /// Applies a completed call. Returns true when the kernel refused a memory call.
    mutating func apply(_ call: StraceCall) -> Bool {
        let p = process(for: call.pid)
        if call.name == "execve" || call.name == "execveat" {
            if !call.failed, call.resultValue == 0 {
                p.space = AddressSpace()
                p.baseline = StraceReplay.areasAfterExec
                p.fds.removeAll()
                p.programBreak = 0
                p.mapCountBeforeHugetlb = nil
                if call.pid.map({ $0 == firstPid }) ?? true, totalMappings == 0 { startedWithoutExec = false }
                if let argv = call.arguments.dropFirst().first { p.command = argv.split(separator: ",").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "[\" ]")) } }
            }
            return false
        }
        if ["clone", "clone3", "fork", "vfork"].contains(call.name) {
            sawClone = true
            if let child = call.resultValue, child > 0 {
                let isThread = call.arguments.contains { $0.contains("CLONE_THREAD") }
                if isThread {
                    processes[Int32(child)] = p
                } else {
                    let copy = Process(space: p.space, baseline: p.baseline)
                    copy.fds = p.fds
                    copy.programBreak = p.programBreak
                    processes[Int32(child)] = copy
                }
            }
            return false
        }
        if call.name == "close", !call.failed, let fd = call.integer(0) { p.fds[Int64(Int32(truncatingIfNeeded: fd))] = nil }
        if ["open", "openat", "creat", "openat2"].contains(call.name) {
            let path = call.resultFdPath ?? call.string(call.name == "open" || call.name == "creat" ? 0 : 1)
            if !call.failed, let fd = call.resultValue, let path {
                p.fds[fd] = path
                if isHugetlbfs(path) { p.hugetlbFiles += 1 }
            }
            return false
        }
        if call.name == "brk" {
            guard let result = call.resultValue.map(UInt64.init(bitPattern:)) else { return false }
            let asked = call.integer(0) ?? 0
            if asked != 0 && result != asked { return true }  // refused: the old break came back
            if p.programBreak != 0 && result != p.programBreak { p.space.setBreak(from: p.programBreak, to: result) }
            p.programBreak = result
            return false
        }
        guard StraceReplay.memoryCalls.contains(call.name) else { return false }
        if call.failed { return true }
        let result = UInt64(bitPattern: call.resultValue ?? 0)
        switch call.name {
        case "mmap", "mmap2":
            let flags = call.flags(3)
            let fd = Int64(Int32(truncatingIfNeeded: call.integer(4) ?? UInt64.max))
            let path = call.fdPath(4) ?? (fd >= 0 ? p.fds[fd] : nil)
            let hugetlb = flags.contains("MAP_HUGETLB") || path.map(isHugetlbfs) == true
            let page: UInt64 = hugetlb ? options.hugePageSize : 4096
            let length = ((call.integer(1) ?? 0) + page - 1) / page * page
            let shared = flags.contains("MAP_SHARED") || flags.contains("MAP_SHARED_VALIDATE")
            let anonymous = flags.contains("MAP_ANONYMOUS")
            let prot = protBits(call.flags(2))
            if hugetlb {
                if p.mapCountBeforeHugetlb == nil { p.mapCountBeforeHugetlb = p.space.count + p.baseline }
                p.hugetlbMappings += 1
                p.bytesMapped += length
            }
            if !anonymous && !hugetlb { fileMappings += 1 }
            totalMappings += 1
            let offset = call.integer(5) ?? 0
            let accounted = !shared && prot & 2 != 0 && !flags.contains("MAP_NORESERVE") && !hugetlb
            p.space.map(Mapping(start: result, end: result &+ length, prot: prot, shared: shared, offset: offset,
                                path: anonymous ? (shared ? "/dev/zero (deleted)" : nil) : path,
                                hugePageSize: hugetlb ? options.hugePageSize : nil, accounted: accounted))
        case "munmap":
            p.space.unmap(start: call.integer(0) ?? 0, length: call.integer(1) ?? 0)
        case "mprotect":
            p.space.protect(start: call.integer(0) ?? 0, length: call.integer(1) ?? 0, prot: protBits(call.flags(2)))
        case "mremap":
            p.space.remap(oldStart: call.integer(0) ?? 0, oldLength: call.integer(1) ?? 0, newStart: result,
                          newLength: call.integer(2) ?? 0, keepsOldRange: call.flags(3).contains("MREMAP_DONTUNMAP"))
        case "shmdt":
            if let m = p.space.mapping(containing: call.integer(0) ?? 0) { p.space.unmap(start: m.start, length: m.length) }
        default:
            break
        }
        return false
    }

    /// The failures maptrace explains, as the live tracer decides them.
    func isDiagnosable(_ call: StraceCall) -> Bool {
        if call.injected { return false }  // strace -e inject: not a real limit
        if call.name == "brk" { return true }
        switch call.errnoName {
        case "ENOMEM", "EAGAIN": return StraceReplay.memoryCalls.contains(call.name)
        case "ENOSPC": return true
        case "EPERM": return ["mmap", "mlock", "mlock2", "mlockall", "shmget"].contains(call.name)
        case "EINVAL": return call.name == "mmap" && (call.flags(3).contains("MAP_HUGETLB") || (call.fdPath(4).map(isHugetlbfs) ?? false))
        default: return false
        }
    }

    func isHugetlbfs(_ path: String) -> Bool {
        if !options.hugetlbfsMounts.isEmpty {
            return options.hugetlbfsMounts.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
        // Without the mounts, the places and names dataplanes use.
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return path.hasPrefix("/dev/hugepages") || path.hasPrefix("/mnt/huge") || path.contains("hugetlbfs")
            || name.range(of: #"^[A-Za-z0-9_.-]*map_[0-9]+$"#, options: .regularExpression) != nil
            || path.hasPrefix("/anon_hugepage")
    }

    private func protBits(_ names: [String]) -> UInt32 {
        var bits: UInt32 = 0
        for name in names {
            switch name {
            case "PROT_READ": bits |= 1
            case "PROT_WRITE": bits |= 2
            case "PROT_EXEC": bits |= 4
            default: break
            }
        }
        return bits
    }
}
