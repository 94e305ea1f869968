// mmap, munmap, mremap, mprotect, pkey_mprotect, brk, madvise, mseal — the calls that shape the address space.

func renderMemoryArguments(_ call: CallRecord) -> String {
    let a = call.args
    switch call.syscall {
    case .mmap:
        let offset = a[5] == 0 ? "0" : hex(a[5])
        return "\(pointer(a[0])), \(a[1]), \(protFlags.render(a[2], zero: "PROT_NONE")), "
            + "\(renderMapFlags(a[3])), \(fdText(a[4], path: call.fdPath)), \(offset)"
    case .munmap:
        return "\(pointer(a[0])), \(a[1])"
    case .mremap:
        var text = "\(pointer(a[0])), \(a[1]), \(a[2]), \(mremapFlags.render(a[3]))"
        if a[3] & 0x2 != 0 { text += ", " + pointer(a[4]) }
        return text
    case .mprotect:
        return "\(pointer(a[0])), \(a[1]), \(protFlags.render(a[2], zero: "PROT_NONE"))"
    case .pkey_mprotect:
        return "\(pointer(a[0])), \(a[1]), \(protFlags.render(a[2], zero: "PROT_NONE")), \(Int32(truncatingIfNeeded: a[3]))"
    case .mseal:
        return "\(pointer(a[0])), \(a[1]), \(a[2])"
    case .brk:
        return pointer(a[0])
    case .madvise:
        return "\(pointer(a[0])), \(a[1]), \(madviseAdvice.name(of: a[2]) ?? "0x" + String(a[2], radix: 16) + " /* MADV_??? */")"
    default:
        return ""
    }
}
