import Testing
import VigilIndicators

/// ``Salvage`` on single values and ``IndicatorSet/matchURLPath(_:)``.
@Suite struct SalvageUnitTests {
    @Test(arguments: [
        ("198.51.100.4:443", IndicatorKind.ipv4, "198.51.100.4", Salvage.Rule.portRemoved),
        ("198.51.100.4 : 443", .ipv4, "198.51.100.4", .portRemoved),
        ("203.0.113.7/t4", .url, "http://203.0.113.7/t4", .schemeAdded),
        ("hXXps:/sub.example.com/x/", .url, "https://sub.example.com/x/", .schemeSlash),
        ("sha-256 = " + String(repeating: "ab", count: 32), .sha256, String(repeating: "ab", count: 32), .prefixStripped),
        ("evil.example?", .domain, "evil.example", .strayQuestionMark),
    ])
    func repairs(_ raw: String, _ kind: IndicatorKind, _ value: String, _ rule: Salvage.Rule) throws {
        #expect(Normalizer.classify(raw) == nil || rule == .schemeAdded)
        let outcome = try #require(Salvage.classify(raw))
        #expect(outcome.kind == kind && outcome.value == value)
        #expect(outcome.corrections.map(\.rule) == [rule])
    }

    @Test(arguments: ["1.2.3.256", "1.2.3.256:443", "1.2.3.256/x", "10.0.0.0/33", "host:99999", "?", "sha1:", "evil .com", "http:/"])
    func brokenValuesAreNotRepaired(_ raw: String) {
        #expect(Salvage.classify(raw) == nil)
    }

    /// A type name followed by a port is a name with a port, not a prefix.
    @Test func typePrefixNeedsAValue() {
        #expect(Salvage.splitTypePrefix("host:443") == nil)
        #expect(Salvage.splitTypePrefix("domain.example") == nil)
        #expect(Salvage.splitTypePrefix("MD5: x")?.prefix == "MD5:")
    }

    @Test func fileNamePatterns() {
        #expect(Salvage.fileNamePattern("ffmpeg.dll") == #"\\ffmpeg\.dll$"#)
        #expect(Salvage.fileNamePattern("a(1)+.exe") == #"\\a\(1\)\+\.exe$"#)
        #expect(Salvage.fileNamePattern("noextension") == nil)
        #expect(Salvage.fileNamePattern("dir/evil.exe") == nil)
        #expect(Salvage.fileNamePattern(".hidden") == nil)
    }

    @Test func urlPathNormalisation() {
        #expect(Normalizer.normalizeURLPath(" /api/device_info.php#frag ") == "/api/device_info.php")
        #expect(Normalizer.normalizeURLPath("/") == nil)
        #expect(Normalizer.normalizeURLPath("//host/x") == nil)
        #expect(Normalizer.normalizeURLPath("/a b") == nil)
        #expect(Normalizer.normalizeURLPath("api/x") == nil)
        #expect(Normalizer.normalizeURLPath("/" + String(repeating: "a", count: 2048)) == nil)
    }

    @Test func urlPathMatching() {
        let set = IndicatorSet([
            Indicator(kind: .urlPath, value: "/api/device_info.php"),
            Indicator(kind: .urlPath, value: "/gate.php?id="),
            Indicator(kind: .urlPath, value: "/static/x/"),
            Indicator(kind: .urlPath, value: "/static/x/y/"),
        ])
        #expect(set.hasURLPaths)
        #expect(set.matchURLPath("/api/device_info.php")?.value == "/api/device_info.php")
        #expect(set.matchURLPath("/api/device_info.php?a=1#f")?.value == "/api/device_info.php")
        #expect(set.matchURLPath("http://h.example:8080/api/device_info.php")?.value == "/api/device_info.php")
        #expect(set.matchURLPath("/api/device_info.php/more") == nil)
        #expect(set.matchURLPath("/API/device_info.php") == nil)
        #expect(set.matchURLPath("/gate.php?id=") != nil)
        #expect(set.matchURLPath("/gate.php?id=5&x=1")?.value == "/gate.php?id=")
        #expect(set.matchURLPath("/gate.php?idx=5") == nil)
        #expect(set.matchURLPath("/gate.php") == nil)
        // Prefixes: the longest `/`-terminated one wins; "/" alone never matches.
        #expect(set.matchURLPath("/static/x/y/z.js")?.value == "/static/x/y/")
        #expect(set.matchURLPath("/static/x/z.js")?.value == "/static/x/")
        #expect(set.matchURLPath("/static/xz") == nil)
        #expect(set.matchURLPath("/") == nil)
        #expect(set.matchURLPath("http://h.example?q") == nil)
        #expect(!IndicatorSet().hasURLPaths)
        // A hostile target with many slashes is bounded by the longest indicator.
        #expect(set.matchURLPath(String(repeating: "/", count: 100_000)) == nil)
    }
}
