import Foundation
import Testing
import VigilCore
import VigilIndicators
@testable import VigilFeeds

/// Issue 16 item 9: no blocklist format carries a raw control character, whatever the store holds.
/// The values are generated here the way a hostile feed file or a hand-edited store would carry them.
@Suite struct BlocklistInjectionTests {
    /// A forged line for each format, and a description that rewrites the terminal.
    static let payloads = [
        "\nlocal-zone: \"com.\" always_nxdomain\n", "\t1.2.3.4\tIntel::ADDR\tforged\tforged\n",
        "\naddress=/com/#\n", "\nalert ip any any -> any any (sid:1;)\n", "\r\n0.0.0.0 example.com", "\u{1b}]0;pwned\u{07}",
        "\u{85}", "\u{202e}",
    ]

    static func hostileSet() -> (set: IndicatorSet, hostile: Int) {
        var indicators: [Indicator] = []
        let good = [Provenance(feed: "feed\tforged", file: "bad.csv", line: 3, description: "C2\n\u{1b}[2JFAKE: 0 findings\tx")]
        indicators.append(Indicator(kind: .domain, value: "good.example", provenance: good))
        indicators.append(Indicator(kind: .url, value: "http://good2.example/path", provenance: good))
        indicators.append(Indicator(kind: .email, value: "ops@good3.example", provenance: good))
        var hostile = 0
        for (n, payload) in payloads.enumerated() {
            let p = [Provenance(feed: "hostile", file: "hostile.json", line: n + 10)]
            indicators.append(Indicator(kind: .domain, value: "evil\(n).example\(payload)", provenance: p))
            indicators.append(Indicator(kind: .url, value: "http://evil\(n).example/a\(payload)", provenance: p))
            indicators.append(Indicator(kind: .url, value: "http://ok\(n).example/\(payload)x", provenance: p))
            indicators.append(Indicator(kind: .email, value: "x\(payload)@evil\(n).example", provenance: p))
            indicators.append(Indicator(kind: .ipv4, value: "10.0.0.\(n)\(payload)", provenance: p))
            indicators.append(Indicator(kind: .cidr, value: "10.1.\(n).0/24\(payload)", provenance: p))
            indicators.append(Indicator(kind: .sha256, value: String(repeating: "a", count: 64) + payload, provenance: p))
            hostile += 7
        }
        // Not control characters, but not a normalised value either: a space splits a hosts line.
        indicators.append(Indicator(kind: .domain, value: "a.example b.example", provenance: []))
        indicators.append(Indicator(kind: .email, value: "a b@c.example", provenance: []))
        return (IndicatorSet(indicators), hostile + 2)
    }

    /// Lines of `text` with a control character other than the line feed that ends each line
    /// (and, in Zeek intel, the TAB between fields).
    static func badLines(_ text: String, tabs: Bool) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { line in
            line.unicodeScalars.contains { u in TerminalSafe.isUnsafe(u) && !(tabs && u == "\t") }
        }
    }

    @Test func planRefusesEveryHostileValueWithItsSource() {
        let (set, hostile) = Self.hostileSet()
        let plan = BlocklistBuilder.plan(set)
        #expect(plan.refusals.count == hostile)
        #expect(plan.domains.map(\.name) == ["good.example", "good2.example"])
        #expect(plan.urls.map(\.value) == ["http://good2.example/path"])
        #expect(plan.addresses.isEmpty)
        #expect(plan.other.map(\.value) == ["ops@good3.example"])
        let first = plan.refusals.first { $0.value.hasPrefix("evil0.example") }
        #expect(first?.sources == ["hostile hostile.json:10"])
        #expect(first?.value == "evil0.example\\nlocal-zone: \"com.\" always_nxdomain\\n")
        // Every refusal is on standard error, one line each, escaped.
        let refusedLines = plan.decisions.filter { $0.hasPrefix("refused: ") }
        #expect(refusedLines.count == hostile)
        #expect(refusedLines.allSatisfy { !TerminalSafe.needsEscaping($0) })
    }

    @Test(arguments: BlocklistFormat.allCases)
    func noFormatCarriesAControlCharacter(format: BlocklistFormat) {
        let plan = BlocklistBuilder.plan(Self.hostileSet().set)
        let text = BlocklistBuilder.render(plan, as: format)
        #expect(Self.badLines(text, tabs: format == .zeekIntel) == [])
        #expect(!text.contains("evil"))
        #expect(!text.contains("FAKE: 0 findings\n"))
        switch format {
        case .hosts: #expect(text.contains("0.0.0.0 good.example\n"))
        case .dnsmasq: #expect(text.contains("address=/good.example/#\n"))
        case .unbound: #expect(text.contains("local-zone: \"good.example.\" always_nxdomain\n"))
        case .rpz: #expect(text.contains("\ngood.example CNAME .\n*.good.example CNAME .\n"))
        case .suricata:
            let rules = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(rules.count == 7)  // 3 per blocked name, 1 per URL
            #expect(rules.allSatisfy { $0.hasPrefix("alert ") && $0.hasSuffix("rev:1;)") })
        case .zeekIntel:
            let rows = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(rows.count == 4)  // 2 names, 1 URL, 1 e-mail
            #expect(rows.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 4 })
            #expect(text.contains("ops@good3.example\tIntel::EMAIL\tfeed\\tforged\tC2\\n\\x1b[2JFAKE: 0 findings\\tx\n"))
        case .csv:
            let rows = text.split(separator: "\n")
            #expect(rows.count == 1 + 4)  // header + 2 names + 1 URL + 1 e-mail (the URL's host is one of the names)
        }
    }

    /// The import path: a STIX bundle and a plain list with TAB and LF inside URL and e-mail values.
    @Test func hostileFeedRowsNeverReachAZeekFile() throws {
        let pattern = "[url:value = 'http://evil.example/a\\tb\\nc']"
        let stix = """
            {"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--1",
            "created":"2023-03-30T00:00:00Z","modified":"2023-03-30T00:00:00Z","pattern_type":"stix",
            "valid_from":"2023-03-30T00:00:00Z","pattern":\(String(decoding: try JSONEncoder().encode(pattern), as: UTF8.self))},
            {"type":"indicator","spec_version":"2.1","id":"indicator--2","created":"2023-03-30T00:00:00Z",
            "modified":"2023-03-30T00:00:00Z","pattern_type":"stix","valid_from":"2023-03-30T00:00:00Z",
            "pattern":"[email-addr:value = 'a\\u0009b@evil.example']"}]}
            """
        let imported = FeedReader.read(text: stix, path: "bundle.json", feed: "stix", format: .stix)
        let plan = BlocklistBuilder.plan(imported.indicators)
        let zeek = BlocklistBuilder.render(plan, as: .zeekIntel)
        #expect(Self.badLines(zeek, tabs: true) == [])
        for row in zeek.split(separator: "\n") where !row.hasPrefix("#") {
            #expect(row.split(separator: "\t", omittingEmptySubsequences: false).count == 4)
        }
    }
}
