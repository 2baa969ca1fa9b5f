import Foundation
import VigilCore
import VigilIndicators

/// The indicator feed formats Vigil reads.
public enum FeedFormat: String, Codable, Sendable, CaseIterable {
    /// One value per line, `#` comments, type detected per line.
    case plain
    /// Loki/THOR `hash-iocs.txt`: `HASH;DESCRIPTION` or `HASH;SCORE;DESCRIPTION`.
    case lokiHash = "loki-hash"
    /// Loki/THOR `filename-iocs.txt`: `REGEX;SCORE[;FALSE_POSITIVE_REGEX]` under `# description` lines.
    case lokiFilename = "loki-filename"
    /// Loki/THOR `c2-iocs.txt`: `domain-or-IP[;score]` under `# description` lines.
    case lokiC2 = "loki-c2"
}

/// Per-kind counts of what an import accepted, merged as duplicates, or rejected.
public struct ImportSummary: Sendable, Codable, Hashable {
    public var accepted: [IndicatorKind: Int] = [:]
    public var duplicates: [IndicatorKind: Int] = [:]
    /// Rejected rows, keyed by the type the row claimed (or `unknown`).
    public var rejected: [String: Int] = [:]

    public init() {}

    public var totalAccepted: Int { accepted.values.reduce(0, +) }
    public var totalDuplicates: Int { duplicates.values.reduce(0, +) }
    public var totalRejected: Int { rejected.values.reduce(0, +) }
}

/// The result of reading one feed file: its indicators (distinct, provenance merged), every rejected
/// row as a ``Diagnostic`` with file and line, and the counts.
public struct FeedImport: Sendable {
    public var format: FeedFormat
    public var indicators: IndicatorSet
    public var diagnostics: [Diagnostic]
    public var summary: ImportSummary

    public init(format: FeedFormat) {
        self.format = format
        self.indicators = IndicatorSet()
        self.diagnostics = []
        self.summary = ImportSummary()
    }

    /// Adds one accepted indicator and counts it as accepted or duplicate.
    public mutating func accept(_ indicator: Indicator) {
        switch indicators.insert(indicator) {
        case .added: summary.accepted[indicator.kind, default: 0] += 1
        case .merged: summary.duplicates[indicator.kind, default: 0] += 1
        }
    }

    /// Records a rejected row; nothing is dropped silently.
    public mutating func reject(path: String, line: Int?, claimedType: String = "unknown", _ message: String) {
        summary.rejected[claimedType, default: 0] += 1
        diagnostics.append(Diagnostic(kind: "rejected-row", path: path, line: line, message: message))
    }
}

/// Why a feed file could not be read at all (a rejected row is not an error: see ``FeedImport``).
public struct FeedError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// Reads indicator feed files.
public enum FeedReader {
    /// Reads one feed file. The format is detected from the content and file name when not given.
    /// - Parameters:
    ///   - url: the feed file.
    ///   - feed: the feed name recorded in every indicator's provenance.
    ///   - format: the format, or `nil` to detect it.
    /// - Throws: ``FeedError`` when the file cannot be read or is not a feed at all.
    public static func read(contentsOf url: URL, feed: String, format: FeedFormat? = nil) throws -> FeedImport {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FeedError(path: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let chosen = format ?? detect(text: text, fileName: url.lastPathComponent)
        return read(text: text, path: url.path, feed: feed, format: chosen)
    }

    /// Reads feed text that is already in memory.
    public static func read(text: String, path: String, feed: String, format: FeedFormat) -> FeedImport {
        switch format {
        case .plain: return readPlain(text: text, path: path, feed: feed)
        case .lokiHash: return readLokiHash(text: text, path: path, feed: feed)
        case .lokiFilename: return readLokiFilename(text: text, path: path, feed: feed)
        case .lokiC2: return readLokiC2(text: text, path: path, feed: feed)
        }
    }

    /// Guesses the format from the file name (Loki's own convention) and the first data lines.
    public static func detect(text: String, fileName: String) -> FeedFormat {
        let name = fileName.lowercased()
        if name.contains("hash") && name.hasSuffix(".txt") { return .lokiHash }
        if name.contains("filename") && name.hasSuffix(".txt") { return .lokiFilename }
        if name.contains("c2") && name.hasSuffix(".txt") { return .lokiC2 }
        return .plain
    }

    /// Lines of `text` with their 1-based numbers, BOM and CR removed.
    static func numberedLines(_ text: String) -> [(number: Int, text: Substring)] {
        var lines: [(Int, Substring)] = []
        var n = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            var line = raw
            if line.hasSuffix("\r") { line = line.dropLast() }
            if n == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            lines.append((n, line))
        }
        return lines
    }

    static func readPlain(text: String, path: String, feed: String) -> FeedImport {
        var result = FeedImport(format: .plain)
        for (number, line) in numberedLines(text) {
            var value = line.trimmingCharacters(in: .whitespaces)
            if value.isEmpty || value.hasPrefix("#") || value.hasPrefix("//") { continue }
            // hosts-file lines: "0.0.0.0 name" or "127.0.0.1 name".
            let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 2, fields[0] == "0.0.0.0" || fields[0] == "127.0.0.1" { value = String(fields[1]) }
            if let comment = value.firstIndex(of: "#"), !value.contains("://") {
                value = value[..<comment].trimmingCharacters(in: .whitespaces)
            }
            guard let (kind, canonical) = Normalizer.classify(value) else {
                // A path regex (one hash, domain or path regex per line): anything else holding a path
                // separator that compiles as a regex becomes a case-insensitive file name indicator.
                if value.contains("/") || value.contains("\\"),
                    (try? NSRegularExpression(pattern: value, options: [.caseInsensitive])) != nil
                {
                    result.accept(Indicator(kind: .filename, value: value, provenance: [Provenance(feed: feed, file: path, line: number)]))
                    continue
                }
                result.reject(path: path, line: number, "not a hash, domain, URL, IP address, CIDR, e-mail or path regex: \(value)")
                continue
            }
            result.accept(Indicator(kind: kind, value: canonical, provenance: [Provenance(feed: feed, file: path, line: number)]))
        }
        return result
    }

    static func readLokiHash(text: String, path: String, feed: String) -> FeedImport {
        var result = FeedImport(format: .lokiHash)
        for (number, line) in numberedLines(text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ";", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard let (kind, hash) = Normalizer.normalizeHash(fields[0].trimmingCharacters(in: .whitespaces)) else {
                result.reject(path: path, line: number, claimedType: "hash", "not an MD5, SHA-1 or SHA-256: \(fields[0])")
                continue
            }
            var score: Int?
            var description: String?
            if fields.count == 3, let s = Int(fields[1].trimmingCharacters(in: .whitespaces)) {
                score = s
                description = fields[2]
            } else if fields.count >= 2 {
                description = fields[1...].joined(separator: ";")
            }
            result.accept(Indicator(
                kind: kind, value: hash, score: score,
                provenance: [Provenance(feed: feed, file: path, line: number, description: description)]))
        }
        return result
    }

    static func readLokiFilename(text: String, path: String, feed: String) -> FeedImport {
        var result = FeedImport(format: .lokiFilename)
        var description: String?
        for (number, line) in numberedLines(text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("#") {
                let d = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
                if !d.isEmpty { description = d }
                continue
            }
            let fields = trimmed.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2, let score = Int(fields[1].trimmingCharacters(in: .whitespaces)) else {
                result.reject(path: path, line: number, claimedType: "filename", "expected REGEX;SCORE[;FALSE_POSITIVE_REGEX]")
                continue
            }
            guard (try? NSRegularExpression(pattern: fields[0], options: [.caseInsensitive])) != nil else {
                result.reject(path: path, line: number, claimedType: "filename", "regex does not compile: \(fields[0])")
                continue
            }
            result.accept(Indicator(
                kind: .filename, value: fields[0], score: score,
                provenance: [Provenance(feed: feed, file: path, line: number, description: description)]))
        }
        return result
    }

    static func readLokiC2(text: String, path: String, feed: String) -> FeedImport {
        var result = FeedImport(format: .lokiC2)
        var description: String?
        for (number, line) in numberedLines(text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("#") {
                let d = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
                if !d.isEmpty, !d.allSatisfy({ $0 == "-" }) { description = d }
                continue
            }
            let fields = trimmed.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            let score = fields.count >= 2 ? Int(fields[1].trimmingCharacters(in: .whitespaces)) : nil
            guard let (kind, value) = Normalizer.classify(fields[0]), [.domain, .ipv4, .ipv6, .cidr, .url].contains(kind) else {
                result.reject(path: path, line: number, claimedType: "c2", "not a domain, IP address or CIDR: \(fields[0])")
                continue
            }
            result.accept(Indicator(
                kind: kind, value: value, score: score,
                provenance: [Provenance(feed: feed, file: path, line: number, description: description)]))
        }
        return result
    }
}
