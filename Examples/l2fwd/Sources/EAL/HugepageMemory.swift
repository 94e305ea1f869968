import Glibc

/// The process's packet memory: huge page files it created on hugetlbfs and its mappings of
/// them, laid out the way a DPDK EAL does it.
///
/// The calls are exactly the classic ones, so a tracer sees the classic pattern: each file is
/// created with `open(path, O_CREAT|O_RDWR, 0600)` (glibc issues openat) and mapped with
/// `mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, fd, 0)`.
final class HugepageMemory {
    /// One mapping of one file.
    struct Mapping {
        let address: UnsafeMutableRawPointer
        let length: Int
    }

    let directory: HugepageDirectory
    private let filePrefix: String
    /// The mappings kept, in file order.
    private(set) var mappings: [Mapping] = []
    /// Files created and not yet deleted, whether or not their mapping succeeded.
    private var files: [String] = []

    private init(directory: HugepageDirectory, filePrefix: String) {
        self.directory = directory
        self.filePrefix = filePrefix
    }

    /// Total bytes kept.
    var size: Int { mappings.reduce(0) { $0 + $1.length } }

    /// Sets up the memory for `options`; on a failed open or mmap it panics as DPDK 16.04's
    /// rte_eal_init() did (the process aborts).
    static func initialize(_ options: EALOptions) throws -> HugepageMemory {
        let directory = try HugepageDirectory.find(requested: options.hugeDir)
        let memory = HugepageMemory(directory: directory, filePrefix: options.filePrefix)
        let free = directory.freePages()
        let requested = options.memoryMB.map { ($0 << 20 + directory.pageSize - 1) / directory.pageSize }
        switch options.memoryMode {
        case .allPages:
            // 16.04 maps every free page before it looks at -m (docs/causes.md, max_map_count).
            if free == 0 {
                Console.error("EAL: No free hugepages reported in hugepages-\(directory.pageSize >> 10)kB")
            }
            memory.mapPages(count: free)
            let wanted = requested ?? max(free, 1)
            if wanted > memory.mappings.count {
                Console.error(
                    "EAL: Not enough memory available! Requested: \(wanted * directory.pageSize >> 20)MB,"
                        + " available: \(memory.size >> 20)MB")
                memory.panic()
            }
            memory.keepFirst(wanted, requestedMB: options.memoryMB)
        case .onDemand:
            // No pre-check against the free count: the mmap itself meets whatever limit there is.
            memory.mapPages(count: requested ?? max(free, 1))
        case .singleFile:
            memory.mapSegment(pages: requested ?? max(free, 1))
        case .checked:
            // The modern EAL's pre-check: the pool's free − reserved pages against -m, before any
            // file is made; short, rte_eal_init fails and the application exits with 1.
            // The mount's size= limits it too: statfs tells what is left of it.
            let available = min(free, directory.mountFreePages() ?? free)
            let wanted = requested ?? max(available, 1)
            if wanted > available {
                Console.error(
                    "EAL: Not enough memory available! Requested: \(wanted * directory.pageSize >> 20)MB,"
                        + " available: \(available * directory.pageSize >> 20)MB")
                Console.error("EAL: FATAL: Cannot init memory")
                Console.error("EAL: Cannot init memory")
                exit(1)
            }
            memory.mapPages(count: wanted)
        }
        return memory
    }

    /// Unmaps everything and deletes the files. Idempotent.
    /// - Returns: how many mappings were unmapped and files deleted.
    @discardableResult
    func release() -> (mappings: Int, files: Int) {
        for mapping in mappings { munmap(mapping.address, mapping.length) }
        let removed = files.filter { unlink($0) == 0 }.count
        defer {
            mappings = []
            files = []
        }
        return (mappings.count, removed)
    }

    // MARK: - The three layouts

    private func mapPages(count: Int) {
        for index in 0..<count {
            mapFile(index: index, length: directory.pageSize)
        }
        let total = mappings.count * directory.pageSize
        Console.info(
            "EAL: Mapped \(mappings.count) hugepages of \(directory.pageSizeText) (\(total >> 20) MB) from \(directory.path)")
    }

    private func mapSegment(pages: Int) {
        mapFile(index: 0, length: pages * directory.pageSize)
        Console.info(
            "EAL: Mapped \(pages) hugepages of \(directory.pageSizeText) (\(size >> 20) MB) as one segment from \(directory.path)")
    }

    /// Creates `<prefix>map_<index>` and maps `length` bytes of it, or panics.
    private func mapFile(index: Int, length: Int) {
        let path = "\(directory.path)/\(filePrefix)map_\(index)"
        let fd = open(path, O_CREAT | O_RDWR, 0o600)
        guard fd >= 0 else { failMapping(call: "open", errno: errno) }
        files.append(path)
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0)
        let mmapErrno = errno
        close(fd)  // the mapping keeps the file; the descriptor is no longer needed
        guard let address, address != MAP_FAILED else { failMapping(call: "mmap", errno: mmapErrno) }
        mappings.append(Mapping(address: address, length: length))
    }

    /// Drops every page after the first `count`: unmapped and its file deleted, which returns
    /// the page to the pool.
    private func keepFirst(_ count: Int, requestedMB: Int?) {
        for mapping in mappings[count...] { munmap(mapping.address, mapping.length) }
        for path in files[count...] { unlink(path) }
        mappings.removeSubrange(count...)
        files.removeSubrange(count...)
        let limit = requestedMB.map { "-m \($0)" } ?? "no -m"
        Console.info("EAL: Kept \(count) hugepages (\(size >> 20) MB) for \(limit)")
    }

    // MARK: - Failure, DPDK 16.04 style

    private func failMapping(call: String, errno code: Int32) -> Never {
        Console.error("EAL: map_all_hugepages(): \(call) failed: \(Console.describe(errno: code))")
        Console.error("EAL: Failed to mmap \(directory.pageSizeText) hugepages")
        panic()
    }

    /// rte_panic("Cannot init memory"): the lines, then abort() and its SIGABRT.
    ///
    /// DPDK 16.04 left its rtemap files behind here, and each one keeps its huge page until it
    /// is deleted, so a crashed run starves the next. We delete them after printing the lines
    /// (a tracer stopped at the failing call has already seen them) so that demos and tests
    /// leave the pool as they found it.
    private func panic() -> Never {
        Console.error("PANIC in rte_eal_init():")
        Console.error("Cannot init memory")
        let removed = release().files
        if removed > 0 {
            Console.error("EAL: removed the \(removed) page file(s) of this run (DPDK 16.04 left them behind)")
        }
        // The Swift runtime's crash handler would print a long backtrace of abort() itself and
        // start a helper that ptrace-attaches, which fails under a tracer: die plainly instead.
        signal(SIGABRT, SIG_DFL)
        abort()
    }
}
