import Foundation
import Testing
import VigilCore
import _VigilTestSupport

/// `vigil feed add` exit codes and correction notes, end to end.
@Suite("vigil feed add (end to end)", .serialized, .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built"))
struct FeedAddCommandTests {
    /// The parts of `feed add --output json` these tests read.
    private struct Report: Decodable {
        struct Summary: Decodable {
            var rejected: [String: Int]
            var corrected: [String: Int]
            var correctedRows: Int
        }
        var summary: Summary
        var diagnostics: [Diagnostic]
    }

    private func add(_ text: String, _ extra: [String] = []) throws -> TestSupport.RunResult {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-feed-add")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try TestSupport.write(Array(text.utf8), to: "feed.csv", in: dir)
        return try TestSupport.runVigil(["feed", "add", file.path, "--name", "t", "--store", dir.appendingPathComponent("store").path] + extra)
    }

    static let salvageable = "Indicator_type,Data,Note\r\n"
        + "ip,198.51.100.4:443,C2\r\n"
        + "url,203.0.113.7:8080/a.vbs,stage\r\n"
        + "sha256,e2f5b9f6d9f0d0a1b6c5e3a9d7c1b2a3f4e5d6c7,a SHA-1\r\n"
        + "url_path,/api/device_info.php,beacon\r\n"
        + "filepath,C:\\x\\y.exe,not matchable\r\n"

    @Test func correctedAndSkippedRowsExitZeroWithNotes() throws {
        let r = try add(Self.salvageable)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("corrected: 3 (port-removed 1, reclassified 1, scheme-added 1)"), "\(r.stdout)")
        #expect(r.stdout.contains("feed.csv:2: '198.51.100.4:443' (ip) imported as ipv4 198.51.100.4: port 443 removed"), "\(r.stdout)")
        #expect(r.stdout.contains("feed.csv:4:"))
        #expect(!r.stderr.contains("corrected"))
        #expect(!r.stdout.contains("rejected"))
    }

    @Test func aRejectedRowExitsOne() throws {
        let r = try add(Self.salvageable + "ip,198.51.100.256,broken octet\r\n")
        #expect(r.status == 1)
        #expect(r.stderr.contains("feed.csv:7: rejected-row: '198.51.100.256' is not a valid ip"), "\(r.stderr)")
        #expect(r.stdout.contains("rejected: 1 (ip 1)"))
    }

    @Test func jsonListsEveryNote() throws {
        var text = "Indicator_type,Data,Note\n"
        for i in 1...30 { text += "ip,198.51.100.\(i):443,C2\n" }
        let json = try add(text, ["--output", "json"])
        #expect(json.status == 0)
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        #expect(report.summary.correctedRows == 30)
        #expect(report.summary.corrected == ["port-removed": 30])
        #expect(report.diagnostics.filter { $0.kind == "corrected" }.map(\.line) == Array(2...31))
        // Text caps the notes and counts the rest.
        let plain = try add(text)
        #expect(plain.stdout.components(separatedBy: "imported as ipv4").count - 1 == 20)
        #expect(plain.stdout.contains("… and 10 more corrected rows"))
    }

    /// A flood of bad rows prints a bounded number of lines and says how many more there were.
    @Test func aFloodOfBadRowsIsCapped() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-feed-flood")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try TestSupport.write(Array(String(repeating: "x x x x x x x x x x\n", count: 1_000).utf8), to: "flood.txt", in: dir)
        let r = try TestSupport.runVigil(["feed", "add", file.path, "--name", "flood", "--store", dir.appendingPathComponent("store").path])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 101)
        #expect(lines.last?.contains("more-rejected-rows: 9900 more rejected rows in this file") == true)
        #expect(r.stdout.contains("rejected: 10000"))
    }

    @Test func notAFeedExitsTwo() throws {
        let r = try add("Process filename checks (137):,,\n2597124982561782591uL,  // apimonitor-x64,\n")
        #expect(r.status == 2)
    }
}

/// `vigil block --sid-base` out of range: a clear error, exit 2, never a trap (issue 16 item 14).
@Suite("vigil block --sid-base (end to end)", .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built"))
struct BlockSIDBaseCommandTests {
    @Test(arguments: ["9223372036854775807", "4294967295", "0"])
    func outOfRange(base: String) throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-block-sid")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try TestSupport.write(Array("c2.example\nc3.example\n".utf8), to: "iocs.txt", in: dir)
        let r = try TestSupport.runVigil(["block", "--format", "suricata", "--no-store", "--iocs", file.path, "--sid-base", base])
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("--sid-base \(base)"), "\(r.stderr)")
        #expect(!r.stdout.contains("alert "))
    }
}
