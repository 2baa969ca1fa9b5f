import Foundation
import VigilCore
import VigilIndicators

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
/// Writes are all or nothing and serialised: a feed is written to a hidden temporary file, flushed
/// to disk (`fsync`) and renamed over the old one, so a reader sees the old feed or the new one and a
/// `kill -9` mid-import leaves the old feed (and at most a hidden temporary file, removed by the next
/// write of that feed). Each write or removal holds an exclusive `flock` on `feeds/.<name>.lock`;
/// a second writer of the same name is refused at once (``FeedStoreBusy``), never silently last.
/// A damaged feed file is reported and skipped (``list()``, ``loadAll()``), never hides the
/// others, and can be removed.
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
        let lock = try lockFeed(name)
        defer { lock.release() }
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
        try writeAtomically(stored)
        return (stored, imported)
    }

    /// Writes a feed under its name, all or nothing (see the type's notes), holding its lock.
    public func save(_ feed: StoredFeed) throws {
        guard Self.isValidName(feed.name) else {
            throw FeedError(path: directory.path, message: "invalid feed name '\(feed.name)'")
        }
        let lock = try lockFeed(feed.name)
        defer { lock.release() }
        try writeAtomically(feed)
    }

    /// An exclusive lock on one feed name, released by ``release()`` (or when the process ends).
    struct FeedLock {
        let fd: Int32
        func release() {
            flock(fd, LOCK_UN)
            close(fd)
        }
    }

    /// Takes the feed's lock without waiting; throws ``FeedStoreBusy`` when another process holds it.
    func lockFeed(_ name: String) throws -> FeedLock {
        let path = feedsFolder.appendingPathComponent(".\(name).lock").path
        do { try FileManager.default.createDirectory(at: feedsFolder, withIntermediateDirectories: true) } catch {
            throw FeedError(path: feedsFolder.path, message: "cannot create the store: \(error.localizedDescription)")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FeedError(path: path, message: "cannot open the lock file: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw FeedStoreBusy(name: name, path: path) }
            throw FeedError(path: path, message: "cannot lock: \(String(cString: strerror(code)))")
        }
        return FeedLock(fd: fd)
    }

    /// Temporary file, fsync, rename, fsync of the folder; the caller holds the feed's lock.
    func writeAtomically(_ feed: StoredFeed) throws {
        let target = fileURL(for: feed.name)
        let prefix = ".\(feed.name).json.partial-"
        let temporary = feedsFolder.appendingPathComponent(prefix + "\(getpid())")
        do {
            // Left over by a writer that was killed: nobody else writes this name while we hold the lock.
            for leftover in (try? FileManager.default.contentsOfDirectory(atPath: feedsFolder.path)) ?? [] where leftover.hasPrefix(prefix) {
                try? FileManager.default.removeItem(at: feedsFolder.appendingPathComponent(leftover))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(feed)
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw FeedError(path: temporary.path, message: "cannot create: \(String(cString: strerror(errno)))") }
            var failure: Int32 = 0
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                    offset += n
                }
            }
            if failure == 0, fsync(fd) != 0 { failure = errno }
            close(fd)
            guard failure == 0, rename(temporary.path, target.path) == 0 else {
                let code = failure != 0 ? failure : errno
                try? FileManager.default.removeItem(at: temporary)
                throw FeedError(path: target.path, message: "cannot write the feed: \(String(cString: strerror(code)))")
            }
            let folder = open(feedsFolder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folder >= 0 { _ = fsync(folder); close(folder) }
        } catch let error as FeedError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw FeedError(path: target.path, message: "cannot write the feed: \(error.localizedDescription)")
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

    /// Summaries of every readable stored feed, and a ``FeedError`` for each damaged one (a truncated
    /// or corrupted file): reported and skipped, never hiding the others.
    public func list() throws -> (feeds: [StoredFeedInfo], damaged: [FeedError]) {
        var feeds: [StoredFeedInfo] = []
        var damaged: [FeedError] = []
        for name in try names() {
            do {
                let f = try feed(named: name)
                let counts = f.indicators.reduce(into: [IndicatorKind: Int]()) { $0[$1.kind, default: 0] += 1 }
                feeds.append(StoredFeedInfo(name: f.name, added: f.added, sources: f.sources, format: f.format, counts: counts, total: f.indicators.count))
            } catch let error as FeedError {
                damaged.append(error)
            }
        }
        return (feeds, damaged)
    }

    /// Deletes the feed called `name`, damaged or not, holding its lock.
    public func remove(named name: String) throws {
        guard Self.isValidName(name) else { throw FeedError(path: directory.path, message: "invalid feed name '\(name)'") }
        let url = fileURL(for: name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FeedError(path: directory.path, message: "no feed named '\(name)' in the store")
        }
        let lock = try lockFeed(name)
        defer { lock.release() }
        do { try FileManager.default.removeItem(at: url) } catch {
            throw FeedError(path: url.path, message: "cannot remove: \(error.localizedDescription)")
        }
    }

    /// Every indicator of every readable stored feed in one set (a value published by several feeds
    /// keeps every feed's provenance), and a ``FeedError`` for each damaged feed, which is skipped.
    /// An empty or missing store gives an empty set.
    public func loadAll() throws -> (indicators: IndicatorSet, damaged: [FeedError]) {
        var set = IndicatorSet()
        var damaged: [FeedError] = []
        for name in try names() {
            do {
                for indicator in try feed(named: name).indicators { set.insert(indicator) }
            } catch let error as FeedError {
                damaged.append(error)
            }
        }
        return (set, damaged)
    }
}

/// Another process is writing or removing this feed (it holds `feeds/.<name>.lock`).
public struct FeedStoreBusy: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var path: String
    public var description: String {
        "feed '\(name)' is being written by another vigil process (lock \(path) is held); nothing was changed, try again when it has finished"
    }
}

extension UInt8 {
    var isLetterOrDigitASCII: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x61 && self <= 0x7a) || (self >= 0x41 && self <= 0x5a)
    }
}
