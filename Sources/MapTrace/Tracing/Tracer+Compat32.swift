import CMapTrace
import Glibc

// Calls through the i386 entry (a 32-bit program, or `int 0x80` in a 64-bit one): the memory
// calls are decoded as their x86_64 equivalents and counted in the same model; the filter lets
// every other i386 call run untouched.
extension Tracer {
    /// A seccomp stop at an i386 call.
    func compatCallEntry(_ thread: TracedThread, number: UInt64, code: UInt16, args: SyscallArguments) {
        if code == rootChangeCode {
            directories.rootChanged()
        } else if code == cloneUntracedCode || code == clone3Code {
            // clone's flags are in ebx for an i386 caller; clone3's struct is the same for both.
            let cleared = code == clone3Code ? mt_clear_clone_untraced(thread.tid, 1, args[0] & 0xffff_ffff)
                                             : mt_clear_clone_untraced_i386(thread.tid)
            if cleared == 1 { warnUntracedChild(thread) }
        } else {
            compatBegin(thread, number: number, args: args)
        }
        resume(thread)
    }

    /// Decodes an i386 call at its entry; a call maptrace does not trace leaves no pending call,
    /// so the thread resumes without an exit stop.
    func compatBegin(_ thread: TracedThread, number: UInt64, args: SyscallArguments) {
        let tid = thread.tid
        let call = Compat32Calls.translate(number: number, args: args) { address, count in
            var bytes = [UInt8](repeating: 0, count: count)
            let got = bytes.withUnsafeMutableBytes { mt_read_mem(tid, address, $0.baseAddress, count) }
            return got == count ? bytes : nil
        }
        guard let call else { return }
        begin(thread, call: call.syscall, args: call.args)
        if let at = call.resultAddress { ipcShmatResult[tid] = at }
        if filtered && !exitMatters(thread) {
            if call.syscall == .munmap { completeAtEntry(thread) }
            thread.pending = nil
        }
    }

    /// The result of an i386 call as the x86_64 call would return it: ipc(SHMAT) returns 0 and
    /// leaves the attached address in the caller's memory.
    func compatResult(_ thread: TracedThread, _ rval: Int64, failed: Bool) -> Int64 {
        guard let at = ipcShmatResult.removeValue(forKey: thread.tid), !failed else { return rval }
        var address: UInt32 = 0
        let got = withUnsafeMutableBytes(of: &address) { mt_read_mem(thread.tid, at, $0.baseAddress, 4) }
        return got == 4 ? Int64(address) : rval
    }

    /// A call maptrace cannot decode (x32, on a kernel that allows it): the process is stopped
    /// rather than let through, since its memory calls would go unseen.
    func foreignCall(_ thread: TracedThread, number: UInt64) {
        let comm = ProcText.value("/proc/\(thread.tid)/comm") ?? "?"
        Console.error("maptrace: pid \(thread.process.pid) (\(comm)) made an x32 system call (number \(number & 0x3fff_ffff)); "
              + "maptrace decodes x86_64 and i386 calls only, and stops it here rather than miss its memory calls")
        kill(thread.process.pid, SIGKILL)
        resume(thread)
    }

    func warnUntracedChild(_ thread: TracedThread) {
        guard !warnedUntraced else { return }
        warnedUntraced = true
        Console.error("maptrace: pid \(thread.process.pid) asked for an untraced child (CLONE_UNTRACED); maptrace "
                      + "cleared the flag, since under its seccomp filter an untraced child's memory calls would all fail")
    }
}
