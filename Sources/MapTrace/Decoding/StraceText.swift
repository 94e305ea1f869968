import CMapTrace
import Glibc

// The pieces of strace's notation shared by every decoder.

@inline(__always) func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

/// An address argument: NULL for 0, hex otherwise.
@inline(__always) func pointer(_ value: UInt64) -> String { value == 0 ? "NULL" : hex(value) }

/// A file mode or permission as strace prints it: 0600, or 0 alone.
func octal(_ value: UInt64) -> String { value == 0 ? "000" : "0" + String(value, radix: 8) }

/// An fd argument, signed, decorated with its path as `strace -y` does: `16</dev/hugepages/rtemap_3>`.
func fdText(_ value: UInt64, path: String?) -> String {
    let fd = Int32(truncatingIfNeeded: value)
    let number = fd == -100 ? "AT_FDCWD" : String(fd)
    guard let path, fd >= 0 || fd == -100 else { return number }
    return number + decoration(path)
}

/// `</path>`, with a deleted file's " (deleted)" moved outside the brackets as strace prints it.
func decoration(_ path: String) -> String {
    let suffix = " (deleted)"
    if path.hasSuffix(suffix) { return "<" + path.dropLast(suffix.count) + ">(deleted)" }
    return "<" + path + ">"
}

/// A C string in double quotes with strace's escapes; nil (unreadable memory) prints the address.
func quoted(_ bytes: String?, address: UInt64) -> String {
    guard let bytes else { return hex(address) }
    var out = "\""
    let utf8 = Array(bytes.utf8)
    for (i, byte) in utf8.enumerated() {
        switch byte {
        case UInt8(ascii: "\""): out += "\\\""
        case UInt8(ascii: "\\"): out += "\\\\"
        case 0x0A: out += "\\n"
        case 0x09: out += "\\t"
        case 0x0D: out += "\\r"
        case 0x0B: out += "\\v"
        case 0x0C: out += "\\f"
        case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            // minimal octal digits, unless the next character is itself an octal digit
            let nextIsDigit = i + 1 < utf8.count && (0x30...0x37).contains(utf8[i + 1])
            let digits = String(byte, radix: 8)
            out += "\\" + (nextIsDigit ? String(repeating: "0", count: 3 - digits.count) + digits : digits)
        }
    }
    return out + "\""
}

/// The errno's symbolic name, e.g. ENOMEM.
public func errnoName(_ code: Int32) -> String {
    if let name = mt_errname(code) { return String(cString: name) }
    return "E\(code)"
}

/// The errno's message, e.g. "Cannot allocate memory".
public func errnoMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

/// The signal's name, e.g. SIGBUS.
public func signalName(_ signal: Int32) -> String {
    if let abbrev = mt_signame(signal) { return "SIG" + String(cString: abbrev) }
    return "SIG\(signal)"
}

/// strace puts " = " at column 40 when the call is shorter.
func joinResult(_ call: String, _ result: String) -> String {
    let width = call.utf8.count
    return width < 39 ? call + String(repeating: " ", count: 39 - width) + " = " + result : call + " = " + result
}
