import Foundation
import Testing
import VigilIndicators
@testable import VigilFeeds

/// Issue 16 item 10: the guard refuses public suffixes, default routes, loopback, link-local and own
/// ranges, naming each refused indicator's feed and line; `--force` writes them anyway.
@Suite struct BlocklistGuardTests {
    /// A list in the Public Suffix List format, generated here: ICANN and private rules, a wildcard,
    /// an exception and a Unicode rule.
    static let list = PublicSuffixList(text: """
        // ===BEGIN ICANN DOMAINS===
        com
        uk
        co.uk
        au
        com.au
        arpa
        in-addr.arpa
        *.ck
        !www.ck
        公司.cn
        // ===BEGIN PRIVATE DOMAINS===
        blogspot.com   // trailing text after whitespace is ignored
        """, source: "test")

    static func feed(_ rows: [(IndicatorKind, String)]) -> IndicatorSet {
        IndicatorSet(rows.enumerated().map { n, row in
            Indicator(kind: row.0, value: row.1, provenance: [Provenance(feed: "hostile", file: "feed.csv", line: n + 2)])
        })
    }

    static let hostile: [(IndicatorKind, String)] = [
        (.domain, "co.uk"), (.domain, "com.au"), (.domain, "blogspot.com"), (.domain, "in-addr.arpa"), (.domain, "anything.ck"),
        (.url, "http://blogspot.com/x"), (.cidr, "0.0.0.0/0"), (.cidr, "::/0"), (.ipv4, "127.0.0.1"), (.cidr, "127.0.0.0/8"),
        (.ipv4, "169.254.10.1"), (.ipv6, "fe80::1"), (.ipv6, "::1"), (.cidr, "64.0.0.0/2"), (.cidr, "10.0.0.0/8"), (.ipv4, "10.20.30.40"),
        (.url, "http://127.0.0.1/payload"),
    ]
    static let fine: [(IndicatorKind, String)] = [
        (.domain, "evil.co.uk"), (.domain, "c2.blogspot.com"), (.domain, "www.ck"), (.domain, "xn--55qx5d.xn--fiqs8s.example"),
        (.ipv4, "203.0.113.7"), (.cidr, "198.51.100.0/24"), (.ipv6, "2001:db8::1"), (.cidr, "11.0.0.0/8"),
    ]

    @Test func parsesRules() {
        #expect(Self.list.isPublicSuffix("co.uk"))
        #expect(Self.list.isPublicSuffix("uk"))
        #expect(Self.list.isPublicSuffix("anything.ck"))
        #expect(!Self.list.isPublicSuffix("www.ck"))
        #expect(Self.list.isPublicSuffix("xn--55qx5d.cn"))
        #expect(Self.list.isPublicSuffix("blogspot.com"))
        #expect(!Self.list.isPublicSuffix("evil.co.uk"))
        #expect(!Self.list.isPublicSuffix("example.com"))
        #expect(Self.list.ruleCount == 11)
    }

    @Test func refusesAndListsEachWithFeedAndLine() {
        let set = Self.feed(Self.hostile + Self.fine)
        let plan = BlocklistBuilder.plan(set, guard: BlocklistGuard(publicSuffixes: Self.list, ownNetworks: ["10.0.0.0/8"]))
        #expect(plan.refusals.count == Self.hostile.count)
        #expect(plan.domains.map(\.name) == ["c2.blogspot.com", "evil.co.uk", "www.ck", "xn--55qx5d.xn--fiqs8s.example"])
        #expect(Set(plan.addresses.map(\.value)) == ["203.0.113.7", "198.51.100.0/24", "2001:db8::1", "11.0.0.0/8"])
        // The URL on a public suffix stays a URL; only its domain-wide block is refused.
        #expect(plan.urls.map(\.value).contains("http://blogspot.com/x"))
        let coUK = plan.refusals.first { $0.value == "co.uk" }
        #expect(coUK?.sources == ["hostile feed.csv:2"])
        #expect(coUK?.reason.contains("public suffix") == true)
        #expect(plan.refusals.first { $0.value == "0.0.0.0/0" }?.reason.contains("default route") == true)
        #expect(plan.refusals.first { $0.value == "10.20.30.40" }?.reason.contains("own network 10.0.0.0/8") == true)
        #expect(plan.refusals.first { $0.value == "64.0.0.0/2" }?.reason.contains("loopback") == true)
        #expect(plan.decisions.contains("refused: domain \"in-addr.arpa\" (hostile feed.csv:5): in-addr.arpa is a public suffix (Public Suffix List: anyone can register names under it); blocking it would block every domain below it"))
        for format in [BlocklistFormat.dnsmasq, .unbound, .rpz, .suricata, .hosts] {
            let text = BlocklistBuilder.render(plan, as: format)
            for bad in ["=/co.uk/", "\"co.uk.\"", "\nco.uk ", "com.au", "in-addr.arpa", "0.0.0.0/0", "::/0", "127.0.0.1 ", "fe80::1", "10.20.30.40"] {
                #expect(!text.contains(bad), "\(format): \(bad)")
            }
        }
    }

    @Test func forceWritesThemAndSaysSo() {
        let plan = BlocklistBuilder.plan(Self.feed(Self.hostile), guard: BlocklistGuard(publicSuffixes: Self.list, force: true))
        #expect(plan.refusals.isEmpty)
        #expect(plan.domains.map(\.name).contains("co.uk"))
        #expect(plan.addresses.map(\.value).contains("0.0.0.0/0"))
        #expect(plan.decisions.filter { $0.hasPrefix("forced (--force): ") }.count == Self.hostile.count - 2)  // no own ranges given: 10.x pass
    }

    /// The list the system ships (Debian package publicsuffix), when installed.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: PublicSuffixList.defaultPaths[0]), "publicsuffix is not installed"))
    func systemList() throws {
        let list = try PublicSuffixList.load()
        #expect(list.isFullList && list.ruleCount > 5000)
        for suffix in ["co.uk", "com.au", "blogspot.com", "in-addr.arpa", "github.io"] { #expect(list.isPublicSuffix(suffix), "\(suffix)") }
        for name in ["akamaicontainer.com", "msstorageboxes.com", "journalide.org", "evil.co.uk"] { #expect(!list.isPublicSuffix(name), "\(name)") }
    }

    @Test func fallbackIsTheBuiltInList() throws {
        let list = PublicSuffixList(text: PublicSuffixList.builtIn, source: "built-in", isFullList: false)
        for suffix in ["co.uk", "com.au", "blogspot.com", "in-addr.arpa", "com"] { #expect(list.isPublicSuffix(suffix), "\(suffix)") }
        #expect(throws: (any Error).self) { try PublicSuffixList.load(path: "/nonexistent/public_suffix_list.dat") }
    }
}
