import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilFeeds

/// Issue 16 item 13: a damaged feed is reported and skipped, never hides the others, and can be
/// removed; writes are all or nothing and a second writer of one name is refused.
@Suite struct FeedStoreDamageTests {
    static func store() throws -> (FeedStore, URL) {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-store-damage")
        let store = FeedStore(directory: dir.appendingPathComponent("store"))
        for (name, domain) in [("alpha", "alpha-c2.example"), ("beta", "beta-c2.example"), ("gamma", "gamma-c2.example")] {
            let file = try TestSupport.write(Array("\(domain)\n".utf8), to: "\(name).txt", in: dir)
            try store.add(file, name: name)
        }
        return (store, dir)
    }

    @Test(arguments: [0, 1, 100, -1])
    func aTruncatedFeedIsSkippedAndRemovable(keep: Int) throws {
        let (store, dir) = try Self.store()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = store.fileURL(for: "beta")
        let bytes = try Data(contentsOf: url)
        // Truncated at `keep` bytes, or (−1) garbage of the same length.
        let damaged = keep >= 0 ? bytes.prefix(keep) : Data(repeating: 0xff, count: bytes.count)
        try damaged.write(to: url)
        let (feeds, broken) = try store.list()
        #expect(feeds.map(\.name) == ["alpha", "gamma"])
        #expect(broken.count == 1 && broken[0].path == url.path)
        let (set, skipped) = try store.loadAll()
        #expect(set.matchDomain("alpha-c2.example") != nil && set.matchDomain("gamma-c2.example") != nil)
        #expect(set.matchDomain("beta-c2.example") == nil)
        #expect(skipped.count == 1)
        // The loader scan and hunt use: the good feeds are loaded, the damaged one is a counted problem.
        let loaded = try IndicatorLoader.load(IndicatorSources(builtIn: false, store: store))
        #expect(loaded.indicators.count == 2)
        #expect(loaded.diagnostics.map(\.kind) == ["feed-store"])
        try store.remove(named: "beta")
        #expect(try store.names() == ["alpha", "gamma"])
        #expect(try store.list().damaged.isEmpty)
    }

    @Test func aSecondWriterIsRefusedWhileTheLockIsHeld() throws {
        let (store, dir) = try Self.store()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lock = try store.lockFeed("alpha")
        let file = try TestSupport.write(Array("other.example\n".utf8), to: "other.txt", in: dir)
        #expect(throws: FeedStoreBusy.self) { try store.add(file, name: "alpha") }
        #expect(throws: FeedStoreBusy.self) { try store.remove(named: "alpha") }
        // Other names are not blocked.
        try store.add(file, name: "delta")
        lock.release()
        try store.add(file, name: "alpha")
        #expect(try store.feed(named: "alpha").indicators.map(\.value) == ["other.example"])
    }

    @Test func aLeftoverPartialFileIsIgnoredAndCleanedUp() throws {
        let (store, dir) = try Self.store()
        defer { try? FileManager.default.removeItem(at: dir) }
        let partial = store.feedsFolder.appendingPathComponent(".alpha.json.partial-999999")
        try Data("{\"name\":\"alp".utf8).write(to: partial)
        #expect(try store.names() == ["alpha", "beta", "gamma"])
        #expect(try store.list().damaged.isEmpty)
        try store.save(try store.feed(named: "alpha"))
        #expect(!FileManager.default.fileExists(atPath: partial.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.feedsFolder.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
    }
}
