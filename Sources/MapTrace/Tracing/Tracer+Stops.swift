import CMapTrace
import Glibc

// Fewer stops: a call whose exit can change nothing maptrace reports resumes without one.
extension Tracer {
    /// Whether the call `thread` has just begun needs its exit stop.
    ///
    /// An open of a file whose directory lies off hugetlbfs (a library, a sysfs or /proc file:
    /// most of a dataplane's opens) changes neither the model nor a figure, and its line is
    /// printed only when every call is wanted (--all, --log). Unless every call is wanted, it runs
    /// to its end unstopped: one stop, a statfs and a readlink fewer per open. The directory is
    /// what is checked (one statfs), as at a failed open: the file may not exist yet.
    func exitMatters(_ thread: TracedThread) -> Bool {
        // what every call reads is kept beside the record: the record itself is not copied
        guard let (syscall, _, address, length) = thread.pendingCall else { return true }
        if syscall == .munmap {
            return options.stackTrace || sink.needsExit(.munmap, touchesHugetlb: thread.pendingHugePageSize != nil)
                || !munmapIsCertain(thread, start: address, length: length)
        }
        guard !sink.wants(touchesHugetlb: false, failed: false), syscall.opensFile, let call = thread.pending,
              let path = call.string else { return true }
        let relative = !path.hasPrefix("/")
        let base: String?
        if !relative {
            base = nil
        } else if call.syscall == .openat || call.syscall == .openat2 {
            base = call.dirfdPath
        } else {
            base = reader.fdPath(pid: thread.tid, fd: UInt64(bitPattern: -100))  // the cwd
        }
        if relative && base == nil { return true }
        let process = thread.process
        if filtered && !directories.disabled {
            if process.sharesRoot == nil { process.sharesRoot = directories.sharesRoot(pid: process.pid) }
            if process.sharesRoot == true {
                return directories.hugePageSize(of: TraceeReader.directory(of: path, base: base), pid: thread.tid) != nil
            }
        }
        return reader.hugePageSize(pid: thread.tid, path: path, base: base) != nil
    }
}

extension Tracer {
    /// Whether an munmap's outcome is known at its entry, so that its exit stop can be skipped
    /// (the loop of a program that maps and unmaps buffers: one stop in four).
    ///
    /// The kernel refuses an munmap for bad arguments (EINVAL), a sealed area in the range
    /// (EPERM), a cut into a special area ([vdso], a device's: EINVAL), a hugetlb area cut off its
    /// huge page boundaries (EINVAL), and, when it cuts a hole in the middle of an area, a map
    /// count at its limit (ENOMEM). Otherwise it succeeds (short of failing to allocate a few
    /// bytes). So when the arguments are sound, no such area is in the range, a hole in the
    /// middle leaves the count well below vm.max_map_count, and no call of another thread in
    /// flight could bring such an area into the range (`leavesMunmapAlone`), the call succeeds
    /// and the model can take it now. Whichever order the kernel runs it in with those other
    /// calls, the journal settles at the thread's next stop (`settleUnseen`).
    func munmapIsCertain(_ thread: TracedThread, start: UInt64, length: UInt64) -> Bool {
        let top: UInt64 = 1 << 47  // TASK_SIZE of x86_64 with 4-level page tables
        guard start % Page.size == 0, length > 0, start < top, length <= top - start else { return false }
        let end = Page.end(start, Page.roundUp(length, to: Page.size))
        let process = thread.process
        var inFlight = 0
        for other in process.threadsInCall where other !== thread {
            // an munmap taken at entry (no pending call) was as certain as this one
            if let call = other.pendingCall,
               !CallRecord.leavesMunmapAlone(call.syscall, flags: call.flags, hugePageSize: other.pendingHugePageSize) {
                return false
            }
            inFlight += 1
        }
        let count = process.space.count, limit = maxMapCount
        // through the stored model: the `space` accessor made a copy of it here (a retain and
        // release of each of its arrays)
        return process.memory.space.allMappings(overlapping: start, length: end - start) { area in
            // a sealed area, or one whose flags the model lost track of (it may be sealed)
            guard let traits = area.traits, !traits.uncertain, !traits.flags.contains(.sealed) else { return false }
            let cutBelow = area.start < start, cutAbove = area.end > end
            if (cutBelow || cutAbove) && (traits.flags.contains(.special) || area.path.map(Mapping.unmergeableNames.contains) == true) {
                return false  // special mappings refuse to be split
            }
            // a hole in the middle: +1 area, refused only at the limit; a margin for the
            // limit read at the last re-sync (maxMapCount) being older than a sysctl since, and
            // for the two areas each call in flight may add first
            if cutBelow && cutAbove && count + 8 + 2 * inFlight >= limit { return false }
            if let huge = area.hugePageSize {
                if cutBelow && start % huge != 0 { return false }
                if cutAbove && end % huge != 0 { return false }
            }
            return true
        }
    }

    /// Takes an munmap whose outcome is certain (`munmapIsCertain`) as done: the model and the
    /// figures follow now, and the thread is marked as being inside a call until its next stop,
    /// so that no comparison with the kernel runs before the kernel has done it.
    func completeAtEntry(_ thread: TracedThread) {
        guard var call = thread.pending else { return }
        call.result = 0
        thread.inUnseenCall = true
        thread.process.statistics.callsTakenAtEntry = (thread.process.statistics.callsTakenAtEntry ?? 0) + 1
        finish(thread, call: &call, hugePageSize: thread.pendingHugePageSize)
    }
}

extension CallRecord {
    /// Whether a call (its name, and mmap's flags), in flight in another thread, leaves an
    /// munmap's outcome as the model predicts it, run before or after it: it may add areas (two
    /// at most: the margin above) or take them away, but it brings no sealed, special or
    /// hugetlb area anywhere. A file mapping may be a device's that refuses a split; an mremap
    /// moves any area anywhere.
    static func leavesMunmapAlone(_ syscall: Syscall, flags: UInt64, hugePageSize: UInt64?) -> Bool {
        switch syscall {
        case .munmap, .shmdt, .mprotect, .pkey_mprotect, .madvise, .mlock, .mlock2, .munlock, .mbind, .brk,
             .open, .openat, .openat2, .creat, .fallocate, .ftruncate, .memfd_create, .shmget, .statfs, .fstatfs:
            true
        case .mmap:
            flags & CallBits.mapAnonymous != 0 && hugePageSize == nil
        case .mremap, .mseal, .shmat, .mlockall, .munlockall, .prctl, .execve, .execveat:
            false
        }
    }

    /// An openat of an absolute path from AT_FDCWD: the cwd only decorates its line
    /// (`AT_FDCWD</cwd>`, as strace -y prints it), so it is read at the exit, and only when the
    /// line is shown; most of a dataplane's opens then cost no readlink.
    var cwdOnlyDecorates: Bool {
        (syscall == .openat || syscall == .openat2) && dirfdPath == nil
            && Int32(truncatingIfNeeded: args[0]) == -100 && string?.hasPrefix("/") == true
    }
}
