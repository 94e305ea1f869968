// A call's text from its argument list to the end of the line:
//   `NULL, 4096, PROT_READ, MAP_SHARED, 3</dev/hugepages/rtemap_0>, 0) = -1 ENOMEM (Cannot allocate memory) (INJECTED) <0.000012> maps=3096/3096`
// The same function reads a whole line and a resumed call glued back together.

enum StraceLogCallText {
    /// Parses the call `name` whose argument list starts at `argumentsStart` (just after its `(`).
    static func parse(name: String, bytes: [UInt8], argumentsStart: Int) -> StraceLineBody {
        var bytes = bytes
        var scanner = StraceLogScanner(bytes)
        var scan = scanner.scanArguments(from: argumentsStart)
        var marked = false
        var resumesIn: Int32?
        // `<unfinished ...>` ends a first half; in `futex(… <unfinished ...>) = ?` (a thread that
        // died in the call) it sits before the `)`. Either way it is not part of an argument.
        while let mark = scan.unfinishedMark {
            if let pid = markedPid(bytes[mark]) { resumesIn = pid }
            var lower = mark.lowerBound
            if lower > argumentsStart && bytes[lower - 1] == StraceByte.space { lower -= 1 }
            bytes.removeSubrange(lower..<mark.upperBound)
            scanner = StraceLogScanner(bytes)
            scan = scanner.scanArguments(from: argumentsStart)
            marked = true
        }
        guard let close = scan.close else {
            if marked { return .unfinished(name: name, argumentText: Array(bytes[argumentsStart...]), resumesIn: resumesIn) }
            return .malformed("the line ends inside the argument list of \(name) (truncated?)")
        }
        var call = StraceCall(name: name)
        call.arguments = arguments(scanner, scan)
        guard readResult(scanner, after: close, into: &call) else {
            if marked { return .unfinished(name: name, argumentText: Array(bytes[argumentsStart...]), resumesIn: resumesIn) }
            return .malformed("\(name)(…) has no ' = result' (truncated?)")
        }
        return .call(call)
    }

    /// N in `<pid changed to N ...>`.
    static func markedPid(_ mark: ArraySlice<UInt8>) -> Int32? {
        let digits = mark.filter(StraceByte.isDigit)
        guard !digits.isEmpty, let pid = StraceLogLine.number(Array(digits), 0..<digits.count),
              pid <= StraceLogLine.pidMaxLimit else { return nil }
        return Int32(pid)
    }

    /// The trimmed top-level arguments; `()` has none.
    static func arguments(_ scanner: StraceLogScanner, _ scan: StraceArgumentScan) -> [String] {
        let ranges = scan.arguments.map { scanner.trimmed($0) }
        if ranges.count == 1 && ranges[0].isEmpty { return [] }
        return ranges.map { scanner.text($0) }
    }

    /// Reads ` = result [ERRNO (message)] [(INJECTED)] [<duration>] [maps=N/M]` after the `)` at `close`.
    /// False when there is no `=`.
    static func readResult(_ scanner: StraceLogScanner, after close: Int, into call: inout StraceCall) -> Bool {
        let bytes = scanner.bytes
        let end = bytes.count
        var i = StraceLogLine.skipBlanks(bytes, from: close + 1)
        guard i < end, bytes[i] == StraceByte.equals else { return false }
        i = StraceLogLine.skipBlanks(bytes, from: i + 1)
        guard i < end else { return false }
        let resultEnd = scanner.tokenEnd(from: i)
        let result = scanner.text(i..<resultEnd)
        call.result = result
        call.resultFdPath = StraceLogValues.fdPath(result)
        i = resultEnd
        var first = true
        while true {
            i = StraceLogLine.skipBlanks(bytes, from: i)
            guard i < end else { break }
            let b = bytes[i]
            if b == StraceByte.openParen {
                let groupEnd = scanner.groupEnd(from: i)
                let inner = scanner.text((i + 1)..<max(i + 1, groupEnd - 1))
                if inner == "INJECTED" { call.injected = true }
                i = groupEnd
            } else if b == StraceByte.less {
                // `-T` duration `<0.000123>`; `<unavailable>`, `<detached ...>` say nothing we keep
                var j = i + 1
                while j < end && bytes[j] != StraceByte.greater { j += 1 }
                if let seconds = Double(scanner.text((i + 1)..<j)) { call.duration = seconds }
                i = min(end, j + 1)
            } else {
                let tokenEnd = scanner.tokenEnd(from: i)
                let token = scanner.text(i..<tokenEnd)
                if first && isErrnoName(token) {
                    call.errnoName = token
                } else if token.hasPrefix("maps=") {
                    readMaps(token.dropFirst(5), into: &call)
                }
                i = tokenEnd
            }
            first = false
        }
        return true
    }

    /// ENOMEM, EAGAIN, ERESTARTSYS, ERESTART_RESTARTBLOCK: an E and capitals, digits, underscores.
    static func isErrnoName(_ token: String) -> Bool {
        let utf8 = Array(token.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "E") else { return false }
        return utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || StraceByte.isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// maptrace's ` maps=N/M` annotation: the process's mapping count after the call, and the limit.
    static func readMaps(_ text: Substring, into call: inout StraceCall) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard let count = parts.first.flatMap({ Int($0) }) else { return }
        call.mapCount = count
        if parts.count > 1 { call.mapCountLimit = Int(parts[1]) }
    }
}
