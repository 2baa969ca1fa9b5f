import Foundation
import Testing
import VigilDefaults
import VigilFeeds
import VigilIndicators
import _VigilTestSupport

/// The one indicator loader of `vigil scan` and `vigil hunt`: built-in set, feed store, `--iocs` files.
@Suite struct IndicatorLoaderTests {
    private func write(_ text: String, _ name: String, in dir: URL) throws -> URL {
        try TestSupport.write(Array(text.utf8), to: name, in: dir)
    }

    @Test func combinesBuiltInStoreAndFilesKeepingProvenance() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = FeedStore(directory: dir.appendingPathComponent("store"))
        let feed = try write("stored-c2.example\n198.51.100.0/24\n", "stored.txt", in: dir)
        _ = try store.add(feed, name: "mine")
        // One value shared with the store, one with the built-in set, one new, one broken row.
        let builtInDomain = try #require(DefaultIndicators.indicatorSet.indicators.first { $0.kind == .domain }).value
        let extra = try write("stored-c2.example\n\(builtInDomain)\n203.0.113.9\n300.1.2.3\n", "extra.txt", in: dir)

        let all = try IndicatorLoader.load(IndicatorSources(builtIn: true, store: store, files: [extra.path]))
        let builtInCount = DefaultIndicators.indicatorSet.count
        #expect(all.indicators.count == builtInCount + 3)  // + stored-c2.example, 198.51.100.0/24, 203.0.113.9
        #expect(all.contributions.map(\.source) == ["default", "store", "iocs:extra.txt"])
        #expect(all.indicators.matchDomain("x.stored-c2.example")?.feeds == ["mine", "iocs:extra.txt"])
        #expect(all.indicators.matchDomain(builtInDomain)?.feeds == ["default", "iocs:extra.txt"])
        #expect(all.indicators.matchIP("198.51.100.77")?.value == "198.51.100.0/24")
        #expect(all.indicators.matchIP("203.0.113.9")?.feeds == ["iocs:extra.txt"])
        // The broken row is reported with its file and line, not dropped.
        let rejected = all.diagnostics.filter { $0.path.hasSuffix("extra.txt") && $0.line == 4 }
        #expect(rejected.count == 1, "\(all.diagnostics)")

        let noBuiltIn = try IndicatorLoader.load(IndicatorSources(builtIn: false, store: store, files: [extra.path]))
        #expect(noBuiltIn.indicators.count == 4)
        #expect(noBuiltIn.indicators.matchDomain(builtInDomain)?.feeds == ["iocs:extra.txt"])

        let storeOnly = try IndicatorLoader.load(IndicatorSources(builtIn: false, store: store))
        #expect(storeOnly.indicators.count == 2)
        #expect(storeOnly.diagnostics.isEmpty)
    }

    @Test func damagedStoreIsADiagnosticMissingFileAnError() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let storeDir = dir.appendingPathComponent("store")
        _ = try write("{ not json", "feeds/broken.json", in: storeDir)
        let loaded = try IndicatorLoader.load(IndicatorSources(builtIn: true, store: FeedStore(directory: storeDir)))
        #expect(loaded.indicators.count == DefaultIndicators.indicatorSet.count)
        #expect(loaded.diagnostics.map(\.kind) == ["feed-store"])
        // The diagnostic names the damaged feed file itself (the other feeds are still loaded).
        #expect(loaded.diagnostics.first?.path == storeDir.appendingPathComponent("feeds/broken.json").path)

        let missing = dir.appendingPathComponent("nope.txt").path
        #expect(throws: IndicatorLoadError.self) {
            try IndicatorLoader.load(IndicatorSources(builtIn: false, files: [missing]))
        }
        do {
            _ = try IndicatorLoader.load(IndicatorSources(builtIn: false, files: [missing]))
        } catch {
            #expect(error.path == missing)
            #expect(error.description.contains("no such file"))
        }
    }
}
