/// What most privileged tests start from: a huge page pool and a hugetlbfs mount of their own,
/// both given back by ``restore()`` (and when the object goes away), even when the test fails.
final class HugetlbStage {
    let pool: HugePagePool
    let mount: HugetlbfsMount

    /// Checks privileges first, so that under CI a missing one is one clear failure.
    init(pages: Int, options: String = "pagesize=2M") throws {
        try Fixture.requirePrivileges()
        pool = try HugePagePool.reserve(pages: pages)
        do {
            mount = try HugetlbfsMount(options: options)
        } catch {
            pool.restore()
            throw error
        }
    }

    deinit { restore() }

    /// Unmounts (deleting what was left on the mount) and puts the pool back. Idempotent.
    func restore() {
        mount.unmount()
        pool.restore()
    }
}
