import Foundation
import Testing

/// The install and the .deb's dependencies, as far as they can be checked without a release
/// build (CI builds the .deb, unpacks it into an empty tree and runs maptrace from there).
@Suite("Packaging")
struct PackagingTests {
    let script = Fixture.packageRoot + "/packaging/deb-depends.sh"

    @Test("Depends: comes from the packages owning the libraries a binary links, with their versions")
    func dependsOfASystemBinary() throws {
        let result = Fixture.run([script, "/usr/bin/strace"])
        #expect(result.status == 0, "\(result)")
        let packages = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: ", ")
        #expect(packages.contains { $0.hasPrefix("libc6 (>= ") }, "\(packages)")
        #expect(packages.contains { $0.hasPrefix("libunwind8 (>= ") }, "strace links libunwind: \(packages)")
        #expect(packages.allSatisfy { $0.wholeMatch(of: #/[a-z0-9.+-]+ \(>= [^)]+\)/#) != nil }, "\(packages)")
    }

    @Test("a binary that links the Swift toolchain's libraries cannot be packaged: the script names the library")
    func toolchainLibrariesRefused() {
        let result = Fixture.run([script, Fixture.binary("maptrace")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no Debian package owns /opt/swift/") || result.stderr.contains("no Debian package owns"), "\(result)")
    }

    @Test("make install puts the binary, the man page and three completions under DESTDIR/PREFIX")
    func installLayout() {
        let result = Fixture.run(["make", "-C", Fixture.packageRoot, "-n", "install", "PREFIX=/opt/mt", "DESTDIR=/staging"])
        #expect(result.status == 0, "\(result)")
        for path in ["/staging/opt/mt/bin/maptrace", "/staging/opt/mt/share/man/man1/maptrace.1",
                     "/staging/opt/mt/share/bash-completion/completions/maptrace", "/staging/opt/mt/share/zsh/site-functions/_maptrace",
                     "/staging/opt/mt/share/fish/vendor_completions.d/maptrace.fish"] {
            #expect(result.stdout.contains(path), "\(path) missing from:\n\(result.stdout)")
        }
        #expect(result.stdout.contains("--static-swift-stdlib"))
        let defaults = Fixture.run(["make", "-C", Fixture.packageRoot, "-n", "install"])
        #expect(defaults.stdout.contains("/usr/local/bin/maptrace"), "PREFIX defaults to /usr/local")
    }

    @Test("the completion scripts offer --on-enomem's values at the top level, where it is typed", arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) {
        let result = Fixture.run([Fixture.binary("maptrace"), "--generate-completion-script", shell])
        #expect(result.status == 0 && result.stdout.contains("on-enomem"))
        #expect(result.stdout.contains("continue") && result.stdout.contains("hold"), "\(shell)")
        if shell == "fish" {
            #expect(result.stdout.contains(#"__maptrace_should_offer_completions_for_flags_or_options "maptrace" on-enomem"#))
        }
    }

    @Test("bash: `maptrace --on-enomem <TAB>` offers continue, kill and hold, not the subcommands")
    func bashCompletesValues() throws {
        let dir = try Fixture.makeTemporaryDirectory(prefix: "maptrace-completion")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/maptrace.bash"
        try Fixture.run([Fixture.binary("maptrace"), "--generate-completion-script", "bash"]).stdout
            .write(toFile: script, atomically: true, encoding: .utf8)
        let probe = """
            source /usr/share/bash-completion/bash_completion 2>/dev/null
            source \(script)
            COMP_WORDS=(maptrace --on-enomem ''); COMP_CWORD=2; COMP_LINE='maptrace --on-enomem '; COMP_POINT=${#COMP_LINE}
            _maptrace maptrace '' --on-enomem
            echo "${COMPREPLY[@]}"
            """
        let result = Fixture.run(["bash", "-c", probe])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "continue kill hold", "\(result)")
    }
}
