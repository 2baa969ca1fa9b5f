import Foundation
import Testing
import VigilCore
import VigilIndicators
import _VigilTestSupport
@testable import VigilFeeds

/// Feed salvage: every rule on a one-row SophosLabs-style table written for these tests, each
/// checked for the imported indicator, the per-row note (file, line, value as published, why) and the
/// summary counts; and every value that is broken rather than misformatted stays rejected with its line.
@Suite struct SalvageTests {
    /// Reads `Indicator_type,Data,Note` plus one data row (line 2).
    private func row(_ type: String, _ value: String) throws -> FeedImport {
        let text = "Indicator_type,Data,Note\r\n\(type),\(value),test row\r\n"
        return try FeedReader.parse(text: text, path: "row.csv", feed: "t", format: .csv, options: FeedReadOptions())
    }

    private func corrected(_ r: FeedImport) -> [Diagnostic] { r.diagnostics.filter { $0.kind == "corrected" } }
    private func rejected(_ r: FeedImport) -> [Diagnostic] { r.diagnostics.filter { $0.kind == "rejected-row" } }

    struct Case: Sendable, CustomTestStringConvertible {
        var type: String
        var value: String
        var kind: IndicatorKind
        var expected: String
        var rules: [Salvage.Rule]
        /// Words the note must contain (the reason, not just the rule name).
        var because: String
        var testDescription: String { "\(type),\(value)" }
    }

    static let sha1 = "e2f5b9f6d9f0d0a1b6c5e3a9d7c1b2a3f4e5d6c7"
    static let md5 = "0eeb1c0133eb4d571178b2d9d14ce3e9"

    static let cases: [Case] = [
        // Type reclassified by length: 40 hex digits are a SHA-1 whatever the column says.
        Case(type: "sha256", value: sha1.uppercased(), kind: .sha1, expected: sha1, rules: [.reclassified], because: "40 hex digits"),
        Case(type: "md5", value: sha1, kind: .sha1, expected: sha1, rules: [.reclassified], because: "are a SHA-1"),
        Case(type: "sha1", value: md5, kind: .md5, expected: md5, rules: [.reclassified], because: "32 hex digits"),
        // Type reclassified by form.
        Case(type: "ip", value: "update.example-cdn.com", kind: .domain, expected: "update.example-cdn.com", rules: [.reclassified],
             because: "a domain in a 'ip' column"),
        Case(type: "ip", value: "hxxp://198.51.100.9/gate", kind: .url, expected: "http://198.51.100.9/gate", rules: [.reclassified],
             because: "a URL"),
        Case(type: "url", value: "akamaicontainer[.]com", kind: .domain, expected: "akamaicontainer.com", rules: [.reclassified],
             because: "a domain in a 'url' column"),
        Case(type: "domain", value: "hxxps[://]ledabel[.]be/en/", kind: .url, expected: "https://ledabel.be/en/", rules: [.reclassified],
             because: "a URL in a 'domain' column"),
        // Port split off.
        Case(type: "ip", value: "198.51.100.4:443", kind: .ipv4, expected: "198.51.100.4", rules: [.portRemoved], because: "port 443 removed"),
        Case(type: "ip", value: "198.51.100.4: 443", kind: .ipv4, expected: "198.51.100.4", rules: [.portRemoved], because: "port 443"),
        Case(type: "ip", value: "[2001:db8::7]:8443", kind: .ipv6, expected: "2001:db8::7", rules: [.portRemoved], because: "port 8443"),
        Case(type: "domain", value: "c2.example.net:8080", kind: .domain, expected: "c2.example.net", rules: [.portRemoved], because: "port 8080"),
        // Scheme-less URLs read as http://.
        Case(type: "url", value: "203.0.113.7/t4", kind: .url, expected: "http://203.0.113.7/t4", rules: [.schemeAdded], because: "read as http://"),
        Case(type: "url", value: "203.0.113.7:8080/a.vbs", kind: .url, expected: "http://203.0.113.7:8080/a.vbs", rules: [.schemeAdded],
             because: "no scheme"),
        Case(type: "url", value: "host.example:443/path", kind: .url, expected: "http://host.example:443/path", rules: [.schemeAdded],
             because: "no scheme"),
        Case(type: "url", value: "raw.githubusercontent.com/IconStorages/images/main/", kind: .url,
             expected: "http://raw.githubusercontent.com/IconStorages/images/main/", rules: [.schemeAdded], because: "read as http://"),
        // One slash after a defanged scheme.
        Case(type: "url", value: "hxxps:/sub.example.com/x/", kind: .url, expected: "https://sub.example.com/x/", rules: [.schemeSlash],
             because: "one slash after 'https:'"),
        // Type prefixes stripped.
        Case(type: "sha1", value: "SHA1: \(sha1)", kind: .sha1, expected: sha1, rules: [.prefixStripped], because: "type prefix 'SHA1:'"),
        Case(type: "sha256", value: "SHA1: \(sha1)", kind: .sha1, expected: sha1, rules: [.prefixStripped, .reclassified], because: "are a SHA-1"),
        Case(type: "ip", value: "ip=198.51.100.23", kind: .ipv4, expected: "198.51.100.23", rules: [.prefixStripped], because: "'ip='"),
        // A stray '?'.
        Case(type: "domain", value: "?pbxsources[.]com", kind: .domain, expected: "pbxsources.com", rules: [.strayQuestionMark],
             because: "stray '?'"),
        Case(type: "md5", value: "\(md5)?", kind: .md5, expected: md5, rules: [.strayQuestionMark], because: "stray '?'"),
        // A file name in a File column.
        Case(type: "File", value: "3CXDesktopApp.exe", kind: .filename, expected: #"\\3CXDesktopApp\.exe$"#, rules: [.fileName],
             because: "ending in /3CXDesktopApp.exe"),
    ]

    @Test(arguments: cases)
    func eachRuleImportsTheValueWithANote(_ c: Case) throws {
        let r = try row(c.type, c.value)
        #expect(rejected(r).isEmpty, "\(rejected(r))")
        let indicator = try #require(r.indicators.lookup(c.kind, c.expected), "\(r.indicators.indicators.map { "\($0.kind) \($0.value)" })")
        #expect(indicator.provenance.first?.line == 2)
        // The value as published is kept whenever it differs from the imported one.
        #expect((indicator.provenance.first?.original ?? indicator.value) == c.value)
        let notes = corrected(r)
        #expect(notes.count == 1)
        let note = try #require(notes.first)
        #expect(note.path == "row.csv" && note.line == 2)
        #expect(note.message.contains("'\(c.value)'"), "\(note.message)")
        #expect(note.message.contains(c.because), "\(note.message)")
        #expect(Set(r.summary.corrected.keys) == Set(c.rules.map(\.rawValue)))
        #expect(r.summary.correctedRows == 1)
        #expect(!r.summary.hasRejections)
    }

    /// Values already in canonical form for their column get no note.
    @Test(arguments: [("sha256", String(repeating: "ab", count: 32)), ("ip", "198.51.100.4"), ("domain", "evil.example"),
                      ("url", "https://evil.example/x"), ("ip_port", "198.51.100.4:8002"), ("url_path", "/api/device_info.php")])
    func canonicalValuesAreNotCorrected(_ type: String, _ value: String) throws {
        let r = try row(type, value)
        #expect(r.indicators.count == 1)
        #expect(corrected(r).isEmpty && r.summary.correctedRows == 0)
    }

    @Test func urlPathRowsBecomeURLPathIndicators() throws {
        let r = try row("url_path", "/api/device_info.php")
        let indicator = try #require(r.indicators.lookup(.urlPath, "/api/device_info.php"))
        #expect(indicator.kind.rawValue == "url_path")
        #expect(r.indicators.matchURLPath("/api/device_info.php?id=7")?.value == "/api/device_info.php")
        // A full URL in a url_path row is a URL (reclassified, with a note).
        let full = try row("url_path", "hxxp://203.0.113.7/api/device_info.php")
        #expect(full.indicators.contains(.url, "http://203.0.113.7/api/device_info.php"))
        #expect(full.summary.corrected == ["reclassified": 1])
    }

    /// URL-path indicators leave Vigil as MISP `uri` attributes and STIX `LIKE` patterns.
    @Test func urlPathExports() {
        let exact = Indicator(kind: .urlPath, value: "/api/device_info.php")
        let prefix = Indicator(kind: .urlPath, value: "/wp-content/plugins/x/")
        #expect(FeedExporter.stixPattern(for: exact) == "[url:value LIKE '%/api/device_info.php']")
        #expect(FeedExporter.stixPattern(for: prefix) == "[url:value LIKE '%/wp-content/plugins/x/%']")
        #expect(FeedExporter.mispType(.urlPath) == ("uri", "Network activity"))
    }

    struct Broken: Sendable, CustomTestStringConvertible {
        var type: String
        var value: String
        var reason: String
        var testDescription: String { "\(type),\(value)" }
    }

    static let broken: [Broken] = [
        Broken(type: "ip", value: "198.51.100.256", reason: "not a valid ip"),
        Broken(type: "ip", value: "198.51.100.256:443", reason: "not a valid ip"),
        Broken(type: "url", value: "198.51.300.4/t4", reason: "not a valid url"),
        Broken(type: "sha256", value: String(repeating: "a", count: 63), reason: "63 characters"),
        Broken(type: "sha256", value: "e2f5b9f6d9f0d0a1b6c5…", reason: "not all hex"),
        Broken(type: "sha1", value: "369acb06aac9492df4d174dbd31ebfb1e6e0c5f", reason: "39 characters"),
        Broken(type: "md5", value: "0eeb1c0133eb4d57", reason: "16 characters"),
        Broken(type: "ip", value: "203.0.113.0/33", reason: "not a valid ip"),
        Broken(type: "ip", value: "010.1.2.3", reason: "not a valid ip"),
        Broken(type: "domain", value: "evil .com", reason: "not a valid domain"),
        Broken(type: "url_path", value: "/", reason: "not a valid URL path"),
        Broken(type: "File", value: "unknown", reason: "not a valid digest or file name"),
        Broken(type: "File", value: "C:\\Users\\x\\evil.exe", reason: "not a valid digest or file name"),
        Broken(type: "ip", value: "198.51.100.4:70000", reason: "not a valid ip"),
    ]

    @Test(arguments: broken)
    func brokenValuesStayRejectedWithFileAndLine(_ b: Broken) throws {
        let r = try row(b.type, b.value)
        #expect(r.indicators.isEmpty, "\(r.indicators.indicators.map { "\($0.kind) \($0.value)" })")
        let rejections = rejected(r)
        #expect(rejections.count == 1)
        #expect(rejections.first?.path == "row.csv" && rejections.first?.line == 2)
        #expect(rejections.first?.message.contains(b.reason) == true, "\(rejections.first?.message ?? "")")
        #expect(corrected(r).isEmpty)
        #expect(r.summary.hasRejections)
    }

    /// A table mixing all of it: counts per rule, one rejection, the skipped type untouched.
    @Test func mixedTableCountsEveryOutcome() throws {
        let text = "\u{FEFF}Indicator,Data,Note\r\n"
            + "ip,198.51.100.4:443,C2\r\n"
            + "ip,198.51.100.5: 443,C2\r\n"
            + "url,203.0.113.7/t4,stage\r\n"
            + "sha256,\(Self.sha1),SHA-1 really\r\n"
            + "url_path,/api/device_info.php,beacon\r\n"
            + "ip,198.51.100.999,typo\r\n"
            + "filepath,C:\\x\\y.exe,path\r\n"
            + "domain,evil.example,plain\r\n"
        let r = try FeedReader.parse(text: text, path: "m.csv", feed: "m", format: .csv, options: FeedReadOptions())
        #expect(r.summary.accepted == [.ipv4: 2, .url: 1, .sha1: 1, .urlPath: 1, .domain: 1])
        #expect(r.summary.corrected == ["port-removed": 2, "scheme-added": 1, "reclassified": 1])
        #expect(r.summary.correctedRows == 4)
        #expect(r.summary.rejected == ["ip": 1])
        #expect(rejected(r).map(\.line) == [7])
        #expect(corrected(r).map(\.line) == [2, 3, 4, 5])
        #expect(r.summary.skipped == ["type filepath": 1])
    }

    /// Plain lists go through the same rules (no column, so no reclassification).
    @Test func plainListsAreSalvagedToo() {
        let text = "198.51.100.4:443\n203.0.113.7:8080/a.vbs\nhxxps:/sub.example.com/x/\nSHA1: \(Self.sha1)\n1.2.3.256\nevil.example\n"
        let r = FeedReader.read(text: text, path: "p.txt", feed: "p", format: .plain)
        #expect(r.indicators.contains(.ipv4, "198.51.100.4"))
        #expect(r.indicators.contains(.url, "http://203.0.113.7:8080/a.vbs"))
        #expect(r.indicators.contains(.url, "https://sub.example.com/x/"))
        #expect(r.indicators.contains(.sha1, Self.sha1))
        #expect(r.summary.correctedRows == 4)
        #expect(corrected(r).map(\.line) == [1, 2, 3, 4])
        #expect(rejected(r).map(\.line) == [5])
    }

    /// Stored feeds written before corrections were counted still load.
    @Test func summariesWithoutCorrectionCountsStillDecode() throws {
        let old = #"{"accepted":{"domain":2},"duplicates":{},"rejected":{"ip":1},"skipped":{}}"#
        let s = try JSONDecoder().decode(ImportSummary.self, from: Data(old.utf8))
        #expect(s.accepted == [.domain: 2] && s.totalRejected == 1 && s.correctedRows == 0 && s.corrected.isEmpty)
    }
}
