import Foundation
import Testing
@testable import MapTrace

@Test("probe") func probe() throws {
    print("mapped", HugetlbfsScan.mappedPaths(under: ["/tmp/l2h"]).count)
    let s = Snapshot.readSystem()
    print("stale", s.staleFiles.count, s.mounts.map { ($0.mountPoint, $0.fileCount, $0.allocatedBytes, $0.statfs as Any) })
}
