import Testing
@testable import VigilIndicators

@Suite struct RefangTests {
    // Expected outputs from ioc_fanger.fang() 5.1.1 (PyPI ioc-fanger).
    @Test(arguments: [
        ("akamaicontainer[.]com", "akamaicontainer.com"),
        ("http[:]//raw.githubusercontent[.]com/x", "http://raw.githubusercontent.com/x"),
        ("hxxps[://]ledabel[.]be/en/", "https://ledabel.be/en/"),
        ("hxxps[:]//a[.]me/L0/https[:]%2F%2Fb[.]com", "https://a.me/L0/https:%2F%2Fb.com"),
        ("175[.]118[.]126[.]65:8002", "175.118.126.65:8002"),
        ("78.46.67[.]201", "78.46.67.201"),
        ("1.2.3[.]4/24", "1.2.3.4/24"),
        ("leonidbo4kariev[@]gmail[.]com", "leonidbo4kariev@gmail.com"),
        ("user[at]evil.com", "user@evil.com"),
        ("evil(.)com", "evil.com"), ("evil[dot]com", "evil.com"), ("hxxp://evil{.}com", "http://evil.com"),
        ("automatinghrservices[.] workers[.]dev", "automatinghrservices.workers.dev"),
        ("fxp://x[.]y", "ftp://x.y"),
        ("hXXps://evil[.]example[.]com/a[.]exe", "https://evil.example.com/a.exe"),
        ("c:\\users\\[username]\\appdata", "c:\\users\\[username]\\appdata"),
        ("evil .com", "evil .com"),
        ("\u{FEFF}https://x.test/ \u{200E}", "https://x.test/"),
    ])
    func refangsKnownTokensOnly(raw: String, expected: String) {
        #expect(Normalizer.refang(raw) == expected)
    }
}

@Suite struct MatcherTests {
    func set(_ items: [(IndicatorKind, String)]) -> IndicatorSet {
        IndicatorSet(items.map { Indicator(kind: $0.0, value: $0.1, provenance: [Provenance(feed: "t")]) })
    }

    @Test func hashesAnyCase() {
        let s = set([(.sha256, String(repeating: "ab", count: 32)), (.md5, String(repeating: "0", count: 32))])
        #expect(s.matchHash(String(repeating: "AB", count: 32))?.kind == .sha256)
        #expect(s.matchHashes(md5: String(repeating: "0", count: 32), sha1: nil, sha256: String(repeating: "ab", count: 32)).count == 2)
        #expect(s.matchHash(String(repeating: "1", count: 32)) == nil)
        #expect(s.matchHash("xyz") == nil)
    }

    @Test func domainsMostSpecificFirstAndIDNA() {
        let s = set([(.domain, "evil.com"), (.domain, "www.evil.com"), (.domain, "xn--bcher-kva.example")])
        #expect(s.matchDomain("a.www.evil.com")?.value == "www.evil.com")
        #expect(s.matchDomain("b.EVIL.com.")?.value == "evil.com")
        #expect(s.matchDomain("shop.bücher.example")?.value == "xn--bcher-kva.example")
        #expect(s.matchDomain("evil.com.au") == nil)
        #expect(s.matchDomain("") == nil)
    }

    @Test func urlsLongestPrefixSamePort() {
        let s = set([(.url, "http://raw.githubusercontent.com/IconStorages/"), (.url, "http://raw.githubusercontent.com/IconStorages/images/main/"),
                     (.url, "https://evil.test:8443/x")])
        #expect(s.matchURL("HTTP://raw.githubusercontent.com:80/IconStorages/images/main/icon13.ico")?.value
                == "http://raw.githubusercontent.com/IconStorages/images/main/")
        #expect(s.matchURL("http://raw.githubusercontent.com/IconStorages/other")?.value == "http://raw.githubusercontent.com/IconStorages/")
        #expect(s.matchURL("https://evil.test/x") == nil)  // port differs
        #expect(s.matchURL("https://evil.test:8443/x/y") != nil)
    }

    @Test func addressesAndNetworksLongestPrefix() {
        let s = set([(.cidr, "10.0.0.0/8"), (.cidr, "10.1.0.0/16"), (.ipv4, "10.1.2.3"), (.cidr, "0.0.0.0/0"),
                     (.cidr, "2001:db8::/32"), (.ipv6, "2001:db8::1"), (.cidr, "2001:db8:0:1::/64")])
        #expect(s.matchIP("10.1.2.3")?.value == "10.1.2.3")
        #expect(s.matchIP("10.1.9.9")?.value == "10.1.0.0/16")
        #expect(s.matchIP("10.200.0.1")?.value == "10.0.0.0/8")
        #expect(s.matchIP("192.0.2.1")?.value == "0.0.0.0/0")
        #expect(s.matchIP("2001:DB8::1")?.value == "2001:db8::1")
        #expect(s.matchIP("2001:db8:0:1::5")?.value == "2001:db8:0:1::/64")
        #expect(s.matchIP("2001:db8:ffff::1")?.value == "2001:db8::/32")
        #expect(s.matchIP("2001:db9::1") == nil)
        #expect(s.matchIP("not an ip") == nil)
    }

    @Test func prefixTableMasks() {
        #expect(UInt32(0xffff_ffff).masked(to: 0) == 0)
        #expect(UInt32(0xffff_ffff).masked(to: 15) == 0xfffe_0000)
        let v6 = IPv6Address(high: .max, low: .max)
        #expect(v6.masked(to: 64) == IPv6Address(high: .max, low: 0))
        #expect(v6.masked(to: 65) == IPv6Address(high: .max, low: 1 << 63))
        #expect(v6.masked(to: 1) == IPv6Address(high: 1 << 63, low: 0))
        var t = PrefixTable<UInt32>()
        t.insert(0x0a00_0000, length: 8, index: 1)
        t.insert(0x0a00_0000, length: 8, index: 2)  // the first index stored wins
        #expect(t.longestMatch(0x0aff_ffff) == 1)
        #expect(t.count == 1)
    }
}
