import Foundation
import VigilCore
import VigilDefaults
import VigilIndicators

/// The indicators a matching command (`vigil scan`, `vigil hunt`) asked for: the built-in set, the
/// feed store, and indicator files named on the command line.
public struct IndicatorSources: Sendable {
    /// Include the built-in 3CX set (``DefaultIndicators``); off with `--no-default-indicators`.
    public var builtIn: Bool
    /// The feed store whose every feed is included (`vigil feed add`), or `nil` for none.
    public var store: FeedStore?
    /// Indicator files or folders (`--iocs`), read in order with format detection.
    public var files: [String]
    /// Indicators already in memory from elsewhere, with the name they are counted under: the fleet
    /// agent passes the set its server published (`server`).
    public var extra: (name: String, indicators: IndicatorSet)?

    public init(builtIn: Bool = true, store: FeedStore? = nil, files: [String] = [], extra: (name: String, indicators: IndicatorSet)? = nil) {
        self.builtIn = builtIn
        self.store = store
        self.files = files
        self.extra = extra
    }
}

/// What ``IndicatorLoader/load(_:)`` produced: one de-duplicated set (provenance of every source
/// kept), and every problem met on the way with its file and line.
public struct LoadedIndicators: Sendable {
    public var indicators: IndicatorSet
    /// Rejected or skipped rows of `--iocs` files, and a feed store that could not be read.
    public var diagnostics: [Diagnostic]
    /// Distinct indicators contributed by each source, in load order: `default`, `store`, then
    /// `iocs:<file name>` per file (before de-duplication across sources).
    public var contributions: [(source: String, count: Int)]

    public init(indicators: IndicatorSet = IndicatorSet(), diagnostics: [Diagnostic] = [], contributions: [(source: String, count: Int)] = []) {
        self.indicators = indicators
        self.diagnostics = diagnostics
        self.contributions = contributions
    }
}

/// Why the indicators could not be loaded: an `--iocs` file that does not exist or cannot be read
/// at all. (A rejected row is not an error: it is a diagnostic.)
public struct IndicatorLoadError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "cannot read indicator file \(path): \(message)" }
}

/// The one way Vigil's matching commands assemble their indicators, so `scan` and `hunt` given the
/// same options match the same set.
///
/// Order and rules: the built-in set first (when asked for), then every stored feed, then each
/// `--iocs` file; a value published by several sources is one indicator carrying every source's
/// provenance. A damaged feed store is reported as a `feed-store` diagnostic and the run goes on
/// without it (stored feeds are background knowledge); an `--iocs` file the user named that does not
/// exist or cannot be read throws (the user asked for it explicitly). Rows an indicator file rejects
/// or skips come back as diagnostics with file and line.
public enum IndicatorLoader {
    /// The feed name recorded in the provenance of `--iocs` indicators: `iocs:` plus the file name.
    public static func feedName(forFile path: String) -> String {
        "iocs:" + URL(fileURLWithPath: path).lastPathComponent
    }

    /// Loads every requested source into one set.
    /// - Throws: ``IndicatorLoadError`` when an `--iocs` path is missing or unreadable.
    public static func load(_ sources: IndicatorSources) throws(IndicatorLoadError) -> LoadedIndicators {
        var result = LoadedIndicators()
        if sources.builtIn {
            result.indicators = DefaultIndicators.indicatorSet
            result.contributions.append((DefaultIndicators.feedName, result.indicators.count))
        }
        if let store = sources.store {
            do {
                let (stored, damaged) = try store.loadAll()
                result.indicators.formUnion(stored)
                result.contributions.append(("store", stored.count))
                // A damaged feed is skipped and counted; the other feeds are still used.
                for error in damaged {
                    result.diagnostics.append(Diagnostic(
                        kind: "feed-store", path: error.path, message: "stored feed not loaded (the others are): \(error.message)"))
                }
            } catch {
                result.diagnostics.append(Diagnostic(
                    kind: "feed-store", path: store.directory.path, message: "stored feeds not loaded: \(error)"))
            }
        }
        if let extra = sources.extra, !extra.indicators.isEmpty {
            result.indicators.formUnion(extra.indicators)
            result.contributions.append((extra.name, extra.indicators.count))
        }
        for file in sources.files {
            guard FileManager.default.fileExists(atPath: file) else {
                throw IndicatorLoadError(path: file, message: "no such file or folder")
            }
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw IndicatorLoadError(path: file, message: "permission denied")
            }
            let imported: FeedImport
            do {
                imported = try FeedReader.read(contentsOf: URL(fileURLWithPath: file), feed: feedName(forFile: file))
            } catch {
                throw IndicatorLoadError(path: file, message: "\(error)")
            }
            result.diagnostics += imported.diagnostics
            result.indicators.formUnion(imported.indicators)
            result.contributions.append((feedName(forFile: file), imported.indicators.count))
        }
        return result
    }
}
