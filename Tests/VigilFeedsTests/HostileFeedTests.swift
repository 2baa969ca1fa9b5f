import Foundation
import Testing
import VigilCore
import VigilIndicators
import _VigilTestSupport
@testable import VigilFeeds

/// Hostile feeds: a flood of bad rows, a huge value, one value repeated, bytes that are not UTF-8.
/// Each case grew the output, the memory or the store with the input's size before.
@Suite struct HostileFeedTests {
    private func diagnostics(_ r: FeedImport, _ kind: String) -> [Diagnostic] { r.diagnostics.filter { $0.kind == kind } }

    @Test func rejectedRowsAreListedUpToACapPerFileAndCountedAll() {
        // 20,000 bad tokens, 500 per line (MISP freetext style splits on spaces).
        let line = Array(repeating: "x", count: 500).joined(separator: " ")
        let text = Array(repeating: line, count: 40).joined(separator: "\n") + "\n"
        let r = FeedReader.read(text: text, path: "flood.txt", feed: "f", format: .plain)
        #expect(r.summary.totalRejected == 20_000)
        #expect(diagnostics(r, "rejected-row").count == FeedImport.maxRejectedRowsListed)
        let more = diagnostics(r, "more-rejected-rows")
        #expect(more.count == 1)
        #expect(more.first?.path == "flood.txt")
        #expect(more.first?.message.hasPrefix("19900 more rejected rows in this file") == true, "\(more.first?.message ?? "")")
    }

    @Test func theCapIsPerFile() throws {
        let dir = try TestSupport.makeTemporaryDirectory("hostile-feeds")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = String(repeating: "x\n", count: 150)
        _ = try TestSupport.write(Array(bad.utf8), to: "a.txt", in: dir)
        _ = try TestSupport.write(Array(bad.utf8), to: "b.txt", in: dir)
        let r = try FeedReader.read(contentsOf: dir, feed: "f", format: .plain, options: FeedReadOptions())
        #expect(r.summary.totalRejected == 300)
        #expect(diagnostics(r, "rejected-row").count == 200)
        #expect(diagnostics(r, "more-rejected-rows").map(\.message).allSatisfy { $0.hasPrefix("50 more") })
    }

    @Test func hugeValuesAreNotEchoedWhole() throws {
        let token = String(repeating: "a", count: 1_000_000) + ".example"
        let plain = FeedReader.read(text: token + "\n", path: "big.txt", feed: "b", format: .plain)
        let message = try #require(diagnostics(plain, "rejected-row").first?.message)
        #expect(message.utf8.count < 500)
        #expect(message.contains("is 1000008 bytes, longer than any indicator"))
        let csv = try FeedReader.parse(text: "Indicator_type,Data,Note\nip,\(token),x\n", path: "big.csv", feed: "b", format: .csv,
                                       options: FeedReadOptions())
        let csvMessage = try #require(diagnostics(csv, "rejected-row").first?.message)
        #expect(csvMessage.utf8.count < 500)
        #expect(csvMessage.contains("longer than any indicator"))
        // A long message of another kind is cut in the middle, keeping its end.
        let cut = FeedImport.shorten("'" + String(repeating: "b", count: 5_000) + "' is not a valid ip")
        #expect(cut.utf8.count <= FeedImport.maxMessageBytes + 40)
        #expect(cut.contains("bytes left out") && cut.hasSuffix("is not a valid ip"))
        #expect(csv.diagnostics.first?.line == 2)
    }

    @Test func aRepeatedValueIsStoredOnce() throws {
        let text = String(repeating: "evil.example\n", count: 5_000)
        let r = FeedReader.read(text: text, path: "rep.txt", feed: "r", format: .plain)
        #expect(r.indicators.count == 1)
        #expect(r.summary.accepted == [.domain: 1])
        #expect(r.summary.duplicates == [.domain: 4_999])
        #expect(r.indicators.indicators.first?.provenance.count == 1)
        #expect(r.indicators.indicators.first?.provenance.first?.line == 1)
        // The stored feed is as small as one indicator's.
        let dir = try TestSupport.makeTemporaryDirectory("hostile-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try TestSupport.write(Array(text.utf8), to: "rep.txt", in: dir)
        let store = FeedStore(directory: dir.appendingPathComponent("store"))
        _ = try store.add(file, name: "rep")
        let stored = dir.appendingPathComponent("store/feeds/rep.json")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: stored.path)[.size] as? Int)
        #expect(size < 4_096, "stored feed is \(size) bytes")
    }

    /// Rows of one file that say different things about a value keep their own records, up to a cap.
    @Test func differentNotesInOneFileAreKeptUpToACap() throws {
        var text = "Indicator_type,Data,Note\n"
        for i in 1...3 { text += "domain,evil.example,stage \(i)\n" }
        for _ in 1...3 { text += "domain,evil.example,stage 1\n" }
        for i in 4...20 { text += "domain,evil.example,stage \(i)\n" }
        let r = try FeedReader.parse(text: text, path: "n.csv", feed: "n", format: .csv, options: FeedReadOptions())
        let provenance = try #require(r.indicators.indicators.first?.provenance)
        #expect(provenance.map(\.description) == (1...8).map { "stage \($0)" })
        #expect(r.summary.duplicates == [.domain: 22])
    }

    @Test func theSameValueFromTwoFilesKeepsBothSources() throws {
        let dir = try TestSupport.makeTemporaryDirectory("hostile-two")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try TestSupport.write(Array("evil.example\nevil.example\n".utf8), to: "a.txt", in: dir)
        _ = try TestSupport.write(Array("evil.example\n".utf8), to: "b.txt", in: dir)
        let r = try FeedReader.read(contentsOf: dir, feed: "f", format: .plain, options: FeedReadOptions())
        #expect(r.indicators.indicators.first?.provenance.compactMap(\.file).map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.txt", "b.txt"])
    }

    /// `bad\xff.example.com` used to become a Punycode name (`xn--bad….example.com`).
    static let invalidUTF8Feeds: [(String, [UInt8])] = {
        let list: [UInt8] = Array("good.example\nbad".utf8) + [0xff] + Array(".example.com\n".utf8)
        let table: [UInt8] = Array("Indicator_type,Data,Note\ndomain,good.example,x\ndomain,bad".utf8) + [0xff] + Array(".example.com,x\n".utf8)
        let c2: [UInt8] = Array("# C2\ngood.example;80\nbad".utf8) + [0xfe, 0xff] + Array(".example.com;80\n".utf8)
        return [("list.txt", list), ("table.csv", table), ("c2-iocs.txt", c2)]
    }()

    @Test(arguments: invalidUTF8Feeds)
    func invalidUTF8IsRejectedWithItsLine(_ name: String, _ bytes: [UInt8]) throws {
        let dir = try TestSupport.makeTemporaryDirectory("hostile-utf8")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try TestSupport.write(bytes, to: name, in: dir)
        let r = try FeedReader.read(contentsOf: file, feed: "u")
        #expect(r.indicators.indicators.map(\.value) == ["good.example"])
        let rejected = diagnostics(r, "rejected-row")
        #expect(rejected.count == 1)
        #expect(rejected.first?.line == (name == "list.txt" ? 2 : 3))
        #expect(rejected.first?.message.contains("not valid UTF-8") == true, "\(rejected.first?.message ?? "")")
    }
}
