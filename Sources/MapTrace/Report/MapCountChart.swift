import Foundation

/// The picture an engineer pastes into a ticket: a process's mapping count over time against
/// vm.max_map_count, its hugetlb mappings as a second series, and the failure marked. SVG, drawn
/// from a `ChartLayout`.
public enum MapCountChart {
    public static func svg(_ log: PostMortemLog) -> String {
        render(layout(log))
    }

    /// The data of the process to draw (the one diagnosed, else the one with the most calls).
    public static func layout(_ log: PostMortemLog) -> (ChartLayout, [ChartLayout.Point]) {
        var failurePid: Int32?
        var failure: (time: Double, cause: String)?
        var perPid: [Int32: [ChartLayout.Point]] = [:]
        var limit = 0
        for record in log.records {
            switch record {
            case .syscall(let r):
                perPid[r.pid, default: []].append(ChartLayout.Point(time: r.time, count: r.mapCount, hugetlb: r.hugetlbMapCount))
                limit = max(limit, r.maxMapCount)
            case .diagnosis(let d):
                if failurePid == nil {
                    failurePid = d.diagnosis.pid
                    failure = (d.diagnosis.time, d.diagnosis.cause.rawValue)
                }
            default:
                break
            }
        }
        let pid = failurePid ?? perPid.max { $0.value.count < $1.value.count }?.key
        let points = pid.flatMap { perPid[$0] } ?? []
        let program = log.header.command.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? ""
        let title = "memory map areas of pid \(pid.map(String.init) ?? "?") (\(program))"
        let marked = failure.flatMap { f -> (time: Double, count: Int, cause: String)? in
            guard let at = points.last(where: { $0.time <= f.time }) ?? points.last else { return nil }
            return (f.time, at.count, f.cause)
        }
        return (ChartLayout(points: points, limit: limit, failure: marked, title: title, start: log.header.start), points)
    }

    static func render(_ input: (ChartLayout, [ChartLayout.Point])) -> String {
        let (l, points) = input
        var svg: [String] = []
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(l.width))\" height=\"\(Int(l.height))\" font-family=\"sans-serif\" font-size=\"12\">")
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        let bottomY = l.height - l.bottom, rightX = l.width - l.right
        for v in l.yTicks where v > 0 {
            svg.append("<line x1=\"\(fmt(l.left))\" y1=\"\(fmt(l.y(v)))\" x2=\"\(fmt(rightX))\" y2=\"\(fmt(l.y(v)))\" stroke=\"#e4e4e4\"/>")
        }
        svg.append("<line x1=\"\(fmt(l.left))\" y1=\"\(fmt(bottomY))\" x2=\"\(fmt(rightX))\" y2=\"\(fmt(bottomY))\" stroke=\"black\"/>")
        svg.append("<line x1=\"\(fmt(l.left))\" y1=\"\(fmt(l.top))\" x2=\"\(fmt(l.left))\" y2=\"\(fmt(bottomY))\" stroke=\"black\"/>")
        if l.limit > 0 {
            if l.limitOnAxis {
                svg.append("<line x1=\"\(fmt(l.left))\" y1=\"\(fmt(l.y(l.limit)))\" x2=\"\(fmt(rightX))\" y2=\"\(fmt(l.y(l.limit)))\" stroke=\"#c00\" stroke-dasharray=\"6 4\"/>")
            } else {
                svg.append("<line x1=\"\(fmt(l.left))\" y1=\"\(fmt(l.top))\" x2=\"\(fmt(rightX))\" y2=\"\(fmt(l.top))\" stroke=\"#c00\" stroke-dasharray=\"2 6\"/>")
            }
        }
        svg.append(polyline(points.map { ($0.time, $0.count) }, layout: l, colour: "#1f5fbf"))
        svg.append(polyline(points.map { ($0.time, $0.hugetlb) }, layout: l, colour: "#2a9d3a"))
        if let failure = l.failure {
            svg.append("<circle cx=\"\(fmt(l.x(failure.time)))\" cy=\"\(fmt(l.y(failure.count)))\" r=\"5\" fill=\"#c00\"/>")
        }
        for label in l.labels {
            let rotate = label.vertical ? " transform=\"rotate(-90 \(fmt(label.x)) \(fmt(label.y)))\"" : ""
            let size = label.size == 12 ? "" : " font-size=\"\(fmt(label.size))\""
            let fill = label.colour == "black" ? "" : " fill=\"\(label.colour)\""
            let anchor = label.anchor == .start ? "" : " text-anchor=\"\(label.anchor.rawValue)\""
            svg.append("<text x=\"\(fmt(label.x))\" y=\"\(fmt(label.y))\"\(anchor)\(fill)\(size)\(rotate)>\(escape(label.text))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    private static func polyline(_ values: [(Double, Int)], layout l: ChartLayout, colour: String) -> String {
        let step = max(1, values.count / 2000)  // at most ~2000 points
        let coordinates = stride(from: 0, to: values.count, by: step).map { i in
            "\(fmt(l.x(values[i].0))),\(fmt(l.y(min(values[i].1, l.yMax))))"
        } + (values.last.map { ["\(fmt(l.x($0.0))),\(fmt(l.y(min($0.1, l.yMax))))"] } ?? [])
        return "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(coordinates.joined(separator: " "))\"/>"
    }

    private static func fmt(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
