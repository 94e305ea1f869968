import CMapTrace
import Glibc

// What happens around a traced call besides decoding it: the entry and exit times, fault
// injection (`-e inject=`), and the stack for -k. Tracer+Calls calls these two hooks.
extension Tracer {
    /// At the entry stop, after the call was decoded into `thread.pending`.
    func callEntered(_ thread: TracedThread) {
        guard let injector, let call = thread.pendingCall?.syscall else { return }
        injector.entered(tid: thread.tid, call: call)
    }

    /// At the exit stop, with the kernel's result in `call`: the injected result replaces it,
    /// and -k reads the stack while the thread is still stopped.
    func callExited(_ thread: TracedThread, _ call: inout CallRecord) {
        if call.entryTime > 0 { call.duration = max(0, Clock.realtime() - call.entryTime) }
        injector?.exited(tid: thread.tid, pid: thread.process.pid, call: &call, hugePageSize: thread.pendingHugePageSize)
        if options.stackTrace, options.stackFor?(call, thread.pendingHugePageSize != nil) ?? true {
            call.stack = reader.stack(tid: thread.tid, maps: thread.process.space.mappings, limit: 32)
        }
    }

    /// What each process did after its first injected failure, in the order they happened.
    public var injectionReactions: [InjectionReaction] {
        guard let injector else { return [] }
        return injector.reactionOrder.compactMap { injector.reactions[$0] }
    }
}
