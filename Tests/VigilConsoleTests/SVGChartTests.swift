import Foundation
import Testing
@testable import VigilConsole

@Suite("Web console: SVG charts")
struct SVGChartTests {
    @Test("nice axis maxima and steps")
    func niceScale() {
        #expect(SVG.niceScale(0) == (1, 1))
        #expect(SVG.niceScale(3) == (3, 1))
        #expect(SVG.niceScale(7) == (8, 2))
        #expect(SVG.niceScale(10) == (10, 5))
        #expect(SVG.niceScale(87) == (100, 50))
        #expect(SVG.niceScale(100_000) == (100_000, 50_000))
        #expect(SVG.niceScale(123_456) == (150_000, 50_000))
        for v in [1, 9, 11, 49, 51, 999, 1001, 73_421] {
            let (maximum, step) = SVG.niceScale(v)
            #expect(maximum >= v && maximum % step == 0 && maximum / step <= 4, "\(v) → \(maximum), \(step)")
        }
    }

    @Test("stacked bars: heights proportional to the values, stacked bottom-up in series order, zero values not drawn")
    func stackedGeometry() {
        let chart = StackedBarChart(
            title: "Verdicts", series: [.init(name: "active", color: "#b42318"), .init(name: "clean", color: "#067647")],
            columns: [.init(label: "d1", values: [2, 6]), .init(label: "d2", values: [0, 4])],
            width: 240, height: 140, top: 10, right: 10, bottom: 30, left: 30)
        // Plot area: 200 × 100; the largest column total is 8, so the axis ends at 8 (steps of 2).
        #expect(chart.scale == (8, 2))
        let bars = chart.layout()
        #expect(bars.count == 3, "the zero value of d2/active draws nothing")
        let (a1, c1, c2) = (bars[0], bars[1], bars[2])
        #expect(a1.column == 0 && a1.series == 0 && a1.value == 2)
        #expect(a1.height == 25 && a1.y == 85, "2 of 8 is a quarter of 100, sitting on the base line at y = 110")
        #expect(c1.height == 75 && c1.y == 10, "the clean segment stacks on top of the active one and reaches the top")
        #expect(c2.column == 1 && c2.height == 50 && c2.y == 60)
        // Each column takes half of the 200 wide plot; bars are 70 % of their slot, centred.
        #expect(a1.width == 70 && a1.x == 45)
        #expect(c2.x == 145)
    }

    @Test("stacked bars render an accessible, escaped SVG with a tooltip per segment")
    func stackedRendering() {
        let chart = StackedBarChart(
            title: "Hosts <per> verdict", series: [.init(name: "active", color: "#b42318"), .init(name: "x\"<script>", color: "#000000")],
            columns: [.init(label: "2026-12-01", values: [3, 1]), .init(label: "<b>", values: [1, 0])])
        let svg = chart.render(id: "vc")
        #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>"))
        #expect(svg.contains(#"role="img" aria-labelledby="vc-t vc-d""#))
        #expect(svg.contains(#"<title id="vc-t">Hosts &lt;per&gt; verdict</title>"#))
        #expect(svg.contains("<title>2026-12-01: 3 active</title>"))
        #expect(svg.contains("<title>2026-12-01: 1 x&quot;&lt;script&gt;</title>"))
        #expect(svg.contains(">&lt;b&gt;</text>"))
        #expect(!svg.contains("<script") && !svg.contains("<b>"))
        #expect(svg.components(separatedBy: "<rect ").count - 1 == 3)
        // The description summarises the latest column for screen readers.
        #expect(svg.contains("Latest: 1 active, 0 x&quot;&lt;script&gt;."))
        // Axis labels 0…4 (maximum 4, step 1).
        for tick in 0...4 { #expect(svg.contains(">\(tick)</text>"), "tick \(tick)") }
    }

    @Test("timeline: times map linearly onto the plot, lanes have fixed rows, spans become bars")
    func timelineGeometry() {
        let t0 = 1_700_000_000.0
        let chart = TimelineChart(
            title: "host", items: [
                .init(lane: .files, start: t0, end: t0, label: "file appeared", color: "#b42318"),
                .init(lane: .beacons, start: t0 + 500, end: t0 + 1000, label: "beacon", color: "#dc6803"),
                .init(lane: .verdict, start: t0 + 1000, end: t0 + 1000, label: "clean → active", color: "#b42318"),
            ], width: 620, laneHeight: 30, top: 10, right: 10, bottom: 20, left: 110)
        // 1000 s of events, padded by 5 % each side: 1100 s across 500 px.
        #expect(chart.range.start == t0 - 50 && chart.range.end == t0 + 1050)
        let marks = chart.layout()
        #expect(marks.count == 3)
        #expect(abs(marks[0].x - (110 + 50.0 / 1100 * 500)) < 1e-9 && marks[0].width == 0)
        #expect(marks[0].y == 25, "lane 0 is centred at top + 15")
        #expect(marks[1].y == 85, "lane 2 (beacons) at top + 2.5 lanes")
        #expect(abs(marks[1].width - 500.0 / 1100 * 500) < 1e-9, "the beacon's 500 s become a bar")
        #expect(abs(marks[2].x - (110 + 1050.0 / 1100 * 500)) < 1e-9)
        #expect(chart.height == 10 + 4 * 30 + 20)
        // One moment alone gets an hour each way.
        let single = TimelineChart(title: "h", items: [.init(lane: .c2, start: t0, end: t0, label: "c2", color: "#000")])
        #expect(single.range.start == t0 - 3600 && single.range.end == t0 + 3600)
        #expect(single.layout().first.map { abs($0.x - (single.left + single.plotWidth / 2)) < 1e-9 } == true)
    }

    @Test("timeline renders circles for moments, bars for spans, lane labels and escaped tooltips")
    func timelineRendering() {
        let t0 = 1_700_000_000.0
        let chart = TimelineChart(title: "Timeline of <evil>", items: [
            .init(lane: .files, start: t0, end: t0, label: "/opt/<script>alert(1)</script>/ffmpeg.dll first seen", color: "#b42318"),
            .init(lane: .beacons, start: t0, end: t0 + 7200, label: "beacon to evil.example", color: "#dc6803"),
        ])
        let svg = chart.render(id: "tl")
        #expect(svg.components(separatedBy: "<circle ").count - 1 == 1)
        #expect(svg.components(separatedBy: "<rect ").count - 1 == 1)
        for lane in TimelineChart.Lane.allCases { #expect(svg.contains(">\(lane.label)</text>")) }
        #expect(svg.contains("<title>/opt/&lt;script&gt;alert(1)&lt;/script&gt;/ffmpeg.dll first seen</title>"))
        #expect(!svg.contains("<script"))
        #expect(svg.contains(#"<title id="tl-t">Timeline of &lt;evil&gt;</title>"#))
        #expect(svg.contains("1 files appearing, 0 c2 contacts, 1 beacons, 0 verdict changes"))
        // Under four days: axis labels carry the time of day (MM-dd HH:mm).
        #expect(svg.range(of: #">[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}</text>"#, options: .regularExpression) != nil)
        // Under two hours: the clock with seconds.
        let short = TimelineChart(title: "s", items: [.init(lane: .c2, start: t0, end: t0 + 60, label: "c", color: "#000")]).render(id: "s")
        #expect(short.range(of: #">[0-9]{2}:[0-9]{2}:[0-9]{2}</text>"#, options: .regularExpression) != nil)
        #expect(SVG.clockLabel(1_700_000_000) == "22:13:20")
        #expect(SVG.escape("a\u{1}b&'") == "a b&amp;&#39;")
        #expect(SVG.number(-0.01) == "0")
        #expect(SVG.number(12.25) == "12.3" && SVG.number(40) == "40")
    }
}
