/// SysV shared memory: SHM_HUGETLB permission and the shm limits (docs/causes.md).
///
/// shmget(SHM_HUGETLB) needs CAP_IPC_LOCK or membership of vm.hugetlb_shm_group
/// (fs/hugetlbfs/inode.c can_do_hugetlb_shm); otherwise EPERM. Sizes above kernel.shmmax give
/// EINVAL, and kernel.shmall / shmmni exhaustion ENOSPC (ipc/shm.c newseg).
public struct ShmHugetlbRule: CauseRule {
    public let cause = Cause.shmHugetlb
    public init() {}

    public func evaluate(_ input: RuleInput) -> Verdict {
        let request = input.request
        guard request.syscall == .shmget else { return .notApplicable("not shmget") }
        guard let shm = input.snapshot.shm else { return .notApplicable("shm limits not read") }
        let hugetlb = request.flags & CallBits.shmHugetlb != 0
        let size = input.failure.args[1]
        switch request.errno {
        case ErrorNumber.EPERM where hugetlb:
            guard let process = input.process else { return .notApplicable("process not read") }
            if process.hasCapability(Capability.ipcLock) { return .within("CAP_IPC_LOCK allows SHM_HUGETLB") }
            if process.gids.contains(shm.hugetlbShmGroup) {
                return .within("in group vm.hugetlb_shm_group \(shm.hugetlbShmGroup)")
            }
            return .exceeded(Finding(
                cause: cause, certainty: .confirmed,
                values: [EvidenceValue("hugetlb_shm_group", shm.hugetlbShmGroup), EvidenceValue("cap_ipc_lock", 0)],
                sentence: "vm.hugetlb_shm_group [\(shm.hugetlbShmGroup)] does not include the process "
                    + "(groups \(process.gids.map(String.init).joined(separator: ","))) and it lacks CAP_IPC_LOCK",
                fix: [FixCommand(.runtime, "sysctl -w vm.hugetlb_shm_group=\(process.gids.first ?? 0)",
                                 note: "a group the process is in; or add its user to group \(shm.hugetlbShmGroup)"),
                      FixText.persistentSysctl("vm.hugetlb_shm_group", String(process.gids.first ?? 0),
                                               setBy: input.snapshot.sysctlFile(for: "vm.hugetlb_shm_group")),
                      FixCommand(.alternative, "grant CAP_IPC_LOCK (systemd: AmbientCapabilities=CAP_IPC_LOCK)")]))
        case ErrorNumber.EINVAL where size > shm.shmmax:
            return .exceeded(Finding(
                cause: cause, certainty: .confirmed,
                values: [EvidenceValue("size", Quantity.int(size)), EvidenceValue("shmmax", Quantity.int(shm.shmmax))],
                sentence: "kernel.shmmax [\(shm.shmmax)] is too low: shmget asked for \(size) bytes",
                fix: FixText.sysctl("kernel.shmmax", String(size), setBy: input.snapshot.sysctlFile(for: "kernel.shmmax"))))
        case ErrorNumber.ENOSPC:
            return .exceeded(Finding(
                cause: cause, certainty: .likely,
                values: [EvidenceValue("shmall_pages", Quantity.int(shm.shmall)), EvidenceValue("shmmni", shm.shmmni)],
                sentence: "kernel.shmall [\(shm.shmall) pages] or kernel.shmmni [\(shm.shmmni) segments] is used up",
                details: ["ipcs -m lists the segments that hold them"],
                fix: [FixCommand(.runtime, "sysctl -w kernel.shmmni=\(shm.shmmni * 2)"),
                      FixCommand(.runtime, "sysctl -w kernel.shmall=\(shm.shmall.multipliedReportingOverflow(by: 2).overflow ? shm.shmall : shm.shmall * 2)")]))
        default:
            return .within("shmget \(ErrorNumber.name(request.errno)): size \(size) ≤ shmmax \(shm.shmmax)"
                           + (hugetlb ? "" : ", no SHM_HUGETLB"))
        }
    }
}
