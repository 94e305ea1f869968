import Foundation
import Testing
@testable import MapTrace

/// The map-count chart's geometry: an axis that fits the data, round ticks, both axis titles,
/// and labels that never overlap, whatever the run looks like.
@Suite("The map-count chart's layout")
struct ChartLayoutTests {
    /// A run that climbs to `peak` areas over `seconds`, failing at the end when asked.
    func layout(peak: Int, limit: Int, seconds: Double = 2, fails: Bool = true, hugetlbShare: Double = 0.9) -> ChartLayout {
        let n = 200
        let points = (0..<n).map { i in
            ChartLayout.Point(time: 1000 + seconds * Double(i) / Double(n - 1), count: 20 + (peak - 20) * i / (n - 1),
                              hugetlb: Int(Double((peak - 20) * i / (n - 1)) * hugetlbShare))
        }
        let failure = fails ? (time: points.last!.time, count: peak, cause: "max_map_count") : nil
        return ChartLayout(points: points, limit: limit, failure: failure, title: "memory map areas of pid 4242 (l2fwd)", start: 1000)
    }

    static let runs: [(peak: Int, limit: Int, fails: Bool)] = [
        (2115, 65530, false), (3096, 3096, true), (2115, 70772, true), (530, 530, true), (60, 65530, true),
        (29_000, 30_000, true), (3, 65530, true), (1500, 1501, true), (9_999, 10_000, false),
    ]

    @Test("the y axis fits the data: a limit far above is marked at the edge, not drawn to scale")
    func scaledToData() {
        let far = layout(peak: 2115, limit: 70772)
        #expect(!far.limitOnAxis && far.yMax < 3000 && far.yMax >= 2115)
        #expect(far.labels.contains { $0.text.hasPrefix("vm.max_map_count 70772") && $0.text.contains("not to scale") })
        let near = layout(peak: 3096, limit: 3096)
        #expect(near.limitOnAxis && near.yMax >= 3096 && near.yMax <= 4000)
        #expect(near.y(3096) > near.top, "the limit line is inside the plot")
    }

    @Test("ticks are round: 1, 2 or 5 times a power of ten, from 0 to the top of the axis", arguments: runs.map(\.peak))
    func roundTicks(peak: Int) {
        let l = layout(peak: peak, limit: 65530)
        let step = l.yTicks[1] - l.yTicks[0]
        let power = Int(pow10(Int(log10(Double(step)))))
        #expect([1, 2, 5, 10].contains(step / power) && step % power == 0, "step \(step)")
        #expect(l.yTicks.first == 0 && l.yTicks.last == l.yMax && l.yTicks.count <= 7)
        #expect(l.xTicks.count >= 3 && l.xTicks.count <= 7)
        #expect(ChartLayout.roundStep(0.37) == 0.5 && ChartLayout.roundStep(1400) == 2000 && ChartLayout.roundStep(100) == 100)
    }

    @Test("both axes have a title")
    func axisTitles() {
        let l = layout(peak: 3096, limit: 3096)
        #expect(l.labels.contains { $0.text == "seconds since the first traced call" && !$0.vertical })
        #expect(l.labels.contains { $0.text == "memory map areas" && $0.vertical })
    }

    @Test("no two labels overlap and every label is inside the picture", arguments: runs.indices)
    func noOverlap(run: Int) {
        let r = Self.runs[run]
        let l = layout(peak: r.peak, limit: r.limit, fails: r.fails)
        for (i, a) in l.labels.enumerated() {
            let b = a.box
            #expect(b.minX >= 0 && b.maxX <= l.width && b.minY >= 0 && b.maxY <= l.height, "\(a.text) leaves the picture")
            for other in l.labels[(i + 1)...] {
                #expect(!a.overlaps(other), "'\(a.text)' overlaps '\(other.text)' (peak \(r.peak), limit \(r.limit))")
            }
        }
        if r.fails { #expect(l.labels.contains { $0.text.hasPrefix("first failure: max_map_count at \(r.peak) mappings") }) }
    }
}

private func pow10(_ n: Int) -> Double { (0..<max(n, 0)).reduce(1.0) { r, _ in r * 10 } }

