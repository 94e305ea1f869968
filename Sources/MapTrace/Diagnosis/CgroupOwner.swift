/// Who owns a cgroup, as its path shows it: the place a lasting change of its hugetlb limit
/// belongs, since the cgroup file itself is rewritten or lost when the owner restarts it.
enum CgroupOwner: Equatable {
    /// A systemd unit (system.slice/ovs-vswitchd.service, a .scope).
    case systemdUnit(String)
    /// A Kubernetes pod (kubepods…/pod<uid>/<container>, or kubepods-…-pod<uid>.slice).
    case kubernetesPod(uid: String)
    /// A Docker (or Podman) container (docker-<id>.scope, /docker/<id>, libpod-<id>.scope).
    case container(engine: String, id: String)

    init?(path: String) {
        let parts = path.split(separator: "/").map(String.init)
        if parts.contains(where: { $0.hasPrefix("kubepods") }) {
            for part in parts {
                var uid: String
                if part.hasPrefix("pod") {
                    uid = String(part.dropFirst(3))
                } else if let range = part.ranges(of: "-pod").last {
                    uid = String(part[range.upperBound...])
                } else {
                    continue
                }
                if uid.hasSuffix(".slice") { uid = String(uid.dropLast(6)).replacingUnderscores() }
                if uid.count >= 8 { self = .kubernetesPod(uid: uid); return }
            }
        }
        for part in parts.reversed() {
            for (prefix, engine) in [("docker-", "Docker"), ("libpod-", "Podman")] where part.hasPrefix(prefix) && part.hasSuffix(".scope") {
                self = .container(engine: engine, id: String(part.dropFirst(prefix.count).dropLast(6)))
                return
            }
        }
        if let index = parts.firstIndex(of: "docker"), index + 1 < parts.count, parts[index + 1].count >= 12 {
            self = .container(engine: "Docker", id: parts[index + 1])
            return
        }
        if let unit = parts.last(where: { $0.hasSuffix(".service") || $0.hasSuffix(".scope") }) {
            self = .systemdUnit(unit)
            return
        }
        return nil
    }

    /// Where a lasting limit goes. `bytes` nil: lift the limit.
    func persistentFix(sizeName: String, bytes: UInt64?) -> String {
        switch self {
        case .systemdUnit(let unit):
            return "\(unit): systemd has no unit setting for hugetlb limits, so it did not set this one; "
                + "whatever wrote the file (an ExecStartPre=, an agent) must change, else the cgroup file is the only handle"
        case .kubernetesPod(let uid):
            let value = bytes.map { Quantity.kubernetes($0) } ?? "a larger value"
            return "Kubernetes pod \(uid): set resources.limits.hugepages-\(Quantity.kubernetesPageSize(sizeName)): \(value) "
                + "(and requests equal to it) in the pod's spec; the kubelet rewrites this file"
        case .container(let engine, let id):
            return "\(engine) container \(id.prefix(12)): \(engine.lowercased()) run has no hugetlb option; "
                + "the limit came from the runtime spec (linux.resources.hugepageLimits) of whatever created it"
        }
    }
}

extension Quantity {
    /// "256Mi", "1Gi": a Kubernetes quantity.
    static func kubernetes(_ bytes: UInt64) -> String {
        if bytes % (1 << 30) == 0 { return "\(bytes >> 30)Gi" }
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20)Mi" }
        return "\((bytes + (1 << 20) - 1) >> 20)Mi"
    }

    /// "2MB" (hugetlb_cgroup's name) → "2Mi" (Kubernetes' resource name).
    static func kubernetesPageSize(_ sizeName: String) -> String {
        sizeName.replacing("MB", with: "Mi").replacing("GB", with: "Gi")
    }
}

private extension String {
    /// systemd escapes the pod uid's dashes as underscores in slice names.
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
