import Foundation
import Testing
import VigilCore
import VigilIndicators
import VigilScan
import VigilScanCache
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A folder with a few files and a cache file beside it, removed afterwards.
final class CacheFixture {
    let root: URL
    let tree: String
    let cachePath: String

    init() throws {
        root = try TestSupport.makeTemporaryDirectory("vigil-cache-test")
        tree = root.appendingPathComponent("tree").path
        cachePath = root.appendingPathComponent("cache.sqlite").path
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: root) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = tree + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func openCache(version: String = "test-1") throws -> SQLiteScanCache {
        try SQLiteScanCache(path: cachePath, vigilVersion: version)
    }

    func sweep(
        cache: (any ScanCache)?, indicators: [Indicator] = [], rulesFolder: String? = nil, inventory: Bool = false
    ) throws -> ScanResult {
        var options = ScanOptions(threads: 2)
        options.collectsInventory = inventory
        var configuration = try ScanSetup.prepare(
            rulePaths: rulesFolder.map { [$0] } ?? [], indicatorFiles: [], extraIndicators: IndicatorSet(indicators),
            useDefaults: false, options: options)
        configuration.cache = cache
        return ScanEngine(configuration: configuration).scan([tree])
    }
}

func sha256Indicator(_ hex: String) -> Indicator {
    Indicator(kind: .sha256, value: hex, score: 90, provenance: [Provenance(feed: "test", description: "bad file")])
}

let evilText = "evil payload\n"

@Suite(.serialized) struct ScanCacheTests {
    @Test func unchangedFilesAreNotReadAgain() throws {
        let f = try CacheFixture()
        for i in 0..<20 { try f.write("file\(i).txt", "content number \(i)\n") }
        let bad = try f.write("evil.bin", evilText)
        let badHash = try #require(try f.sweep(cache: nil, inventory: true).inventory.first { $0.path == bad }?.hashes.sha256)
        let cache = try f.openCache()

        let first = try f.sweep(cache: cache, indicators: [sha256Indicator(badHash)])
        #expect(first.statistics.filesScanned == 21)
        #expect(first.statistics.filesFromCache == 0)
        #expect(first.findings.filter { $0.check == "ioc.hash" }.count == 1)
        #expect(try cache.count() == 21)

        let second = try f.sweep(cache: cache, indicators: [sha256Indicator(badHash)])
        #expect(second.statistics.filesScanned == 0)
        #expect(second.statistics.bytesScanned == 0)
        #expect(second.statistics.filesFromCache == 21)
        // The cached finding comes back identical.
        #expect(second.findings == first.findings)
    }

    @Test("a container taken from the cache is opened again; its result says it is one")
    func aCachedContainerIsStillOpened() throws {
        let f = try CacheFixture()
        let inner = f.root.appendingPathComponent("inner").path
        try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: true)
        try Data(evilText.utf8).write(to: URL(fileURLWithPath: inner + "/evil.bin"))
        for i in 0..<5 { try f.write("plain\(i).txt", "plain file \(i)\n") }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-cf", f.tree + "/bundle.tar", "-C", inner, "evil.bin"]
        try tar.run()
        tar.waitUntilExit()
        try #require(tar.terminationStatus == 0)
        let sum = Process()
        let pipe = Pipe()
        sum.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sum.arguments = ["sha256sum", inner + "/evil.bin"]
        sum.standardOutput = pipe
        try sum.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sum.waitUntilExit()
        let badHash = try #require(output.split(separator: " ").first.map(String.init))
        let cache = try f.openCache()

        let first = try f.sweep(cache: cache, indicators: [sha256Indicator(badHash)])
        #expect(first.statistics.membersScanned == 1)
        #expect(first.findings.contains { $0.check == "ioc.hash" && $0.path.hasSuffix("bundle.tar!/evil.bin") })

        let second = try f.sweep(cache: cache, indicators: [sha256Indicator(badHash)])
        #expect(second.statistics.filesFromCache == 6)
        #expect(second.statistics.membersScanned == 1)
        #expect(second.findings == first.findings)
    }

    @Test func touchedChangedAndReplacedFilesAreReadAgain() throws {
        let f = try CacheFixture()
        let touched = try f.write("touched.txt", "same bytes\n")
        let changed = try f.write("changed.txt", "before\n")
        let replaced = try f.write("replaced.txt", "old file\n")
        try f.write("untouched.txt", "never changes\n")
        let cache = try f.openCache()
        _ = try f.sweep(cache: cache, inventory: true)

        // Touch back to the very same mtime: only ctime moves, which must still invalidate.
        var st = stat()
        #expect(stat(touched, &st) == 0)
        var times = [st.st_atim, st.st_mtim]
        usleep(20_000)
        #expect(utimensat(AT_FDCWD, touched, &times, 0) == 0)
        // Same size, new contents.
        usleep(20_000)
        try Data("after!\n".utf8).write(to: URL(fileURLWithPath: changed))
        // A new inode renamed over the old path.
        let temp = f.tree + "/.replacement"
        try Data("new file\n".utf8).write(to: URL(fileURLWithPath: temp))
        #expect(rename(temp, replaced) == 0)

        let second = try f.sweep(cache: cache, inventory: true)
        #expect(second.statistics.filesScanned == 3)
        #expect(second.statistics.filesFromCache == 1)
        let changedRecord = try #require(second.inventory.first { $0.path == changed })
        #expect(changedRecord.size == 7)
    }

    @Test func aRulesOrIndicatorChangeInvalidates() throws {
        let f = try CacheFixture()
        try f.write("a.txt", "alpha\n")
        try f.write("b.txt", "bravo\n")
        let rules = f.root.appendingPathComponent("rules").path
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        let ruleFile = rules + "/r.yar"
        try Data("rule findAlpha { strings: $a = \"alpha\" condition: $a }".utf8).write(to: URL(fileURLWithPath: ruleFile))
        let cache = try f.openCache()

        let first = try f.sweep(cache: cache, rulesFolder: rules)
        #expect(first.findings.filter { $0.check == "yara" }.count == 1)
        #expect(try f.sweep(cache: cache, rulesFolder: rules).statistics.filesFromCache == 2)

        try Data("rule findBravo { strings: $a = \"bravo\" condition: $a }".utf8).write(to: URL(fileURLWithPath: ruleFile))
        let edited = try f.sweep(cache: cache, rulesFolder: rules)
        #expect(edited.statistics.filesScanned == 2)
        #expect(edited.findings.filter { $0.check == "yara" }.map(\.path).allSatisfy { $0.hasSuffix("b.txt") })

        let withIndicator = try f.sweep(cache: cache, indicators: [sha256Indicator(String(repeating: "ab", count: 32))], rulesFolder: rules)
        #expect(withIndicator.statistics.filesScanned == 2)
    }

    @Test func theCacheSurvivesARestartButNotAVersionChange() throws {
        let f = try CacheFixture()
        for i in 0..<5 { try f.write("f\(i)", "file \(i)\n") }
        do {
            let cache = try f.openCache()
            _ = try f.sweep(cache: cache)
        }
        let reopened = try f.openCache()
        let again = try f.sweep(cache: reopened)
        #expect(again.statistics.filesFromCache == 5)
        #expect(again.statistics.filesScanned == 0)

        let upgraded = try f.openCache(version: "test-2")
        #expect(try upgraded.count() == 0)
        #expect(try f.sweep(cache: upgraded).statistics.filesScanned == 5)
    }

    @Test func inventoryFromTheCacheEqualsInventoryFromReading() throws {
        let f = try CacheFixture()
        for i in 0..<8 { try f.write("doc\(i).txt", String(repeating: "x", count: i * 100)) }
        let cache = try f.openCache()
        let read = try f.sweep(cache: cache, inventory: true)
        let cached = try f.sweep(cache: cache, inventory: true)
        #expect(read.inventory.count == 8)
        #expect(cached.statistics.filesFromCache == 8)
        #expect(cached.inventory == read.inventory)
        #expect(read.inventory.allSatisfy { $0.hashes.sha256.count == 64 && $0.path.hasPrefix("/") })
        // Plain sweeps produce no inventory, and results cached without inventory facts are not
        // used for a sweep that asks for them.
        #expect(try f.sweep(cache: nil).inventory.isEmpty)
        let plain = try f.openCache(version: "plain")
        _ = try f.sweep(cache: plain)
        #expect(try f.sweep(cache: plain, inventory: true).statistics.filesFromCache == 0)
    }

    @Test func rowsWithMoreThanADigestComeBackWhole() throws {
        // An MD5-only indicator makes the sweep compute MD5 for every file: those rows keep their MD5
        // beside the compact in-memory rows, and a cached hit reports exactly what reading reported.
        let f = try CacheFixture()
        for i in 0..<30 { try f.write("m\(i).txt", "md5 row \(i)\n") }
        let md5Indicator = Indicator(kind: .md5, value: String(repeating: "0", count: 32), score: 50, provenance: [Provenance(feed: "test", description: "md5 only")])
        let cache = try f.openCache()
        let read = try f.sweep(cache: cache, indicators: [md5Indicator], inventory: true)
        let cached = try f.sweep(cache: cache, indicators: [md5Indicator], inventory: true)
        #expect(cached.statistics.filesFromCache == 30)
        #expect(read.inventory.allSatisfy { $0.hashes.md5?.count == 32 })
        #expect(cached.inventory == read.inventory)
    }

    @Test func anInventorySinkTakesTheRecordsInsteadOfTheResult() throws {
        final class Collect: InventorySink, @unchecked Sendable {
            let lock = NSLock()
            var records: [InventoryRecord] = []
            func receive(_ record: InventoryRecord) { lock.withLock { records.append(record) } }
        }
        let f = try CacheFixture()
        for i in 0..<25 { try f.write("s\(i).txt", "sink \(i)\n") }
        let collected = try f.sweep(cache: nil, inventory: true).inventory
        var options = ScanOptions(threads: 2)
        options.collectsInventory = true
        var configuration = try ScanSetup.prepare(
            rulePaths: [], indicatorFiles: [], extraIndicators: IndicatorSet(), useDefaults: false, options: options)
        let sink = Collect()
        configuration.inventorySink = sink
        let result = ScanEngine(configuration: configuration).scan([f.tree])
        #expect(result.inventory.isEmpty)
        #expect(sink.records.sorted { $0.path < $1.path } == collected)
        #expect(collected.count == 25)
    }

    @Test func aDamagedRowIsAMissNotACrash() throws {
        let f = try CacheFixture()
        try f.write("x.exe", "MZ not really\n")
        let bad = try f.write("y.bin", evilText)
        let badHash = try #require(try f.sweep(cache: nil, inventory: true).inventory.first { $0.path == bad }?.hashes.sha256)
        do {
            let cache = try f.openCache()
            _ = try f.sweep(cache: cache, indicators: [sha256Indicator(badHash)])
        }
        // Scribble over the JSON of the row with a finding, and put a short digest in the other.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.execute("UPDATE file_result SET extra = x'7b7b7b' WHERE extra IS NOT NULL")
            c.execute("UPDATE file_result SET sha256 = 'abc' WHERE extra IS NULL")
            c.commit()
            """, f.cachePath]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
        let cache = try f.openCache()
        let again = try f.sweep(cache: cache, indicators: [sha256Indicator(badHash)])
        #expect(again.statistics.filesScanned == 2)
        #expect(again.findings.filter { $0.check == "ioc.hash" }.count == 1)
    }

    @Test func aFileThatIsNotADatabaseIsAnError() throws {
        let f = try CacheFixture()
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: f.cachePath))
        #expect(throws: ScanCacheError.self) { _ = try f.openCache() }
    }
}
