import Glibc
import Synchronization

/// SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR1 sent to maptrace itself. The handler only
/// records them; the stop loop, woken by EINTR, decides: pass them to a launched command, or
/// detach from an attached one; during a hold, release it (see `Tracer.hold`). SIGUSR1 means
/// nothing outside a hold. SIGQUIT is caught so that it never ends maptrace with a crash
/// report (the Swift runtime's handler for it) while its tracees sit in their stops.
enum OwnSignals {
    /// The last signal received (0: none) and whether the terminal sent it (si_code SI_KERNEL),
    /// in which case the launched command, in the same foreground group, got it too.
    static let pending = Atomic<Int32>(0)
    static let fromTerminal = Atomic<Bool>(false)

    static func install() {
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1] {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { sig, info, _ in
                OwnSignals.fromTerminal.store(info?.pointee.si_code == 0x80, ordering: .relaxed)
                OwnSignals.pending.store(sig, ordering: .relaxed)
            }
            // no SA_RESTART: waitpid must return EINTR so the loop sees the signal
            action.sa_flags = SA_SIGINFO
            sigemptyset(&action.sa_mask)
            sigaction(sig, &action, nil)
        }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Takes the pending signal, if any.
    static func take() -> (signal: Int32, fromTerminal: Bool)? {
        let sig = pending.exchange(0, ordering: .relaxed)
        return sig == 0 ? nil : (sig, fromTerminal.load(ordering: .relaxed))
    }
}
