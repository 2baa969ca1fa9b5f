import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilFeeds

let sophosSample = "\u{FEFF}Indicator,Data,Note\r\nSHA256,c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02,ffmpeg.dll\r\n"
    + "URL,akamaicontainer[.]com,C2\r\nURL,raw.githubusercontent.com/IconStorages/images/main/,staging\r\n"
    + "ip,23.254.211.230,C2 \"quoted\", comma\r\nmd5,0eeb1c0133eb4d571178b2d9d14ce3e9,MSI\r\nsha1,bfecb8ce89a312d2ef4afc64a63847ae11c6f69e,MSI\r\n"
    + "email,philip.je@proton.me,whois\r\ndomain,bücher.example,IDN\r\nip,2001:db8::/32,net\r\n"

@Suite struct FeedStoreTests {
    @Test func defaultDirectoryFollowsTheEnvironment() {
        #expect(FeedStore.defaultDirectory(environment: ["VIGIL_STORE": "/s", "XDG_DATA_HOME": "/x", "HOME": "/h"]).path == "/s")
        #expect(FeedStore.defaultDirectory(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]).path == "/x/vigil")
        #expect(FeedStore.defaultDirectory(environment: ["XDG_DATA_HOME": "relative", "HOME": "/h"]).path.hasSuffix("/vigil"))
        #if os(Linux)
        #expect(FeedStore.defaultDirectory(environment: ["HOME": "/h"]).path == "/h/.local/share/vigil")
        #endif
    }

    @Test func addListShowRemoveAndLoadAll() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try TestSupport.write(Array(sophosSample.utf8), to: "3CX IoCs.csv", in: dir)
        let store = FeedStore(directory: dir.appendingPathComponent("store"))
        #expect(try store.loadAll().indicators.isEmpty)
        let (stored, _) = try store.add(file)
        #expect(stored.name == "3CX-IoCs")
        try store.add(file, name: "second")
        #expect(try store.names() == ["3CX-IoCs", "second"])
        let info = try #require(try store.list().feeds.first)
        #expect(info.total == 9)
        #expect(info.counts[.domain] == 2)
        let all = try store.loadAll().indicators
        #expect(all.count == 9)
        let sha = try #require(all.lookup(.sha256, "c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02"))
        #expect(sha.feeds == ["3CX-IoCs", "second"])
        let p = try #require(sha.provenance.first)
        #expect(p.line == 2)
        #expect(p.description == "ffmpeg.dll")
        #expect(p.file?.hasSuffix("/3CX IoCs.csv") == true)
        #expect(p.firstSeen != nil)
        #expect(all.matchDomain("xn--bcher-kva.example") != nil)
        try store.remove(named: "second")
        #expect(try store.names() == ["3CX-IoCs"])
        #expect(throws: FeedError.self) { try store.remove(named: "second") }
        #expect(throws: FeedError.self) { try store.add(file, name: "../evil") }
    }
}

/// The STIX and MISP exports are validated by the reference Python libraries (stix2, stix2-patterns,
/// pymisp from PyPI); skipped when they are not installed (`pip install stix2 stix2-patterns pymisp`).
@Suite struct ExportTests {
    static let python = findTool("python3")
    static let hasLibraries: Bool = {
        guard let python else { return false }
        return (try? TestSupport.run(python, ["-c", "import stix2, stix2patterns, pymisp"]))?.status == 0
    }()

    func storedSample() throws -> StoredFeed {
        let r = try FeedReader.parse(text: sophosSample, path: "s.csv", feed: "sophos-3cx", format: .csv, options: FeedReadOptions())
        return StoredFeed(name: "sophos-3cx", added: "2023-03-30T00:00:00Z", sources: ["s.csv"], format: "csv", summary: r.summary,
                          diagnostics: [], indicators: r.indicators.indicators)
    }

    @Test func csvExportRoundTrips() throws {
        let feed = try storedSample()
        let csv = FeedExporter.export(feed, as: .csv)
        let back = try FeedReader.parse(text: csv, path: "x.csv", feed: "x", format: .csv, options: FeedReadOptions())
        #expect(back.indicators.count == feed.indicators.count)
        #expect(Set(back.indicators.indicators.map { "\($0.kind) \($0.value)" }) == Set(feed.indicators.map { "\($0.kind) \($0.value)" }))
    }

    @Test func stixExportPatternsReadBack() throws {
        let feed = try storedSample()
        let text = FeedExporter.export(feed, as: .stix)
        let back = try FeedReader.parse(text: text, path: "x.json", feed: "x", format: .stix, options: FeedReadOptions())
        #expect(back.indicators.count == feed.indicators.count)
        #expect(text.contains("[file:hashes.'SHA-256' = 'c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02']"))
    }

    @Test(.enabled(if: ExportTests.hasLibraries, "python3 with stix2, stix2-patterns and pymisp is not available"))
    func stixAndMISPExportsValidateWithReferenceLibraries() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-export")
        defer { try? FileManager.default.removeItem(at: dir) }
        let feed = try storedSample()
        let stix = try TestSupport.write(Array(FeedExporter.export(feed, as: .stix).utf8), to: "b.json", in: dir)
        let misp = try TestSupport.write(Array(FeedExporter.export(feed, as: .misp).utf8), to: "e.json", in: dir)
        let script = """
            import json, sys, stix2, pymisp
            from stix2patterns.validator import run_validator
            b = stix2.parse(open(sys.argv[1]).read(), allow_custom=False)
            inds = [o for o in b.objects if o.type == "indicator"]
            bad = [o.pattern for o in inds if run_validator(o.pattern)]
            e = pymisp.MISPEvent(); e.load_file(sys.argv[2])
            print(len(inds), len(bad), len(e.attributes), sum(a.to_ids for a in e.attributes), sorted({a.type for a in e.attributes}))
            """
        let r = try TestSupport.run(try #require(Self.python), ["-c", script, stix.path, misp.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == "9 0 9 9 ['domain', 'email-src', 'ip-dst', 'md5', 'sha1', 'sha256', 'url']")
    }
}

/// The OASIS validator (stix2-validator 3.2.0 from PyPI; 3.3.1 ships without its schemas) accepts the bundle.
@Suite struct STIXValidatorTests {
    static let hasValidator: Bool = {
        guard let python = ExportTests.python else { return false }
        return (try? TestSupport.run(python, ["-c", "import stix2validator; assert stix2validator.validate_string('{\"type\": \"bundle\", \"id\": \"bundle--44af6c39-c09b-49c5-9de2-394224b04982\", \"objects\": []}').is_valid"]))?.status == 0
    }()

    @Test(.enabled(if: STIXValidatorTests.hasValidator, "python3 with a working stix2-validator (3.2.0) is not available"))
    func bundleIsValidForTheOASISValidator() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-stix")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try FeedReader.parse(text: sophosSample, path: "s.csv", feed: "sophos-3cx", format: .csv, options: FeedReadOptions())
        let feed = StoredFeed(name: "sophos-3cx", added: "2023-03-30T00:00:00Z", sources: [], format: "csv", summary: r.summary,
                              diagnostics: [], indicators: r.indicators.indicators)
        let file = try TestSupport.write(Array(FeedExporter.export(feed, as: .stix).utf8), to: "b.json", in: dir)
        let script = "import sys, stix2validator\nr = stix2validator.validate_file(sys.argv[1])\nprint(r.is_valid, len(r.object_results))"
        let out = try TestSupport.run(try #require(ExportTests.python), ["-c", script, file.path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "True 1")  // one result: the bundle
    }
}

/// The CLI end to end (needs the built `vigil`).
@Suite(.enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built"))
struct FeedCLITests {
    @Test func feedAddListShowExportBlockRemove() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try TestSupport.write(Array((sophosSample + "sha1,abc,bad\r\n").utf8), to: "s.csv", in: dir)
        let env = ["VIGIL_STORE": dir.appendingPathComponent("store").path]
        let add = try TestSupport.runVigil(["feed", "add", file.path, "--name", "sophos-3cx"], environment: env)
        #expect(add.status == 1)  // one row rejected
        #expect(add.stderr.contains("s.csv:11: rejected-row"))
        #expect(add.stdout.contains("9 indicators"))
        let list = try TestSupport.runVigil(["feed", "list", "--format", "json"], environment: env)
        #expect(list.status == 0 && list.stdout.contains("\"sophos-3cx\""))
        let show = try TestSupport.runVigil(["feed", "show", "sophos-3cx"], environment: env)
        #expect(show.stdout.contains("domain\takamaicontainer.com\ts.csv:3\tC2"))
        let stix = try TestSupport.runVigil(["feed", "export", "sophos-3cx", "--format", "stix"], environment: env)
        #expect(stix.status == 0)
        #expect(stix.stdout.contains("\"bundle--"))
        let block = try TestSupport.runVigil(["block", "--format", "rpz"], environment: env)
        #expect(block.status == 0)
        #expect(block.stdout.contains("*.akamaicontainer.com CNAME ."))
        #expect(!block.stdout.contains("githubusercontent"))
        #expect(block.stderr.contains("guard: http://raw.githubusercontent.com/IconStorages/images/main/"))
        let remove = try TestSupport.runVigil(["feed", "remove", "sophos-3cx"], environment: env)
        #expect(remove.status == 0)
        let empty = try TestSupport.runVigil(["block", "--format", "hosts"], environment: env)
        #expect(empty.status == 2)
        let notFeed = try TestSupport.runVigil(["feed", "add", dir.appendingPathComponent("missing.csv").path], environment: env)
        #expect(notFeed.status == 2)
    }
}
