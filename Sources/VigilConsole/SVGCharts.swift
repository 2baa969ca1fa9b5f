import Foundation

/// Small charts drawn on the server as SVG text: no script, every text escaped, a `<title>` on each
/// mark (the browser shows it as a tooltip) and `role="img"` with a title and description for
/// screen readers. Colours are presentation attributes, not `style`, so the console's
/// Content-Security-Policy (no inline styles) holds. The geometry is computed by `layout()`, which
/// the tests check; `render` only prints it.
enum SVG {
    static let gridColor = "#e4e7ec", tickColor = "#f2f4f7", white = "#ffffff"

    /// Escapes text for SVG/XML content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in XML 1.0.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// A coordinate with at most one decimal (`12`, `12.5`), never `-0`.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 10).rounded() / 10
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(format: "%.1f", rounded)
    }

    /// A "nice" axis maximum at or above `value` (1, 2 or 5 times a power of ten, or a multiple of the step)
    /// and its tick step, so that there are at most `maxTicks` steps.
    static func niceScale(_ value: Int, maxTicks: Int = 4) -> (maximum: Int, step: Int) {
        let value = max(1, value)
        var base = 1
        while base <= Int.max / 100 {
            for factor in [1, 2, 5] {
                let step = factor * base
                let steps = (value + step - 1) / step
                if steps <= maxTicks { return (steps * step, step) }
            }
            base *= 10
        }
        return (value, value)
    }

    /// Epoch seconds as `14:05:09` (UTC), for axes spanning less than two hours.
    static func clockLabel(_ t: Double) -> String {
        let seconds = Int(t.rounded(.down)) % 86_400
        let s = seconds < 0 ? seconds + 86_400 : seconds
        return String(format: "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }

    /// Epoch seconds as `2026-03-29` or `03-29 14:00` (UTC) for axis labels.
    static func timeLabel(_ t: Double, withTime: Bool) -> String {
        let date = Date(timeIntervalSince1970: t)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        if withTime { return String(format: "%02d-%02d %02d:%02d", c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0) }
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}

/// A stacked bar chart: one column per time bucket, one coloured segment per series.
struct StackedBarChart {
    struct Series: Equatable {
        var name: String
        /// A fill colour (`#rrggbb`).
        var color: String
    }

    struct Column: Equatable {
        var label: String
        /// One value per series, in the order of ``StackedBarChart/series``.
        var values: [Int]
    }

    /// One drawn segment.
    struct Bar: Equatable {
        var column: Int
        var series: Int
        var x: Double
        var y: Double
        var width: Double
        var height: Double
        var value: Int
    }

    var title: String
    var series: [Series]
    var columns: [Column]
    var width = 720.0
    var height = 220.0
    var top = 10.0, right = 10.0, bottom = 26.0, left = 44.0

    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }

    /// The axis maximum and tick step.
    var scale: (maximum: Int, step: Int) {
        SVG.niceScale(columns.map { $0.values.reduce(0) { $0 + max(0, $1) } }.max() ?? 0)
    }

    /// The segments, bottom to top in series order; zero values draw nothing.
    func layout() -> [Bar] {
        guard !columns.isEmpty else { return [] }
        let maximum = Double(scale.maximum)
        let slot = plotWidth / Double(columns.count)
        let barWidth = max(1, slot * 0.7)
        var bars: [Bar] = []
        for (c, column) in columns.enumerated() {
            var base = top + plotHeight
            let x = left + Double(c) * slot + (slot - barWidth) / 2
            for (s, value) in column.values.prefix(series.count).enumerated() where value > 0 {
                let h = Double(value) / maximum * plotHeight
                base -= h
                bars.append(Bar(column: c, series: s, x: x, y: base, width: barWidth, height: h, value: value))
            }
        }
        return bars
    }

    /// The chart as an `<svg>` element; `id` makes the title and description ids unique on the page.
    func render(id: String) -> String {
        let (maximum, step) = scale
        let totals = columns.map { $0.values.reduce(0, +) }
        var summary = "No data."
        if let first = columns.first, let last = columns.last {
            let latest: [String] = zip(series, last.values).map { (s: Series, v: Int) -> String in "\(v) \(s.name)" }
            let highest: Int = totals.max() ?? 0
            summary = "\(columns.count) columns from \(first.label) to \(last.label); the highest total is \(highest). "
            summary += "Latest: " + latest.joined(separator: ", ") + "."
        }
        var out = #"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \#(SVG.number(width)) \#(SVG.number(height))" role="img" aria-labelledby="\#(id)-t \#(id)-d">"#
        out += #"<title id="\#(id)-t">\#(SVG.escape(title))</title><desc id="\#(id)-d">\#(SVG.escape(summary))</desc>"#
        // Horizontal grid lines and value labels.
        var tick = 0
        while tick <= maximum {
            let y = top + plotHeight - Double(tick) / Double(maximum) * plotHeight
            out += #"<line x1="\#(SVG.number(left))" x2="\#(SVG.number(width - right))" y1="\#(SVG.number(y))" y2="\#(SVG.number(y))" stroke="\#(SVG.gridColor)"/>"#
            out += #"<text x="\#(SVG.number(left - 6))" y="\#(SVG.number(y + 4))" text-anchor="end">\#(tick)</text>"#
            tick += step
        }
        for bar in layout() {
            let s = series[bar.series]
            let tip = "\(columns[bar.column].label): \(bar.value) \(s.name)"
            out += #"<rect x="\#(SVG.number(bar.x))" y="\#(SVG.number(bar.y))" width="\#(SVG.number(bar.width))" height="\#(SVG.number(bar.height))" fill="\#(SVG.escape(s.color))"><title>\#(SVG.escape(tip))</title></rect>"#
        }
        // Column labels: at most about eight, evenly spaced, so they never overlap.
        let every = max(1, (columns.count + 7) / 8)
        let slot = columns.isEmpty ? 0 : plotWidth / Double(columns.count)
        for (c, column) in columns.enumerated() where c % every == 0 || c == columns.count - 1 {
            let x = left + (Double(c) + 0.5) * slot
            out += #"<text x="\#(SVG.number(x))" y="\#(SVG.number(height - 8))" text-anchor="middle">\#(SVG.escape(column.label))</text>"#
        }
        out += "</svg>"
        return out
    }
}

/// A host's timeline: one lane per kind of event, time running left to right; points for moments,
/// bars for spans (a beacon from its first to its last connection).
struct TimelineChart {
    enum Lane: Int, CaseIterable {
        case files, c2, beacons, verdict

        var label: String {
            switch self {
            case .files: "Files appearing"
            case .c2: "C2 contacts"
            case .beacons: "Beacons"
            case .verdict: "Verdict changes"
            }
        }
    }

    struct Item: Equatable {
        var lane: Lane
        var start: Double
        /// Equal to `start` for a moment.
        var end: Double
        var label: String
        var color: String
    }

    /// One drawn mark: a circle (point) when `width` is 0, else a bar.
    struct Mark: Equatable {
        var lane: Lane
        var x: Double
        var y: Double
        var width: Double
        var label: String
    }

    var title: String
    var items: [Item]
    var width = 720.0
    var laneHeight = 30.0
    var top = 8.0, right = 16.0, bottom = 26.0, left = 120.0

    var height: Double { top + laneHeight * Double(Lane.allCases.count) + bottom }
    var plotWidth: Double { width - left - right }

    /// The time span shown: the items' first to last time, widened by 5 % on each side (an hour
    /// each way when every item is at one moment).
    var range: (start: Double, end: Double) {
        let times = items.flatMap { [$0.start, $0.end] }.filter(\.isFinite)
        guard let lo = times.min(), let hi = times.max() else { return (0, 1) }
        if hi - lo < 1 { return (lo - 3600, hi + 3600) }
        let pad = (hi - lo) * 0.05
        return (lo - pad, hi + pad)
    }

    func x(_ t: Double) -> Double {
        let (start, end) = range
        return left + (t - start) / (end - start) * plotWidth
    }

    func laneCenter(_ lane: Lane) -> Double { top + (Double(lane.rawValue) + 0.5) * laneHeight }

    func layout() -> [Mark] {
        items.filter { $0.start.isFinite && $0.end.isFinite }.map { item in
            let x0 = x(min(item.start, item.end)), x1 = x(max(item.start, item.end))
            return Mark(lane: item.lane, x: x0, y: laneCenter(item.lane), width: x1 - x0, label: item.label)
        }
    }

    func render(id: String) -> String {
        let (start, end) = range
        let withTime = end - start < 4 * 86400
        let counts = Lane.allCases.map { lane in "\(items.filter { $0.lane == lane }.count) \(lane.label.lowercased())" }
        let summary = items.isEmpty ? "No events." :
            "From \(SVG.timeLabel(start, withTime: true)) to \(SVG.timeLabel(end, withTime: true)) UTC: " + counts.joined(separator: ", ") + "."
        var out = #"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \#(SVG.number(width)) \#(SVG.number(height))" role="img" aria-labelledby="\#(id)-t \#(id)-d">"#
        out += #"<title id="\#(id)-t">\#(SVG.escape(title))</title><desc id="\#(id)-d">\#(SVG.escape(summary))</desc>"#
        for lane in Lane.allCases {
            let y = laneCenter(lane)
            out += #"<text x="\#(SVG.number(left - 8))" y="\#(SVG.number(y + 4))" text-anchor="end">\#(SVG.escape(lane.label))</text>"#
            out += #"<line x1="\#(SVG.number(left))" x2="\#(SVG.number(width - right))" y1="\#(SVG.number(y))" y2="\#(SVG.number(y))" stroke="\#(SVG.gridColor)"/>"#
        }
        // Five time ticks.
        let axisY = top + laneHeight * Double(Lane.allCases.count)
        for i in 0...4 {
            let t = start + (end - start) * Double(i) / 4
            let tx = x(t)
            out += #"<line x1="\#(SVG.number(tx))" x2="\#(SVG.number(tx))" y1="\#(SVG.number(top))" y2="\#(SVG.number(axisY))" stroke="\#(SVG.tickColor)"/>"#
            let anchor = i == 0 ? "start" : i == 4 ? "end" : "middle"
            let label = end - start < 7200 ? SVG.clockLabel(t) : SVG.timeLabel(t, withTime: withTime)
            out += #"<text x="\#(SVG.number(tx))" y="\#(SVG.number(axisY + 16))" text-anchor="\#(anchor)">\#(SVG.escape(label))</text>"#
        }
        for (mark, item) in zip(layout(), items.filter { $0.start.isFinite && $0.end.isFinite }) {
            let tip = SVG.escape(item.label)
            let color = SVG.escape(item.color)
            if mark.width >= 1 {
                out += #"<rect x="\#(SVG.number(mark.x))" y="\#(SVG.number(mark.y - 5))" width="\#(SVG.number(mark.width))" height="10" rx="3" fill="\#(color)" fill-opacity="0.8"><title>\#(tip)</title></rect>"#
            } else {
                out += #"<circle cx="\#(SVG.number(mark.x))" cy="\#(SVG.number(mark.y))" r="6" fill="\#(color)" stroke="\#(SVG.white)" stroke-width="1.5"><title>\#(tip)</title></circle>"#
            }
        }
        out += "</svg>"
        return out
    }
}
