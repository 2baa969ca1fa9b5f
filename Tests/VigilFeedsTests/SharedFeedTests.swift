import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilFeeds

/// Every feed in the reference data set/feeds imports with the expected counts. The expected distinct
/// values per kind were counted independently with scripts/feeds/count_feeds.py (Python csv,
/// PyMISP 2.5, stix2-patterns 2.1 `inspect()`, ElementTree) and agree with data/SOURCES.md
/// (e.g. Sophos 3CX: 8 SHA256 + 21 C2 domains + 1 staging URL; Volexity: 23 hostnames, 6 file rows
/// of three hashes each, 5 e-mails; ESET lazarus_3cx: 17 to_ids = 15 hashes/URLs + 2 text).
@Suite(.enabled(if: TestSupport.sharedData != nil, Comment(rawValue: TestSupport.sharedDataMissing)))
struct SharedFeedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var path: String
        var expected: [IndicatorKind: Int]
        var rejected = 0
        var skipped: [String: Int] = [:]
        var includeExpired = false
        var testDescription: String { path }
    }

    static let feeds = TestSupport.sharedData?.appendingPathComponent("feeds")
    /// A fixed clock: the day these counts were taken.
    static let now = ISO8601DateFormatter().date(from: "2026-11-21T00:00:00Z")!

    static let cases: [Case] = [
        Case(path: "sophos/3CX_IoCs_2023-03.csv", expected: [.sha256: 8, .domain: 21, .url: 1], skipped: ["description row": 1]),
        Case(path: "sophos/2507_Gold_Blade_DLL_sideloading_RedLoader.csv", expected: [.sha256: 2, .sha1: 1, .domain: 3],
             rejected: 1, skipped: ["description row": 1, "type filepath": 1]),
        Case(path: "sophos/DLLsideloading-PlugX-USBworm-2023-03.csv", expected: [.sha256: 6, .ipv4: 1], skipped: ["description row": 1]),
        Case(path: "sophos/Ransomware-Qilin-STAC4365.csv", expected: [.sha256: 6, .url: 2, .domain: 1, .ipv4: 5],
             skipped: ["type file_path_name": 4]),
        Case(path: "volexity/3cx-iocs.csv", expected: [.domain: 23, .sha256: 6, .sha1: 6, .md5: 6, .email: 5]),
        Case(path: "misp/eset/lazarus_3cx.json", expected: [.md5: 4, .sha1: 4, .sha256: 4, .url: 3],
             skipped: ["to_ids=false": 6, "type text": 23, "type filename": 4, "type port": 2]),
        Case(path: "misp/eset/bespin.json", expected: [:], skipped: ["to_ids=false": 1, "type text": 1, "type filename": 1]),
        Case(path: "misp/eset/cloudmensis.misp.json", expected: [.md5: 3, .sha1: 3, .sha256: 3]),
        Case(path: "misp/eset/misp.event_2021-06-10_backdoordiplomacy.json", expected: [.md5: 22, .sha1: 22, .sha256: 22],
             skipped: ["type link": 1]),
        // The two x509 indicators hold 4 comparisons (count_feeds.py counts comparisons; Vigil counts the AND once).
        Case(path: "stix/oasis/apt1.json", expected: [.cidr: 4, .domain: 3, .md5: 3], skipped: ["unsupported pattern": 2]),
        Case(path: "stix/oasis/poisonivy.json", expected: [.domain: 24, .ipv4: 18], rejected: 1, skipped: ["unsupported pattern": 2]),
        Case(path: "stix/oasis/indicator-for-c2-ip-address.json", expected: [.ipv4: 1]),
        Case(path: "stix/oasis/indicators-for-C2-with-COA.json", expected: [.ipv4: 1, .sha256: 1]),
        Case(path: "stix/amnesty/novispy.stix2", expected: [.ipv4: 7, .sha256: 4], skipped: ["unsupported pattern": 7]),
        Case(path: "stix/amnesty/cytrox.stix2", expected: [.domain: 336], skipped: ["unsupported pattern": 7]),
        Case(path: "stix/sekoia/2021-11-10_APT31_STIX2.jsonl", expected: [:], skipped: ["expired": 102, "pattern_type yara": 2]),
        Case(path: "stix/sekoia/2021-11-10_APT31_STIX2.jsonl", expected: [.domain: 43, .ipv4: 53, .md5: 6, .sha1: 2, .sha256: 2],
             skipped: ["pattern_type yara": 2], includeExpired: true),
        Case(path: "openioc/fireeye/0b879284-0c37-4bfa-9dd8-34505a9c5175.ioc", expected: [.md5: 1, .ipv4: 1],
             skipped: ["search FileItem/FileName": 1]),
        Case(path: "openioc/fireeye/62f65dae-9475-44b0-a9eb-c1baebbd9885.ioc", expected: [.domain: 5, .ipv4: 2]),
        Case(path: "openioc/fireeye/a6c6dbf0-d72a-4f07-8b11-55527aef4755.ioc", expected: [:]),
        Case(path: "openioc/iocwriter/378f0cce-b8df-41d5-8189-3d7ec102e52f.ioc", expected: [.md5: 1]),
        Case(path: "openioc/iocwriter/55075e99-273a-4b81-b92b-672be6666474.ioc", expected: [:]),
        Case(path: "openioc/iocwriter/c158ef8c-e664-43c5-b71d-3488a3325fcb.ioc", expected: [.md5: 1], skipped: ["negated item": 1]),
        Case(path: "openioc/iocwriter/d7ec102e-b8df-41d5-8189-352f378f0cce.ioc", expected: [.md5: 1]),
        Case(path: "openioc/fireeye", expected: [.md5: 1, .domain: 5, .ipv4: 3]),
        Case(path: "openioc/iocwriter", expected: [.md5: 2]),
        Case(path: "misp/eset", expected: [.md5: 29, .sha1: 29, .sha256: 29, .url: 3]),
    ]

    @Test(arguments: cases)
    func importsWithExpectedCounts(_ c: Case) throws {
        let url = try #require(Self.feeds).appendingPathComponent(c.path)
        let result = try FeedReader.read(contentsOf: url, feed: "t", format: nil,
                                         options: FeedReadOptions(now: Self.now, includeExpired: c.includeExpired))
        #expect(result.indicators.countsByKind.filter { $0.value > 0 } == c.expected.filter { $0.value > 0 })
        #expect(result.summary.totalRejected == c.rejected, "\(result.diagnostics.filter { $0.kind == "rejected-row" })")
        for (reason, n) in c.skipped where n > 0 {
            #expect(result.summary.skipped[reason] == n, "skipped[\(reason)] in \(result.summary.skipped)")
        }
        // Every rejected row names its file and line or record.
        for d in result.diagnostics where d.kind == "rejected-row" {
            #expect(!d.path.isEmpty && !d.message.isEmpty)
        }
    }

    /// MD5/SHA-1 values linked to a loaded SHA-256 of the same file: Volexity packs each file's
    /// digests in one cell (6 files); ESET's MISP events hold 7 `file` objects with one SHA-256 each
    /// (counted independently with a short Python walk over the JSON), the backdoordiplomacy event
    /// only loose attributes.
    @Test(arguments: [("volexity/3cx-iocs.csv", 12), ("misp/eset", 14)])
    func sameFileLinks(_ path: String, linked: Int) throws {
        let url = try #require(Self.feeds).appendingPathComponent(path)
        let set = try FeedReader.read(contentsOf: url, feed: "t").indicators
        let links = set.indicators.filter { ($0.kind == .md5 || $0.kind == .sha1) && $0.sameFileSHA256 != nil }
        #expect(links.count == linked)
        #expect(links.allSatisfy { set.contains(.sha256, $0.sameFileSHA256 ?? "") })
    }

    /// signature-base's filename-iocs.txt: 3,711 distinct regexes, 30 with one false-positive regex
    /// (a Python walk over the file gives the same).
    @Test func lokiFalsePositiveColumnIsKept() throws {
        let url = try #require(TestSupport.sharedData).appendingPathComponent("iocs-loki/filename-iocs.txt")
        let set = try FeedReader.read(contentsOf: url, feed: "sb").indicators
        #expect(set.countsByKind[.filename] == 3_711)
        #expect(set.indicators.filter { $0.falsePositivePattern != nil }.count == 30)
    }

    /// Salvage over every SophosLabs table in the shared data: rows rejected versus rows imported
    /// after a correction. Expected from reading the files: 3CX holds 21 C2 domains in `URL` rows and
    /// one scheme-less staging URL; Gold Blade 3 bare hosts in `url` rows and the `,f,` row (no type,
    /// line 22), the only rejection; PlugX one address in a `url` row; Qilin's values fit their
    /// columns. Before salvage the same files gave 1 rejected row and 26 rows changed without a note.
    @Test func sophosTablesRejectedVersusCorrected() throws {
        let dir = try #require(Self.feeds).appendingPathComponent("sophos")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".csv") }.sorted()
        var rejected = 0, corrected = 0, notTables = 0
        var perRule: [String: Int] = [:]
        var perFile: [String: Int] = [:]
        for name in files {
            guard let r = try? FeedReader.read(contentsOf: dir.appendingPathComponent(name), feed: "s") else {
                notTables += 1
                continue
            }
            rejected += r.summary.totalRejected
            corrected += r.summary.correctedRows
            perFile[name] = r.summary.correctedRows
            for (rule, n) in r.summary.corrected { perRule[rule, default: 0] += n }
            // Every note names its file, line and the value as published.
            for d in r.diagnostics where d.kind == "corrected" {
                #expect(d.path.hasSuffix(name) && d.line != nil && d.message.hasPrefix("'"))
            }
        }
        print("sophos tables: \(files.count) files, \(notTables) not an indicator table, rejected rows \(rejected), corrected rows \(corrected) \(perRule.sorted { $0.key < $1.key })")
        #expect(notTables == 1)  // Sunburst_blocklists.csv
        #expect(rejected == 1)
        #expect(corrected == 26)
        #expect(perRule == ["reclassified": 25, "scheme-added": 1])
        #expect(perFile["3CX_IoCs_2023-03.csv"] == 22)
        #expect(perFile["2507_Gold_Blade_DLL_sideloading_RedLoader.csv"] == 3)
        #expect(perFile["DLLsideloading-PlugX-USBworm-2023-03.csv"] == 1)
        #expect(perFile["Ransomware-Qilin-STAC4365.csv"] == 0)
    }

    @Test func sunburstBlocklistIsRejectedWithAClearMessage() throws {
        let url = try #require(Self.feeds).appendingPathComponent("sophos/Sunburst_blocklists.csv")
        #expect(FeedReader.detect(text: try String(contentsOf: url, encoding: .utf8), fileName: url.lastPathComponent) == .csv)
        let error = try #require(throws: FeedError.self) { try FeedReader.read(contentsOf: url, feed: "t") }
        #expect(error.message.contains("not an indicator table"))
        #expect(error.message.contains("Process filename checks"))
    }

    @Test func defangedAndOddValuesAreRepaired() throws {
        let feeds = try #require(Self.feeds)
        let gold = try FeedReader.read(contentsOf: feeds.appendingPathComponent("sophos/2507_Gold_Blade_DLL_sideloading_RedLoader.csv"), feed: "g")
        // "automatinghrservices[.] workers[.]dev": the space after [.] is part of the defanging.
        #expect(gold.indicators.contains(.domain, "automatinghrservices.workers.dev"))
        let rejected = try #require(gold.diagnostics.first { $0.kind == "rejected-row" })
        #expect(rejected.line == 22)
        let qilin = try FeedReader.read(contentsOf: feeds.appendingPathComponent("sophos/Ransomware-Qilin-STAC4365.csv"), feed: "q")
        let urls = qilin.indicators.indicators(of: .url).map(\.value)
        // Both defanged schemes are refanged; %2F stays encoded.
        #expect(urls.contains { $0.hasPrefix("https://b8dymnk3.r.us-east-1.awstrack.me/L0/https:%2F%2Fcloud.screenconnect.com.ms%2F") })
        let cx = try FeedReader.read(contentsOf: feeds.appendingPathComponent("sophos/3CX_IoCs_2023-03.csv"), feed: "s")
        let staging = try #require(cx.indicators.lookup(.url, "http://raw.githubusercontent.com/IconStorages/images/main/"))
        #expect(staging.provenance.first?.line == 11)
        #expect(cx.indicators.lookup(.domain, "akamaicontainer.com")?.provenance.first?.original == "akamaicontainer[.]com")
    }

    @Test func threeCXFeedsMergeWithAllSources() throws {
        let feeds = try #require(Self.feeds)
        let store = FeedStore(directory: try TestSupport.makeTemporaryDirectory("vigil-store"))
        defer { try? FileManager.default.removeItem(at: store.directory) }
        try store.add(feeds.appendingPathComponent("sophos/3CX_IoCs_2023-03.csv"), name: "sophos-3cx")
        try store.add(feeds.appendingPathComponent("volexity/3cx-iocs.csv"), name: "volexity-3cx")
        try store.add(feeds.appendingPathComponent("misp/eset/lazarus_3cx.json"), name: "eset-3cx", options: FeedReadOptions(includeNonIDS: true))
        let all = try store.loadAll().indicators
        // journalide.org: a Sophos URL row, a Volexity hostname and an ESET domain attribute (to_ids=false, kept here).
        #expect(all.lookup(.domain, "journalide.org")?.feeds == ["eset-3cx", "sophos-3cx", "volexity-3cx"])
        // The ffmpeg.dll SHA-256 is in Sophos and Volexity.
        #expect(all.lookup(.sha256, "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896")?.feeds == ["sophos-3cx", "volexity-3cx"])
        // The 21 apex C2 domains are the same in Sophos and Volexity: every one has both sources.
        let sophosDomains = all.indicators.filter { $0.kind == .domain && $0.feeds.contains("sophos-3cx") }
        #expect(sophosDomains.count == 21)
        #expect(sophosDomains.allSatisfy { $0.feeds.contains("volexity-3cx") })
        // www.journalide.org (Volexity only) is matched by subdomain walking, most specific first.
        #expect(all.matchDomain("WWW.JournalIDE.org.")?.value == "www.journalide.org")
        #expect(all.matchDomain("cdn.akamaicontainer.com")?.value == "akamaicontainer.com")
        #expect(all.matchURL("https://journalide.org/djour.php?x=1")?.feeds == ["eset-3cx"])
    }

    /// A real MISP feed folder: the four ESET events turned into a feed by PyMISP's own `to_feed()`
    /// and `feed_meta_generator()` (4 manifest entries, 142 hashes.csv lines, as in SOURCES.md);
    /// Vigil reads it through manifest.json with the same counts as the event files.
    @Test(.enabled(if: ExportTests.hasLibraries, "python3 with pymisp is not available"))
    func pymispBuiltFeedFolder() throws {
        let feeds = try #require(Self.feeds)
        let dir = try TestSupport.makeTemporaryDirectory("misp-feed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
            import glob, json, sys
            from pathlib import Path
            from pymisp import MISPEvent
            from pymisp.tools import feed_meta_generator
            for f in sorted(glob.glob(sys.argv[1] + '/*.json')):
                e = MISPEvent(); e.load_file(f)
                Path(sys.argv[2], e.uuid + '.json').write_text(json.dumps(e.to_feed(valid_distributions=[0, 1, 2, 3, 4, 5])))
            feed_meta_generator(Path(sys.argv[2]))
            print(len(json.load(open(Path(sys.argv[2], 'manifest.json')))), sum(1 for _ in open(Path(sys.argv[2], 'hashes.csv'))))
            """
        let r = try TestSupport.run(try #require(ExportTests.python), ["-c", script, feeds.appendingPathComponent("misp/eset").path, dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "4 142")
        let result = try FeedReader.read(contentsOf: dir, feed: "eset-feed")
        #expect(result.format == .misp)
        #expect(result.indicators.countsByKind == [.md5: 29, .sha1: 29, .sha256: 29, .url: 3])
        #expect(result.summary.skipped["to_ids=false"] == 7)
    }
}
