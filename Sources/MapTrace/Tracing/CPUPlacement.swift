import CMapTrace
import Glibc

/// Where maptrace and the launched command run.
///
/// By default maptrace never touches the command's CPU mask: a program that sizes its threads,
/// queues or pools from `sched_getaffinity` (DPDK's EAL counts its lcores that way) must come up
/// as it does untraced. maptrace may move itself (`--cpu`): the program never sees the tracer's mask.
///
/// `--pin-tracee` is the opt-in exception: maptrace and the command (threads and children
/// inherit it) share one CPU for the whole run, as under `taskset -c N`. A ptrace stop costs
/// about a quarter as much when both sides share a CPU, because the cross-CPU wake-up is most of
/// its cost; the price is that the program sees a one-CPU mask.
enum CPUPlacement {
    /// Puts maptrace on `cpu` (nil: leaves it where it is) and, when `pinTracee`, the stopped,
    /// not yet exec'd command with it (on the CPU maptrace runs on when `cpu` is nil).
    static func place(command pid: Int32, cpu: Int32?, pinTracee: Bool) throws {
        if let cpu, mt_pin_cpu(0, cpu) != 0 {
            throw MapTraceError.badInput("--cpu \(cpu): cannot run there (\(errnoMessage(errno)))")
        }
        guard pinTracee else { return }
        let target = cpu ?? mt_current_cpu()
        guard target >= 0, mt_pin_cpu(0, target) == 0, mt_pin_cpu(pid, target) == 0 else {
            throw MapTraceError.badInput("--pin-tracee: cannot pin to CPU \(target) (\(errnoMessage(errno)))")
        }
    }
}

/// The CPUs the kernel has online, from /sys/devices/system/cpu/online ("0-3,6").
public enum OnlineCPUs {
    /// The list as the kernel writes it.
    public static var text: String { ProcText.value("/sys/devices/system/cpu/online") ?? "" }

    public static func read() -> [Int32] { ProcText.list(text).map { Int32($0) } }
}
