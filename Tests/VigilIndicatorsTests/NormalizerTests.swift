import Testing
@testable import VigilIndicators

@Suite struct NormalizerTests {
    @Test(arguments: [
        ("hxxps://evil[.]example[.]com/a", IndicatorKind.url, "https://evil.example.com/a"),
        ("akamaicontainer[.]com", .domain, "akamaicontainer.com"),
        ("Example.COM.", .domain, "example.com"),
        ("45.142.166.112", .ipv4, "45.142.166.112"),
        ("2001:DB8:0:0::1", .ipv6, "2001:db8::1"),
        ("10.1.2.3/8", .cidr, "10.0.0.0/8"),
        ("AABBCCDDEEFF00112233445566778899", .md5, "aabbccddeeff00112233445566778899"),
        ("raw.githubusercontent.com/IconStorages/images/main/", .url, "http://raw.githubusercontent.com/IconStorages/images/main/"),
        ("bücher.example", .domain, "xn--bcher-kva.example"),
    ])
    func classifies(raw: String, kind: IndicatorKind, value: String) {
        let result = Normalizer.classify(raw)
        #expect(result?.kind == kind)
        #expect(result?.value == value)
    }

    @Test(arguments: ["", "not a value", "01.2.3.4", "-bad-.com", "com", "1.2.3.4.5", "a..b.com", "a-.com", "x.123", ".", "a_b.c-", String(repeating: "a", count: 64) + ".com", "g" + String(repeating: "0", count: 31)])
    func rejects(raw: String) {
        #expect(Normalizer.classify(raw) == nil)
    }
}

@Suite struct IndicatorSetTests {
    @Test func matchesSubdomainsButNotBareTLD() {
        var set = IndicatorSet()
        set.insert(Indicator(kind: .domain, value: "evil.com", provenance: [Provenance(feed: "t")]))
        #expect(set.matchDomain("A.B.EVIL.COM.")?.value == "evil.com")
        #expect(set.matchDomain("notevil.com") == nil)
        #expect(set.matchDomain("com") == nil)
    }

    @Test func mergesProvenanceOfDuplicates() {
        var set = IndicatorSet()
        #expect(set.insert(Indicator(kind: .md5, value: "a", provenance: [Provenance(feed: "x")])) == .added)
        #expect(set.insert(Indicator(kind: .md5, value: "a", provenance: [Provenance(feed: "y")])) == .merged)
        #expect(set.count == 1)
        #expect(set.lookup(.md5, "a")?.feeds == ["x", "y"])
    }

    @Test func matchesCIDRAndURLPrefix() {
        var set = IndicatorSet()
        set.insert(Indicator(kind: .cidr, value: "223.166.0.0/15"))
        set.insert(Indicator(kind: .url, value: "http://raw.githubusercontent.com/IconStorages/images/main/"))
        #expect(set.matchIP("223.167.255.1")?.value == "223.166.0.0/15")
        #expect(set.matchIP("223.168.0.1") == nil)
        #expect(set.matchURL("http://RAW.githubusercontent.com/IconStorages/images/main/icon12.ico") != nil)
        #expect(set.matchURL("http://raw.githubusercontent.com/other/repo") == nil)
    }
}
