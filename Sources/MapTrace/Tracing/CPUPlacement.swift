import CMapTrace

/// Where the stop loop and the launched command run. A ptrace stop costs about a quarter as much
/// when the tracer and the tracee share a CPU (the cross-CPU wake-up is most of its cost:
/// PTRACE-NOTES.md), and pinning only the tracer does not help, since the scheduler wakes the
/// tracee on the idle CPU. So while the launched command is single-threaded (a dataplane's
/// memory init, the part full of traced calls) both are pinned to one CPU; at the first thread
/// it creates, the command's threads get the original mask back, before the new one runs, and
/// the program's own affinity calls (DPDK's lcore pinning) decide from there.
struct CPUPlacement {
    private var original = [UInt8](repeating: 0, count: Int(MT_CPU_MASK_SIZE))
    private(set) var pinned = false
    /// Pinned by the user (--cpu): kept for the whole run.
    private var fixed = false

    /// Pins the calling thread and `pid` together: on `cpu`, or on the CPU running now.
    mutating func colocate(_ pid: Int32, cpu: Int32?) {
        guard original.withUnsafeMutableBytes({ mt_affinity_get(0, $0.baseAddress, $0.count) }) == 0 else { return }
        let target = cpu ?? mt_current_cpu()
        guard target >= 0, mt_pin_cpu(0, target) == 0 else { return }
        _ = mt_pin_cpu(pid, target)
        pinned = true
        fixed = cpu != nil
    }

    /// The command became multi-threaded: give `tids` and the tracer the original mask back.
    mutating func release(_ tids: [Int32]) {
        guard pinned, !fixed else { return }
        original.withUnsafeBytes { mask in
            for tid in tids { _ = mt_affinity_set(tid, mask.baseAddress, mask.count) }
            _ = mt_affinity_set(0, mask.baseAddress, mask.count)
        }
        pinned = false
    }
}
