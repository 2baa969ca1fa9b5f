import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilScan

@Suite("File name matching")
struct FilenameMatcherTests {
    @Test(arguments: [
        (#"\\3CXDesktopApp-18\.12\.416\.msi"#, "\\3cxdesktopapp-18.12.416.msi"),
        (#"/tmp/[a-z]+\.so$"#, "/tmp/"),
        (#"(?i)\\Temp\\svchost\.exe"#, "\\temp\\svchost.exe"),
        (#"abc?def"#, "def"),
        (#"ab(cd|ef)ghij"#, "ghij"),
        (#"x*yz{2}longer"#, "longer"),
        (#"\d+password\.txt"#, "password.txt"),
        (#"foo|barbaz"#, nil),
        (#"a.b"#, nil),
        (#"\x41BCDEF"#, nil),
    ] as [(String, String?)])
    func requiredLiteral(pattern: String, literal: String?) {
        #expect(RegexLiteral.required(in: pattern).map { String(decoding: $0, as: UTF8.self) } == literal)
    }

    @Test(arguments: [
        (#"\.(doc|docx|pdf|txt)\.(exe|bat|com|scr|vbs)$"#, ["doc", "docx", "pdf", "txt"]),
        (#"[Cc]:\\(Web|Intel)\\[^\\"]{1,20}\.(exe|dll)"#, ["web", "intel"]),
        (#"\\((Users|Documents and Settings))\\x"#, ["users", "documents and settings"]),
        (#"foo|barbaz"#, ["foo", "barbaz"]),
        (#"(?:abc|defg)hi"#, ["abc", "defg"]),
        (#"(abc)?de"#, nil),
        (#"(?=abcd)x"#, nil),
        (#"(ab|cdef)"#, nil),
    ] as [(String, [String]?)])
    func literalAlternatives(pattern: String, expected: [String]?) {
        #expect(RegexLiteral.alternatives(in: pattern).map { $0.map { String(decoding: $0, as: UTF8.self) } } == expected)
    }

    @Test func prefilterNeverChangesTheResultOnLokiRegexes() throws {
        // Every regex of signature-base's filename-iocs.txt (or a built-in sample without shared
        // data), matched with the trigram pre-filter and by brute force, over paths built to hit them.
        var patterns = [#"\\3CXDesktopApp-18\.12\.416\.msi"#, #"\\Windows\\Temp\\[a-z]{4}\.exe"#, #"\.dll\.exe$"#, "mimikatz", #"\\(svchost|lsass)\.exe\.bak"#]
        if let data = TestSupport.sharedData {
            let text = try String(contentsOf: data.appendingPathComponent("iocs-loki/filename-iocs.txt"), encoding: .utf8)
            patterns = text.split(separator: "\n").compactMap { line in
                guard !line.hasPrefix("#"), let regex = line.split(separator: ";").first else { return nil }
                return String(regex)
            }
        }
        let indicators = patterns.map { Indicator(kind: .filename, value: $0, score: 50) }
        let matcher = FilenameMatcher(indicators: indicators)
        #expect(matcher.patternCount + matcher.rejected.count == Set(patterns).count || matcher.patternCount > 0)
        // With the shared data: 3,828 patterns, every one pre-filtered by a literal (or alternatives).
        #expect(matcher.unfilteredCount == 0)

        // Paths: literals of the patterns embedded in plausible paths, plus ordinary system paths.
        var paths = ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/home/user/Downloads/3CXDesktopApp-18.12.416.msi",
                     "/windows/temp/abcd.exe", "/tmp/MIMIKATZ.exe", "/x/lsass.exe.bak", "/tmp/ü/svchost.exe.bak"]
        // Every 20th pattern's literal (about 190 paths with the shared data): enough to exercise the
        // index while keeping the brute-force side (every regex on every path) quick.
        for p in stride(from: 0, to: patterns.count, by: max(1, patterns.count / 190)).map({ patterns[$0] }) {
            if let l = RegexLiteral.required(in: FilenameMatcher.adaptToPlatform(p)) {
                paths.append("/data/" + String(decoding: l, as: UTF8.self).uppercased())
            }
        }
        let brute = indicators.compactMap { i -> (Indicator, NSRegularExpression)? in
            (try? NSRegularExpression(pattern: FilenameMatcher.adaptToPlatform(i.value), options: [.caseInsensitive])).map { (i, $0) }
        }
        var totalHits = 0
        for path in paths {
            let range = NSRange(path.startIndex..., in: path)
            let expected = Set(brute.filter { $0.1.firstMatch(in: path, range: range) != nil }.map(\.0.value))
            let actual = Set(matcher.matches(path: path).map(\.value))
            #expect(actual == expected, "\(path)")
            totalHits += actual.count
        }
        #expect(totalHits >= 4)
    }
}
