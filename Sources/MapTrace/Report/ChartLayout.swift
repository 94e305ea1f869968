import Foundation

/// Where everything of the map-count chart goes, computed before any SVG is written, so that the
/// geometry can be checked: round ticks, an axis scaled to the data, and labels that never
/// overlap one another.
public struct ChartLayout: Sendable {
    public struct Point: Sendable { public var time: Double; public var count: Int; public var hugetlb: Int }

    /// A piece of text and the box it covers (estimated from its length and size).
    public struct Label: Sendable, Equatable {
        public enum Anchor: String, Sendable { case start, middle, end }
        public var text: String
        public var x: Double
        public var y: Double
        public var anchor: Anchor = .start
        public var colour = "black"
        public var size = 12.0
        /// Turned a quarter counter-clockwise about (x, y): the y axis title.
        public var vertical = false

        /// minX, minY, maxX, maxY in SVG coordinates.
        public var box: (minX: Double, minY: Double, maxX: Double, maxY: Double) {
            let length = Double(text.count) * size * 0.6
            let start: Double = switch anchor {
            case .start: 0
            case .middle: -length / 2
            case .end: -length
            }
            if vertical { return (x - size * 0.8, y - start - length, x + size * 0.25, y - start) }
            return (x + start, y - size * 0.8, x + start + length, y + size * 0.25)
        }

        public func overlaps(_ other: Label) -> Bool {
            let a = box, b = other.box
            return a.minX < b.maxX && b.minX < a.maxX && a.minY < b.maxY && b.minY < a.maxY
        }
    }

    public let width = 900.0, height = 420.0
    public let left = 80.0, right = 20.0, top = 40.0, bottom = 56.0
    public var t0 = 0.0, t1 = 1.0
    /// The y axis runs from 0 to yMax, a multiple of the tick step.
    public var yMax = 1
    public var yTicks: [Int] = []
    public var xTicks: [Double] = []
    /// The limit, drawn as a line when it is on the axis, else marked at the top edge.
    public var limit = 0
    public var limitOnAxis = false
    public var labels: [Label] = []
    public var failure: (time: Double, count: Int)?

    public func x(_ t: Double) -> Double { left + (t - t0) / (t1 - t0) * (width - left - right) }
    public func y(_ v: Int) -> Double { top + (1 - Double(v) / Double(yMax)) * (height - top - bottom) }

    /// The layout for these points. A limit more than twice the highest count is not drawn to
    /// scale (a 2,115-area run against 65,530 would be a flat line at the bottom).
    public init(points: [Point], limit: Int, failure: (time: Double, count: Int, cause: String)?, title: String, start: Double) {
        self.limit = limit
        let highest = max(points.map(\.count).max() ?? 0, failure?.count ?? 0, 1)
        limitOnAxis = limit > 0 && Double(limit) <= Double(highest) * 2
        let axisTop = limitOnAxis ? max(highest, limit) : highest
        let step = ChartLayout.roundStep(Double(axisTop) * 1.05 / 5)
        yMax = Int((Double(axisTop) * 1.05 / step).rounded(.up) * step)
        yTicks = stride(from: 0.0, through: Double(yMax), by: step).map { Int($0) }

        t0 = points.first?.time ?? start
        let end = max(points.last?.time ?? t0, failure?.time ?? t0)
        let timeStep = ChartLayout.roundStep(max(end - t0, 1e-3) / 5)
        t1 = t0 + max((max(end - t0, 1e-3) / timeStep).rounded(.up), 1) * timeStep
        xTicks = stride(from: 0.0, through: t1 - t0 + timeStep / 1000, by: timeStep).map { $0 }

        // Fixed labels first: title, ticks, axis titles; then the ones that find a free place.
        labels.append(Label(text: title, x: left, y: 22, size: 14))
        for v in yTicks { labels.append(Label(text: String(v), x: left - 6, y: y(v) + 4, anchor: .end)) }
        for t in xTicks { labels.append(Label(text: ChartLayout.seconds(t, step: timeStep), x: x(t0 + t), y: height - bottom + 18, anchor: .middle)) }
        labels.append(Label(text: "seconds since the first traced call", x: (width + left) / 2, y: height - 10, anchor: .middle))
        labels.append(Label(text: "memory map areas", x: 18, y: top + (height - top - bottom) / 2, anchor: .middle, vertical: true))

        let plotRight = width - right
        if limit > 0 {
            let text = limitOnAxis ? "vm.max_map_count \(limit)" : "vm.max_map_count \(limit) (far above: not to scale) ↑"
            let base = Label(text: text, x: plotRight, y: (limitOnAxis ? y(limit) : top) - 6, anchor: .end, colour: "#c00")
            place(base, at: [(0, 0, .end), (0, 18, .end), (-220, 0, .end), (-220, 18, .end)])
        }
        // the legend: low on the right, where a run that grows from zero has no curve; else elsewhere
        for (i, (text, colour)) in [("all mappings", "#1f5fbf"), ("hugetlb mappings", "#2a9d3a")].enumerated() {
            let base = Label(text: text, x: plotRight - 10, y: height - bottom - 28 + Double(i) * 16, anchor: .end, colour: colour)
            place(base, at: [(0, 0, .end), (0, -40, .end), (0, -80, .end), (-300, 0, .end), (-520, 0, .end), (-520, -200, .end)])
        }
        if let failure {
            self.failure = (failure.time, failure.count)
            let base = Label(text: "first failure: \(failure.cause) at \(failure.count) mappings", x: x(failure.time), y: y(failure.count),
                             colour: "#c00")
            place(base, at: [(-8, 18, .end), (-8, -10, .end), (8, 18, .start), (8, -10, .start),
                             (-8, 36, .end), (-8, -28, .end), (8, 36, .start), (8, -28, .start), (-8, 54, .end), (-8, -46, .end)])
        }
    }

    /// Adds `label` at the first of the offsets from its point (each with its anchor) where it
    /// overlaps no label already placed and stays in the picture; the first offset if none does.
    private mutating func place(_ label: Label, at offsets: [(Double, Double, Label.Anchor)]) {
        let candidates = offsets.map { offset -> Label in
            var moved = label
            moved.x += offset.0
            moved.y += offset.1
            moved.anchor = offset.2
            return moved
        }
        let fits = candidates.first { c in
            let b = c.box
            return b.minX >= 0 && b.maxX <= width && b.minY >= 0 && b.maxY <= height && !labels.contains { $0.overlaps(c) }
        }
        labels.append(fits ?? candidates[0])
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func roundStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2.0, 5.0, 10.0] where m * power >= raw * 0.999_999 { return m * power }
        return 10 * power
    }

    /// A tick's seconds with as many decimals as the step needs.
    static func seconds(_ t: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : Int((-log10(step)).rounded(.up))
        return String(format: "%.\(decimals)f s", t)
    }
}
