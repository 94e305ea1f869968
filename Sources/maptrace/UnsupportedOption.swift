/// strace's options that maptrace does not take, and why: the one line a user gets for them.
enum UnsupportedOption {
    static let reasons: [String: String] = [
        "-a": "maptrace puts the result at strace's default column",
        "-A": "-o truncates its file; append with -o '|cat >>FILE'",
        "-b": "maptrace follows across execve always",
        "-D": "maptrace must be the command's parent (it launches it seized, with a seccomp filter)",
        "-DD": "maptrace must be the command's parent",
        "-d": "maptrace has no debug output",
        "-E": "set the variable in the command instead: -- env VAR=VAL COMMAND",
        "-F": "obsolete in strace too; -f is always on",
        "-i": "maptrace prints no instruction pointer; -k prints the caller's stack",
        "-I": "maptrace blocks no signals of its own choosing",
        "-n": "maptrace prints no syscall numbers",
        "-O": "maptrace measures the time between the entry and the exit stop (-T, -c)",
        "-P": "maptrace selects by call (-e trace=) not by path; hugetlbfs paths are printed by default",
        "-S": "maptrace's -c table is sorted by time",
        "-U": "maptrace's -c table has a fixed set of columns",
        "-u": "run maptrace as the user instead (it needs the right to ptrace the command)",
        "-v": "maptrace prints every flag in full",
        "-x": "maptrace prints strings with strace's default escapes",
        "-xx": "maptrace prints strings with strace's default escapes",
        "-X": "maptrace prints flags symbolically",
        "-Y": "maptrace prints pids only; the summary names each process's command",
        "--tips": "see man maptrace",
        "-h": "",
    ]

    /// `unknown option -X; see maptrace --help`, or why maptrace does not take strace's -X.
    static func message(for option: String) -> String {
        let name = option.hasPrefix("--") ? String(option.prefix(while: { $0 != "=" })) : String(option.prefix(2))
        if let reason = reasons[option] ?? reasons[name], !reason.isEmpty {
            return "strace's \(name) is not supported: \(reason)"
        }
        return "unknown option \(name); see maptrace --help"
    }
}

/// The subcommand names, for "did you mean" when a mistyped one is taken for a command.
enum Subcommands {
    static let names = ["report", "replay", "check", "trace", "help"]

    static func closest(to word: String) -> String? {
        let scored = names.map { ($0, distance(word.lowercased(), $0)) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Damerau-Levenshtein distance (a swap of two neighbours counts one: reprot → report).
    static func distance(_ a: String, _ b: String) -> Int {
        let s = Array(a), t = Array(b)
        if s.isEmpty || t.isEmpty { return max(s.count, t.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: t.count + 1), count: s.count + 1)
        for i in 0...s.count { d[i][0] = i }
        for j in 0...t.count { d[0][j] = j }
        for i in 1...s.count {
            for j in 1...t.count {
                let cost = s[i - 1] == t[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && s[i - 1] == t[j - 2] && s[i - 2] == t[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[s.count][t.count]
    }
}
