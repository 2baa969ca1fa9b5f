import Foundation
import VigilCore
import VigilIndicators

/// One feed kept in the store: its indicators (with provenance) and where they came from.
public struct StoredFeed: Codable, Sendable {
    /// The feed name (also the file name in the store).
    public var name: String
    /// When it was added, ISO 8601.
    public var added: String
    /// The files or folders it was read from (absolute paths).
    public var sources: [String]
    /// The format it was read as (`mixed` for a folder of several formats).
    public var format: String
    /// The import counts at the time it was added.
    public var summary: ImportSummary
    /// Rejected and skipped records at the time it was added (for `vigil feed show`).
    public var diagnostics: [Diagnostic]
    /// The indicators, each with its provenance (feed, file, line, description, first-seen).
    public var indicators: [Indicator]
}

/// The short facts `vigil feed list` shows.
public struct StoredFeedInfo: Codable, Sendable {
    public var name: String
    public var added: String
    public var sources: [String]
    public var format: String
    public var counts: [IndicatorKind: Int]
    public var total: Int
}

/// The local feed store: one JSON file per feed under `<directory>/feeds/`.
///
/// Used by `vigil feed` to manage feeds, and by `vigil scan` / `vigil hunt` to load every stored
/// indicator:
///
/// ```swift
/// let store = FeedStore(directory: FeedStore.defaultDirectory())
/// let indicators = try store.loadAll()          // IndicatorSet, provenance merged across feeds
/// ```
///
/// The default directory is `$VIGIL_STORE`, else `$XDG_DATA_HOME/vigil`, else
/// `~/.local/share/vigil` (`~/Library/Application Support/vigil` on macOS).
public struct FeedStore: Sendable {
    /// The store's root folder.
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The store folder for this environment: `VIGIL_STORE`, `XDG_DATA_HOME/vigil`, or the platform's
    /// per-user data folder.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let store = environment["VIGIL_STORE"], !store.isEmpty { return URL(fileURLWithPath: store) }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("vigil")
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        #if os(macOS)
        return home.appendingPathComponent("Library/Application Support/vigil")
        #else
        return home.appendingPathComponent(".local/share/vigil")
        #endif
    }

    var feedsFolder: URL { directory.appendingPathComponent("feeds") }

    func fileURL(for name: String) -> URL { feedsFolder.appendingPathComponent("\(name).json") }

    /// Whether `name` is a valid feed name: 1–64 characters of letters, digits, `.`, `_`, `-`,
    /// not starting with `.`.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), name.first != "." else { return false }
        return name.utf8.allSatisfy { $0.isLetterOrDigitASCII || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// A feed name derived from a file or folder name (`3CX IoCs 2023-03.csv` → `3CX-IoCs-2023-03`).
    public static func defaultName(for url: URL) -> String {
        let base = url.hasDirectoryPath ? url.lastPathComponent : url.deletingPathExtension().lastPathComponent
        var name = String(base.unicodeScalars.map { s -> Character in
            let b = s.isASCII ? UInt8(s.value) : 0
            return b.isLetterOrDigitASCII || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") ? Character(s) : "-"
        })
        while name.hasPrefix(".") || name.hasPrefix("-") { name.removeFirst() }
        name = String(name.prefix(64))
        return name.isEmpty ? "feed" : name
    }

    /// Reads a feed file or folder and stores it under `name` (replacing a feed of that name).
    /// Indicators without a first-seen date get the time of adding.
    /// - Returns: the stored feed and the full import (with every diagnostic).
    @discardableResult
    public func add(_ source: URL, name: String? = nil, format: FeedFormat? = nil, options: FeedReadOptions = FeedReadOptions()) throws -> (StoredFeed, FeedImport) {
        let name = name ?? Self.defaultName(for: source)
        guard Self.isValidName(name) else {
            throw FeedError(path: source.path, message: "invalid feed name '\(name)': use 1-64 letters, digits, '.', '_' or '-'")
        }
        let imported = try FeedReader.read(contentsOf: source, feed: name, format: format, options: options)
        let now = STIXTime.format(options.now)
        let indicators = imported.indicators.indicators.map { indicator -> Indicator in
            var i = indicator
            i.provenance = i.provenance.map { p in
                var p = p
                if p.firstSeen == nil { p.firstSeen = now }
                return p
            }
            return i
        }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory)
        let stored = StoredFeed(
            name: name, added: now, sources: [source.standardizedFileURL.path],
            format: isDirectory.boolValue && format == nil ? "folder" : imported.format.rawValue,
            summary: imported.summary, diagnostics: imported.diagnostics, indicators: indicators)
        try save(stored)
        return (stored, imported)
    }

    /// Writes a feed (atomically) under its name.
    public func save(_ feed: StoredFeed) throws {
        guard Self.isValidName(feed.name) else {
            throw FeedError(path: directory.path, message: "invalid feed name '\(feed.name)'")
        }
        do {
            try FileManager.default.createDirectory(at: feedsFolder, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(feed).write(to: fileURL(for: feed.name), options: .atomic)
        } catch {
            throw FeedError(path: fileURL(for: feed.name).path, message: "cannot write the feed: \(error.localizedDescription)")
        }
    }

    /// The names of the stored feeds, sorted.
    public func names() throws -> [String] {
        guard FileManager.default.fileExists(atPath: feedsFolder.path) else { return [] }
        let files: [String]
        do { files = try FileManager.default.contentsOfDirectory(atPath: feedsFolder.path) } catch {
            throw FeedError(path: feedsFolder.path, message: "cannot list the store: \(error.localizedDescription)")
        }
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(Self.isValidName).sorted()
    }

    /// The stored feed called `name`.
    public func feed(named name: String) throws -> StoredFeed {
        guard Self.isValidName(name) else { throw FeedError(path: directory.path, message: "invalid feed name '\(name)'") }
        let url = fileURL(for: name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FeedError(path: directory.path, message: "no feed named '\(name)' in the store")
        }
        do {
            return try JSONDecoder().decode(StoredFeed.self, from: Data(contentsOf: url))
        } catch {
            throw FeedError(path: url.path, message: "stored feed is damaged: \(error.localizedDescription)")
        }
    }

    /// Summaries of every stored feed.
    public func list() throws -> [StoredFeedInfo] {
        try names().map { name in
            let f = try feed(named: name)
            let counts = f.indicators.reduce(into: [IndicatorKind: Int]()) { $0[$1.kind, default: 0] += 1 }
            return StoredFeedInfo(name: f.name, added: f.added, sources: f.sources, format: f.format, counts: counts, total: f.indicators.count)
        }
    }

    /// Deletes the feed called `name`.
    public func remove(named name: String) throws {
        _ = try feed(named: name)
        do { try FileManager.default.removeItem(at: fileURL(for: name)) } catch {
            throw FeedError(path: fileURL(for: name).path, message: "cannot remove: \(error.localizedDescription)")
        }
    }

    /// Every stored indicator in one set; a value published by several feeds keeps every feed's
    /// provenance. An empty or missing store gives an empty set.
    public func loadAll() throws -> IndicatorSet {
        var set = IndicatorSet()
        for name in try names() {
            for indicator in try feed(named: name).indicators { set.insert(indicator) }
        }
        return set
    }
}

extension UInt8 {
    var isLetterOrDigitASCII: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x61 && self <= 0x7a) || (self >= 0x41 && self <= 0x5a)
    }
}
