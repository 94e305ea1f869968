import Glibc

/// A thread of maptrace's own beside the tracer (the starvation watch, the log's chunk maker).
/// It starts with every signal blocked and keeps them so: maptrace's own signals (`OwnSignals`)
/// must reach the tracer thread, whose stop loop waits for their EINTR.
enum OwnThread {
    /// Runs `body` on a new thread; nil when the thread cannot be created.
    static func start(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var all = sigset_t(), old = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &old)  // the new thread inherits the mask
        var id = pthread_t()
        let created = pthread_create(&id, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        pthread_sigmask(SIG_SETMASK, &old, nil)
        guard created == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return id
    }

    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
