import Foundation

/// A test's own pool of huge pages of one size, set through
/// `/sys/kernel/mm/hugepages/hugepages-<kB>kB/nr_hugepages` and put back afterwards.
///
/// Pages still held by files on a hugetlbfs mount do not stop the restore: the kernel turns
/// them into surplus pages and frees them when the files go (mm/hugetlb.c,
/// set_max_huge_pages), so unmount and restore may happen in either order.
final class HugePagePool {
    /// The page size in kB (2048 or 1048576 on x86_64).
    let sizeKB: Int
    /// The number of pages the pool holds now.
    let pages: Int
    private let setting: SystemSetting

    private init(sizeKB: Int, pages: Int, setting: SystemSetting) {
        self.sizeKB = sizeKB
        self.pages = pages
        self.setting = setting
    }

    deinit { restore() }

    /// Sets the pool of `sizeKB` pages to exactly `pages` pages.
    ///
    /// - Throws: when the file cannot be written, or when the kernel could allocate fewer than
    ///   `pages` (the old value is then restored before throwing).
    static func reserve(pages: Int, sizeKB: Int = 2048) throws -> HugePagePool {
        let setting = try SystemSetting(directory(sizeKB) + "/nr_hugepages")
        var got = 0
        // A fragmented machine may give fewer pages on one try and more on the next, as the
        // kernel compacts memory in between; three tries is what hugeadm users do by hand.
        for _ in 0..<3 {
            got = Int(try setting.write(String(pages))) ?? 0
            if got >= pages { break }
        }
        guard got >= pages else {
            setting.restore()
            throw FixtureError.notApplied(path: setting.path, wanted: String(pages), got: String(got))
        }
        return HugePagePool(sizeKB: sizeKB, pages: got, setting: setting)
    }

    /// Pages of this size not in use (free_hugepages, which still counts reserved ones).
    var freePages: Int { HugePagePool.counter("free_hugepages", sizeKB: sizeKB) }

    /// Pages of this size promised to mappings but not yet faulted in (resv_hugepages).
    var reservedPages: Int { HugePagePool.counter("resv_hugepages", sizeKB: sizeKB) }

    /// Puts back the pool size found before ``reserve(pages:sizeKB:)``. Idempotent.
    func restore() { setting.restore() }

    /// Whether this kernel has a pool of `sizeKB` pages at all.
    static func isSupported(sizeKB: Int) -> Bool {
        access(directory(sizeKB), F_OK) == 0
    }

    private static func directory(_ sizeKB: Int) -> String {
        "/sys/kernel/mm/hugepages/hugepages-\(sizeKB)kB"
    }

    private static func counter(_ name: String, sizeKB: Int) -> Int {
        (try? SystemSetting.read(directory(sizeKB) + "/" + name)).flatMap { Int($0) } ?? 0
    }
}
