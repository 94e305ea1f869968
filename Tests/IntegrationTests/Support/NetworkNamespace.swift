import Foundation

/// A network namespace made with ip-netns(8) for one test, deleted (with every interface in
/// it) by ``delete()`` or when the object goes away. The host's interfaces are not touched.
final class NetworkNamespace {
    let name: String
    private var exists: Bool

    /// Creates the namespace `name` (it must not exist yet).
    init(name: String) throws {
        self.name = name
        let result = Fixture.run(["ip", "netns", "add", name], timeout: 30)
        guard result.status == 0 else { throw NetworkNamespaceError(command: "ip netns add \(name)", result: result) }
        exists = true
    }

    deinit { delete() }

    /// `argv` prefixed so that it runs inside the namespace.
    func command(_ argv: [String]) -> [String] {
        ["ip", "netns", "exec", name] + argv
    }

    /// Runs `argv` inside the namespace; throws unless it exits 0.
    @discardableResult
    func run(_ argv: [String]) throws -> ProcessResult {
        let result = Fixture.run(command(argv), timeout: 30)
        guard result.status == 0 else { throw NetworkNamespaceError(command: argv.joined(separator: " "), result: result) }
        return result
    }

    /// Deletes the namespace. Idempotent; a failure is printed.
    func delete() {
        guard exists else { return }
        let result = Fixture.run(["ip", "netns", "delete", name], timeout: 30)
        if result.status == 0 {
            exists = false
        } else {
            FileHandle.standardError.write(Data("warning: cannot delete network namespace \(name): \(result.stderr)".utf8))
        }
    }
}

struct NetworkNamespaceError: Error, CustomStringConvertible {
    let command: String
    let result: ProcessResult
    var description: String { "\(command) failed: \(result)" }
}
