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
        guard let call = thread.pending, call.syscall.opensFile, let path = call.string,
              !sink.wants(touchesHugetlb: false, failed: false) else { return true }
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
        return reader.hugePageSize(pid: thread.tid, path: path, base: base) != nil
    }
}
