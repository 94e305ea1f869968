import Foundation

/// The picture an engineer pastes into a ticket: a process's mapping count over time against
/// vm.max_map_count, its hugetlb mappings as a second series, and the failure marked. SVG.
public enum MapCountChart {
    struct Point { var time: Double; var count: Int; var hugetlb: Int }

    public static func svg(_ log: PostMortemLog) -> String {
        // The process to draw: the one diagnosed, else the one with the most calls.
        var failurePid: Int32?
        var failureTime: Double?
        var failureCause: String?
        var perPid: [Int32: [Point]] = [:]
        var limit = 0
        for record in log.records {
            switch record {
            case .syscall(let r):
                perPid[r.pid, default: []].append(Point(time: r.time, count: r.mapCount, hugetlb: r.hugetlbMapCount))
                limit = max(limit, r.maxMapCount)
            case .diagnosis(let d):
                if failurePid == nil {
                    failurePid = d.diagnosis.call.pid
                    failureTime = d.diagnosis.call.time
                    failureCause = d.diagnosis.cause.rawValue
                }
            default:
                break
            }
        }
        let pid = failurePid ?? perPid.max { $0.value.count < $1.value.count }?.key
        let points = pid.flatMap { perPid[$0] } ?? []
        let width = 900.0, height = 420.0, left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        let t0 = points.first?.time ?? log.header.start
        let t1 = max(points.last?.time ?? t0, (failureTime ?? t0)) + 1e-6
        let yMax = Double(max(limit, points.map(\.count).max() ?? 1, 1)) * 1.08
        func x(_ t: Double) -> Double { left + (t - t0) / (t1 - t0) * (width - left - right) }
        func y(_ v: Int) -> Double { top + (1 - Double(v) / yMax) * (height - top - bottom) }
        func polyline(_ values: [(Double, Int)], color: String) -> String {
            let step = max(1, values.count / 2000)  // at most ~2000 points
            let coordinates = stride(from: 0, to: values.count, by: step).map { i in
                "\(fmt(x(values[i].0))),\(fmt(y(values[i].1)))"
            } + (values.last.map { ["\(fmt(x($0.0))),\(fmt(y($0.1)))"] } ?? [])
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(coordinates.joined(separator: " "))\"/>"
        }
        var svg: [String] = []
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">")
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        let program = log.header.command.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? ""
        let title = "memory map areas of pid \(pid.map(String.init) ?? "?") (\(program))"
        svg.append("<text x=\"\(Int(left))\" y=\"22\" font-size=\"14\">\(escape(title))</text>")
        // axes and ticks
        svg.append("<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"black\"/>")
        svg.append("<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"black\"/>")
        for i in 0...4 {
            let v = Int(yMax * Double(i) / 4)
            svg.append("<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y(v) + 4))\" text-anchor=\"end\">\(v)</text>")
            let t = (t1 - t0) * Double(i) / 4
            svg.append("<text x=\"\(fmt(x(t0 + t)))\" y=\"\(fmt(height - bottom + 18))\" text-anchor=\"middle\">\(fmt(t))s</text>")
        }
        svg.append("<text x=\"\(fmt((width + left) / 2))\" y=\"\(fmt(height - 10))\" text-anchor=\"middle\">seconds since the first traced call</text>")
        if limit > 0 {
            svg.append("<line x1=\"\(left)\" y1=\"\(fmt(y(limit)))\" x2=\"\(width - right)\" y2=\"\(fmt(y(limit)))\" stroke=\"#c00\" stroke-dasharray=\"6 4\"/>")
            svg.append("<text x=\"\(fmt(width - right))\" y=\"\(fmt(y(limit) - 6))\" text-anchor=\"end\" fill=\"#c00\">vm.max_map_count \(limit)</text>")
        }
        svg.append(polyline(points.map { ($0.time, $0.count) }, color: "#1f5fbf"))
        svg.append(polyline(points.map { ($0.time, $0.hugetlb) }, color: "#2a9d3a"))
        // the legend sits low on the right, where the curves of a run that grows from zero are not
        svg.append("<text x=\"\(fmt(width - right - 10))\" y=\"\(fmt(height - bottom - 28))\" text-anchor=\"end\" fill=\"#1f5fbf\">all mappings</text>")
        svg.append("<text x=\"\(fmt(width - right - 10))\" y=\"\(fmt(height - bottom - 12))\" text-anchor=\"end\" fill=\"#2a9d3a\">hugetlb mappings</text>")
        if let failureTime, let last = points.last(where: { $0.time <= failureTime }) ?? points.last {
            svg.append("<circle cx=\"\(fmt(x(failureTime)))\" cy=\"\(fmt(y(last.count)))\" r=\"5\" fill=\"#c00\"/>")
            svg.append("<text x=\"\(fmt(x(failureTime) - 8))\" y=\"\(fmt(y(last.count) + 18))\" text-anchor=\"end\" fill=\"#c00\">first failure: \(escape(failureCause ?? "")) at \(last.count) mappings</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    private static func fmt(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
