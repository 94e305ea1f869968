/// One address space (one mm) and the state its calls need besides the areas: the program
/// break. Live tracing and replay both change it only through `apply`, so they cannot
/// disagree on what a call does.
public struct ProcessMemory: Sendable {
    public var space: AddressSpace
    /// The current program break; 0 until the first brk shows it.
    public var programBreak: UInt64 = 0

    public init(space: AddressSpace = AddressSpace()) { self.space = space }

    /// Applies a completed call by the kernel's rules (mm/mmap.c, mm/vma.c, mm/mprotect.c,
    /// mm/mlock.c, mm/madvise.c, mm/mremap.c, mm/mempolicy.c, mm/mseal.c). A failed call
    /// changes nothing, except the calls that work area by area and can stop half way: their
    /// range is marked unsure (see `AddressSpace.takeUnsure`).
    @discardableResult
    public mutating func apply(_ call: MemoryCall, segments: inout SharedMemorySegments) -> CallEffect {
        var effect = CallEffect()
        let a = call.args
        if let range = call.range { effect.touched(range.start, length: range.length) }
        if call.failed {
            // Calls change areas one after another and can fail after changing some (a hole
            // in the range, a split refused at the limit); munmap, a MAP_FIXED mmap and a
            // move split the areas at the range's edges before they find a sealed one.
            if let range = call.range { space.markUnsure(start: range.start, length: range.length) }
            if call.syscall == .mmap, a[3] & (CallBits.mapFixed | CallBits.mapFixedNoReplace) != 0 {
                space.markUnsure(start: a[0], length: a[1])
                effect.touched(a[0], length: a[1])
            }
            if call.syscall == .mremap, a[3] & CallBits.mremapFixed != 0 {
                space.markUnsure(start: a[4], length: a[2])
                effect.touched(a[4], length: a[2])
            }
            if call.syscall == .mlockall { effect.changedEverything = true }
            return effect
        }
        switch call.syscall {
        case .mmap:
            let mapping = Self.newMapping(call)
            space.map(mapping)
            effect.touched(mapping.start, length: mapping.length)
            if let huge = call.hugePageSize { effect.hugetlbBytes = Page.roundUp(a[1], to: huge) }
        case .munmap:
            space.unmap(start: a[0], length: a[1])
        case .mprotect:
            space.protect(start: a[0], length: a[1], prot: UInt32(truncatingIfNeeded: a[2]))
        case .pkey_mprotect:
            let key = Int32(truncatingIfNeeded: a[3])
            space.protect(start: a[0], length: a[1], prot: UInt32(truncatingIfNeeded: a[2]),
                          pkey: key < 0 ? nil : UInt32(key))
        case .mremap:
            space.remap(oldStart: a[0], oldLength: a[1], newStart: call.result, newLength: a[2],
                        keepsOldRange: a[3] & CallBits.mremapDontUnmap != 0)
            effect.touched(call.result, length: a[2])
            // a move takes anon_vmas, page offsets and (DONTUNMAP) lock flags along in ways
            // only the kernel knows (move_vma, copy_vma in mm/mremap.c, mm/vma.c)
            if call.result != a[0] || a[3] & CallBits.mremapDontUnmap != 0 {
                space.markUnsure(start: a[0], length: a[1])
                space.markUnsure(start: call.result, length: a[2])
            }
        case .brk:
            if a[0] != 0 && call.result != a[0] {
                effect.refusedBrk = true
            } else {
                if programBreak != 0 && call.result != programBreak {
                    space.setBreak(from: programBreak, to: call.result)
                    let low = Swift.min(programBreak, call.result), high = Swift.max(programBreak, call.result)
                    effect.touched(Page.roundDown(low, to: Page.size), length: Page.roundUp(high, to: Page.size) - Page.roundDown(low, to: Page.size))
                }
                programBreak = call.result
            }
        case .madvise:
            if let change = Self.adviceChange(a[2]) { space.modify(start: a[0], length: a[1], change) }
        case .mlock, .mlock2:
            let add: VMFlags = call.syscall == .mlock2 && a[2] & CallBits.mlockOnFault != 0 ? .lockMask : .locked
            space.modify(start: a[0], length: a[1]) { Self.setLock(&$0, add) }
        case .munlock:
            space.modify(start: a[0], length: a[1]) { Self.setLock(&$0, []) }
        case .mlockall:
            let add: VMFlags = a[0] & CallBits.mclOnFault != 0 ? .lockMask : .locked
            space.defaultFlags = a[0] & CallBits.mclFuture != 0 ? add : []
            if a[0] & CallBits.mclCurrent != 0 {
                space.modify(start: 0, length: UInt64.max) { Self.setLock(&$0, add) }
                effect.changedEverything = true
            }
        case .munlockall:
            space.defaultFlags = []
            space.modify(start: 0, length: UInt64.max) { Self.setLock(&$0, []) }
            effect.changedEverything = true
        case .mbind:
            let policy = a[2] == CallBits.mpolDefault ? nil : call.policy ?? "mode \(a[2])"
            space.modify(start: a[0], length: a[1]) { $0.traits?.policy = policy }
            // a policy is stored per area or per shared file (shmem's set_policy), and compared
            // after the kernel's own normalisation of modes and node masks: let it say
            space.markUnsure(start: a[0], length: a[1])
        case .mseal:
            space.modify(start: a[0], length: a[1]) { $0.traits?.flags.insert(.sealed) }
        case .prctl:
            guard a[0] == CallBits.prSetVMA, a[1] == CallBits.prSetVMAAnonName else { break }
            let name = call.anonName
            space.modify(start: a[2], length: a[3]) { area in
                // only anonymous memory can be named (madvise_set_anon_name); maps shows the name
                guard area.path == nil || area.path!.hasPrefix("[anon") || area.path == "/dev/zero (deleted)" else { return }
                if area.shared {
                    area.path = name.map { "[anon_shmem:\($0)]" } ?? "/dev/zero (deleted)"
                } else {
                    area.path = name.map { "[anon:\($0)]" }
                }
            }
        case .shmget:
            segments.segments[Int64(Int32(truncatingIfNeeded: call.result))] = (size: a[1], hugePageSize: call.hugePageSize)
        case .shmat:
            let segment = segments[id: a[0]]
            let page = segment?.hugePageSize ?? Page.size
            let size = Page.roundUp(segment?.size ?? Page.size, to: page)
            var prot: UInt32 = a[2] & CallBits.shmRdonly != 0 ? 1 : 3
            if a[2] & CallBits.shmExec != 0 { prot |= 4 }
            effect.touched(call.result, length: size)
            space.map(Mapping(start: call.result, end: Page.end(call.result, size), prot: prot, shared: true,
                              path: "/SYSV (deleted)", hugePageSize: segment?.hugePageSize,
                              traits: AreaTraits(flags: [], lineage: 0)))
        case .shmdt:
            if let m = space.mapping(containing: a[0]) {
                space.unmap(start: m.start, length: m.length)
                effect.touched(m.start, length: m.length)
            }
        default:
            break
        }
        return effect
    }

    /// The area a successful mmap creates, with the vm_flags mmap_region gives it
    /// (calc_vm_prot_bits, calc_vm_flag_bits, accountable_mapping).
    static func newMapping(_ call: MemoryCall) -> Mapping {
        let a = call.args
        let type = a[3] & CallBits.mapTypeMask
        let shared = type == CallBits.mapShared || type == CallBits.mapSharedValidate
        let anonymous = a[3] & CallBits.mapAnonymous != 0
        let huge = call.hugePageSize
        let prot = UInt32(truncatingIfNeeded: a[2]) & 7
        var flags: VMFlags = []
        if a[3] & CallBits.mapNoReserve != 0 { flags.insert(.noReserve) }
        if !shared && prot & 2 != 0 && !flags.contains(.noReserve) && huge == nil { flags.insert(.account) }
        if a[3] & CallBits.mapLocked != 0 { flags.insert(.locked) }
        if a[3] & CallBits.mapGrowsDown != 0 { flags.insert(.growsDown) }
        // MAP_STACK has meant VM_NOHUGEPAGE since Linux 6.7
        if a[3] & CallBits.mapStack != 0 { flags.insert(.noHugePage) }
        if type == CallBits.mapDroppable { flags.formUnion([.droppable, .wipeOnFork, .dontDump, .noHugePage]) }
        var path: String?
        if anonymous {
            path = huge != nil ? "/anon_hugepage (deleted)" : shared ? "/dev/zero (deleted)" : nil
        } else {
            path = call.filePath
            // device memory (VFIO, UIO, /dev/mem) is VM_IO or VM_PFNMAP: never merged
            if let p = path, p.hasPrefix("/dev/"), huge == nil, !p.hasPrefix("/dev/shm/"), !p.hasPrefix("/dev/zero") {
                flags.insert(.special)
            }
        }
        let length = Page.roundUp(a[1], to: huge ?? Page.size)
        var traits = AreaTraits(flags: flags, lineage: 0)
        traits.plain = anonymous && !shared && huge == nil
        return Mapping(start: call.result, end: Page.end(call.result, length), prot: prot, shared: shared,
                       offset: anonymous ? 0 : a[5], path: path, hugePageSize: huge, traits: traits)
    }

    /// mlock_fixup (mm/mlock.c) leaves VM_SPECIAL and hugetlb areas unlocked.
    static func setLock(_ area: inout Mapping, _ lock: VMFlags) {
        guard !area.isHugetlb, area.traits?.flags.contains(.special) != true,
              !(area.path.map(Mapping.unmergeableNames.contains) ?? false) || area.path == "[stack]"
        else { return }
        area.traits?.flags.subtract(.lockMask)
        area.traits?.flags.formUnion(lock)
    }

    /// The vm_flags change of a madvise advice (madvise_vma_behavior, mm/madvise.c); nil for
    /// advice that changes pages, not areas.
    static func adviceChange(_ advice: UInt64) -> ((inout Mapping) -> Void)? {
        func set(_ on: VMFlags, clear off: VMFlags = []) -> (inout Mapping) -> Void {
            { area in
                area.traits?.flags.subtract(off)
                area.traits?.flags.formUnion(on)
            }
        }
        switch advice {
        case Advice.normal: return set([], clear: [.randRead, .seqRead])
        case Advice.random: return set(.randRead, clear: .seqRead)
        case Advice.sequential: return set(.seqRead, clear: .randRead)
        case Advice.dontFork: return set(.dontCopy)
        case Advice.doFork: return set([], clear: .dontCopy)
        case Advice.wipeOnFork: return set(.wipeOnFork)
        case Advice.keepOnFork: return set([], clear: .wipeOnFork)
        case Advice.dontDump: return set(.dontDump)
        case Advice.doDump: return set([], clear: .dontDump)
        case Advice.hugePage: return set(.hugePage, clear: .noHugePage)
        case Advice.noHugePage: return set(.noHugePage, clear: .hugePage)
        case Advice.mergeable:
            // ksm_madvise leaves shared, special and hugetlb memory alone
            return { area in
                guard !area.shared, !area.isHugetlb, area.traits?.flags.contains(.special) != true else { return }
                area.traits?.flags.insert(.mergeable)
            }
        case Advice.unmergeable: return set([], clear: .mergeable)
        default: return nil
        }
    }
}
