import Crypto
import Foundation
import VigilCore
import VigilDefaults
import VigilFeeds
import VigilIndicators
import YaraKit

/// Why a sweep could not be prepared (a missing rules path, an unreadable indicator file).
public struct ScanSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds a ``ScanConfiguration`` from what the user asked for: built-in indicators and rules,
/// `--iocs` files and `--rules` files or folders.
public enum ScanSetup {
    /// Rule file extensions picked up from folders.
    public static let ruleExtensions: Set<String> = ["yar", "yara"]

    /// Loads indicators (``IndicatorLoader``: built-in set, feed store, `--iocs` files) and compiles
    /// rules once.
    /// - Parameters:
    ///   - rulePaths: YARA rule files, or folders searched recursively for `.yar`/`.yara` files.
    ///   - indicators: which indicator sources to load; `builtIn` also selects the built-in YARA rules.
    ///   - options: sweep options.
    /// - Throws: ``ScanSetupError`` when a given path does not exist or cannot be read at all.
    ///   A rule file that does not compile is not an error: it becomes a `rule-error` diagnostic;
    ///   rejected indicator rows and a damaged feed store become diagnostics too.
    public static func prepare(rulePaths: [String], indicators sources: IndicatorSources, options: ScanOptions) throws -> ScanConfiguration {
        let loaded: LoadedIndicators
        do {
            loaded = try IndicatorLoader.load(sources)
        } catch {
            throw ScanSetupError(error.description)
        }
        return try prepare(rulePaths: rulePaths, indicators: loaded, useDefaultRules: sources.builtIn, options: options)
    }

    /// The same without a feed store: the built-in set (when `useDefaults`), `indicatorFiles`, and
    /// indicators from elsewhere (the fleet server's set, for the agent) counted as `extraName`.
    public static func prepare(
        rulePaths: [String], indicatorFiles: [String], extraIndicators: IndicatorSet = IndicatorSet(), extraName: String = "server",
        useDefaults: Bool, options: ScanOptions
    ) throws -> ScanConfiguration {
        try prepare(
            rulePaths: rulePaths,
            indicators: IndicatorSources(builtIn: useDefaults, files: indicatorFiles, extra: (extraName, extraIndicators)),
            options: options)
    }

    /// Compiles rules once around indicators already loaded.
    public static func prepare(
        rulePaths: [String], indicators loaded: LoadedIndicators, useDefaultRules: Bool, options: ScanOptions
    ) throws -> ScanConfiguration {
        var diagnostics = loaded.diagnostics
        let indicators = loaded.indicators
        let useDefaults = useDefaultRules

        var sources: [RuleSource] = []
        var rulesHash = SHA256()
        if useDefaults {
            sources += DefaultRules.ruleSets.map { RuleSource.text($0.text, name: $0.name) }
            for set in DefaultRules.ruleSets { rulesHash.update(data: Array("\(set.name)\u{0}\(set.text)\u{0}".utf8)) }
        }
        for path in rulePaths {
            let files = try ruleFiles(at: path)
            sources += files.map(RuleSource.file)
            for file in files {
                rulesHash.update(data: Array("\(file)\u{0}".utf8))
                rulesHash.update(data: (FileManager.default.contents(atPath: file) ?? Data()) + [0])
            }
        }
        let rulesDigest = rulesHash.finalize().map { String(format: "%02x", $0) }.joined()
        var rules: CompiledRules?
        var loaded = 0
        if !sources.isEmpty {
            let compilation = RuleCompiler.compile(sources)
            rules = compilation.rules
            loaded = compilation.loadedSources.count
            for e in compilation.errors {
                diagnostics.append(Diagnostic(kind: "rule-error", path: e.source, line: e.line, message: "rule file not loaded: \(e.message)"))
            }
        }
        var configuration = ScanConfiguration(
            indicators: indicators, rules: rules, ruleSourceCount: loaded, setupDiagnostics: diagnostics, options: options)
        configuration.rulesDigest = rulesDigest
        return configuration
    }

    /// The rule files at `path`: the file itself, or every `.yar`/`.yara` file below a folder, sorted.
    public static func ruleFiles(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ScanSetupError("rules path does not exist: \(path)")
        }
        guard isDirectory.boolValue else { return [path] }
        guard let enumerator = FileManager.default.enumerator(atPath: path) else {
            throw ScanSetupError("cannot list rules folder: \(path)")
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let ext = (relative as NSString).pathExtension.lowercased()
            if ruleExtensions.contains(ext) { files.append((path as NSString).appendingPathComponent(relative)) }
        }
        return files.sorted()
    }
}
