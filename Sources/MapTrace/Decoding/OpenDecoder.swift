// open, openat, openat2, creat — the calls that name a file on hugetlbfs.

func renderOpenArguments(_ call: CallRecord) -> String {
    let a = call.args
    switch call.syscall {
    case .open:
        return "\(quoted(call.string, address: a[0])), \(renderOpenFlags(a[1]))" + modeSuffix(flags: a[1], mode: a[2])
    case .creat:
        return "\(quoted(call.string, address: a[0])), \(octal(a[1] & 0o7777))"
    case .openat:
        return "\(fdText(a[0], path: call.dirfdPath)), \(quoted(call.string, address: a[1])), \(renderOpenFlags(a[2]))"
            + modeSuffix(flags: a[2], mode: a[3])
    case .openat2:
        let how: String
        if let h = call.openHow {
            var fields = "flags=\(renderOpenFlags(h.flags))"
            if h.flags & openCreatFlag != 0 || h.flags & openTmpfileFlag == openTmpfileFlag {
                fields += ", mode=\(octal(h.mode & 0o7777))"
            }
            fields += ", resolve=\(resolveFlags.render(h.resolve))"
            how = "{\(fields)}"
        } else {
            how = hex(a[2])
        }
        return "\(fdText(a[0], path: call.dirfdPath)), \(quoted(call.string, address: a[1])), \(how), \(a[3])"
    default:
        return ""
    }
}

/// The mode argument is printed only when the flags make the kernel read it.
private func modeSuffix(flags: UInt64, mode: UInt64) -> String {
    guard flags & openCreatFlag != 0 || flags & openTmpfileFlag == openTmpfileFlag else { return "" }
    return ", " + octal(mode & 0o7777)
}
