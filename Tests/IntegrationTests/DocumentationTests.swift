import Foundation
import Testing

/// The man page documents what exists, and renders cleanly.
@Suite("Documentation")
struct DocumentationTests {
    let maptrace = Fixture.binary("maptrace")
    let manPage = Fixture.packageRoot + "/man/maptrace.1"

    @Test("man/maptrace.1 renders with groff -ww without a warning")
    func rendersCleanly() {
        let result = Fixture.run(["groff", "-ww", "-z", "-man", manPage])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test("every option of every subcommand's --help is in the man page", arguments: ["trace", "report", "replay", "check"])
    func optionsDocumented(subcommand: String) throws {
        let help = Fixture.run([maptrace, "help", subcommand])
        #expect(help.status == 0)
        // the page escapes hyphens as \-
        let page = try Fixture.readFile(manPage).replacingOccurrences(of: "\\-", with: "-")
        let options = Set(help.stdout.matches(of: #/--[a-z][a-z-]+/#).map { String($0.output) })
            .subtracting(["--help", "--version"])
        #expect(!options.isEmpty)
        for option in options.sorted() {
            #expect(page.contains(option), "\(option) of `maptrace \(subcommand)` is missing from the man page")
        }
    }

    @Test("every cause id is in the man page")
    func causesDocumented() throws {
        let page = try Fixture.readFile(manPage).replacingOccurrences(of: "\\-", with: "-")
        for cause in ["max_map_count", "rlimit_as", "rlimit_data", "overcommit", "rlimit_memlock", "hugepage_pool",
                      "hugepage_node", "hugetlbfs_size", "hugetlbfs_inodes", "hugetlb_cgroup", "hugetlb_fault",
                      "shm_hugetlb", "hugepage_alignment", "address_space", "bad_range", "kernel_memory", "sealed", "unknown"] {
            #expect(page.contains(".B \(cause)\n"), "cause \(cause)")
        }
    }
}
