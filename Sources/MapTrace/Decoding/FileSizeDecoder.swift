// fallocate, ftruncate, memfd_create — the calls that size a hugetlbfs file or make one.

func renderFileSizeArguments(_ call: CallRecord) -> String {
    let a = call.args
    switch call.syscall {
    case .fallocate:
        return "\(fdText(a[0], path: call.fdPath)), \(fallocateModes.render(a[1])), \(Int64(bitPattern: a[2])), \(Int64(bitPattern: a[3]))"
    case .ftruncate:
        return "\(fdText(a[0], path: call.fdPath)), \(Int64(bitPattern: a[1]))"
    case .memfd_create:
        return "\(quoted(call.string, address: a[0])), \(renderMemfdFlags(a[1]))"
    default:
        return ""
    }
}
