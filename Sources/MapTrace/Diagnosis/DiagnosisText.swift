/// The block maptrace prints when a memory call fails: what failed, why, the numbers, what was
/// ruled out, and commands to paste.
public enum DiagnosisText {
    static let labelWidth = 12
    static let lineWidth = 110

    public static func render(_ diagnosis: Diagnosis) -> String {
        let failure = diagnosis.failure
        let who = "pid \(diagnosis.pid)" + (diagnosis.comm.map { " (\($0))" } ?? "")
            + (diagnosis.tid != diagnosis.pid ? ", thread \(diagnosis.tid)" : "")
        var lines: [String] = []
        switch failure {
        case .exit:
            lines.append("maptrace: \(who) gave up without a failing memory call")
        case .fault(let fault):
            lines.append("maptrace: \(fault.signal.name) at 0x\(String(fault.address, radix: 16)) in \(who)")
        case .call(let call):
            lines.append("maptrace: \(call.syscall.name) failed with \(ErrorNumber.name(call.errno)) in \(who)")
        }
        var block = Block()
        if !failure.text.isEmpty { block.add("call", failure.text) }
        if let stack = failure.call?.stack, !stack.isEmpty { block.add("from", words(stack.joined(separator: " ← "))) }
        block.add("cause", "\(diagnosis.cause.rawValue) (\(diagnosis.certainty.rawValue))")
        block.add("evidence", words(diagnosis.evidence.sentence))
        if let setBy = diagnosis.setBy { block.more("set by \(setBy)") }
        diagnosis.evidence.details.forEach { block.add("", words($0)) }
        if let pattern = diagnosis.pattern { block.add("pattern", words(pattern)) }
        if !diagnosis.alsoExceeded.isEmpty {
            block.add("also", diagnosis.alsoExceeded.flatMap { words("\($0.cause.rawValue): \($0.sentence)") })
            block.more("(the kernel checks these after \(diagnosis.cause.rawValue): they fail next)")
        }
        let checked = diagnosis.ruledOut.filter(\.applicable)
        if !checked.isEmpty {
            block.add("ruled out", wrap(checked.map { "\($0.cause.rawValue) (\($0.reason))" }))
        }
        if let unchecked = diagnosis.notChecked, !unchecked.isEmpty {
            block.add("not checked", wrap(unchecked.map { "\($0.cause.rawValue) (\($0.reason))" }))
        }
        if !diagnosis.fix.isEmpty {
            block.add("fix", diagnosis.fix.enumerated().flatMap { fixLines($1, first: $0 == 0) })
        }
        return (lines + block.lines).joined(separator: "\n")
    }

    /// A command with its kind and note as a shell comment; alternatives start with "or:",
    /// except at the head of the list, where there is nothing before them to be an "or" to.
    static func fixLines(_ fix: FixCommand, first: Bool = false) -> [String] {
        let command = fix.kind == .alternative && !first ? "or: " + fix.command : fix.command
        let comment = fix.kind == .alternative ? fix.note.map { "# " + $0 } : "# \(fix.kind.rawValue)" + (fix.note.map { ": " + $0 } ?? "")
        guard let comment else { return [command] }
        if command.count + comment.count + 3 + labelWidth + 2 <= lineWidth { return [command + "   " + comment] }
        return [command, "  " + comment]
    }

    /// Prose broken at spaces into lines that fit the width (commands are never broken: they
    /// must stay pasteable).
    static func words(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count + labelWidth + 2 > lineWidth {
                lines.append(current)
                current = "  " + word
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Items joined with "; " into lines that fit the width.
    static func wrap(_ items: [String]) -> [String] {
        var lines: [String] = []
        var current = ""
        for item in items {
            let piece = current.isEmpty ? item : current + "; " + item
            if piece.count + labelWidth + 2 > lineWidth, !current.isEmpty {
                lines.append(current + ";")
                current = item
            } else {
                current = piece
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Labelled lines with continuation lines aligned under the first.
    struct Block {
        var lines: [String] = []

        mutating func add(_ label: String, _ text: String) { add(label, [text]) }

        mutating func add(_ label: String, _ texts: [String]) {
            for (index, text) in texts.enumerated() {
                let head = index == 0 && !label.isEmpty ? label + ":" : ""
                lines.append("  " + head.padding(to: DiagnosisText.labelWidth) + text)
            }
        }

        mutating func more(_ text: String) { add("", [text]) }
    }
}

extension String {
    /// The string padded with spaces to `width` (never cut).
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
