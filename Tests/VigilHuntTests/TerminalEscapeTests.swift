import Foundation
import Testing
import VigilCore
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

/// Issue 16 item 11: hunt's text report escapes what logs and feeds put in it.
@Suite struct HuntTerminalEscapeTests {
    @Test func queriesAndDescriptionsCannotRewriteTheTerminal() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-hunt-escape")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A query that matches, from a feed whose name and description carry ESC sequences and a newline.
        let log = HuntFixtures.dnsHeader
            + "1680048000.000000\tC1\t10.0.0.5\t53000\t10.0.0.1\t53\tudp\tc2.evil.example\tA\tNOERROR\t-\t-\n"
        let file = try HuntFixtures.write(log, "dns.log", in: dir)
        let indicators = IndicatorSet([Indicator(kind: .domain, value: "evil.example", provenance: [
            Provenance(feed: "f\u{1b}[31m", description: "C2\nFAKE: 0 findings\u{1b}[2J"),
        ])])
        let report = try HuntFixtures.hunt([file], indicators: indicators)
        #expect(report.hits.count == 1)
        let text = report.renderText()
        #expect(!text.unicodeScalars.contains { TerminalSafe.isUnsafe($0) && $0 != "\n" }, "\(text.debugDescription)")
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("FAKE") })
        #expect(text.contains("feeds: f\\x1b[31m"))
        #expect(text.contains("C2\\nFAKE: 0 findings\\x1b[2J"))
    }
}
