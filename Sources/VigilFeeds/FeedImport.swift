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
    /// A typed indicator table: SophosLabs `Indicator_type,Data,Note`, Volexity
    /// `value,entity_type,description` and similar header spellings.
    case csv
    /// STIX 2.1: a bundle, a single object, a JSON array of objects, or JSON Lines.
    case stix
    /// A MISP event (`{"Event":…}` or `{"response":[{"Event":…}]}`); a folder with `manifest.json`
    /// is a MISP feed.
    case misp
    /// OpenIOC 1.0 (`<ioc>`) or 1.1 (`<OpenIOC>`) XML.
    case openioc
}

/// Settings that change what an import keeps.
public struct FeedReadOptions: Sendable {
    /// The time STIX `valid_from`/`valid_until` are compared with.
    public var now: Date
    /// Keep STIX indicators whose validity window has ended (counted, not dropped, either way).
    public var includeExpired: Bool
    /// Keep MISP attributes with `to_ids=false`.
    public var includeNonIDS: Bool

    public init(now: Date = Date(), includeExpired: Bool = false, includeNonIDS: Bool = false) {
        self.now = now
        self.includeExpired = includeExpired
        self.includeNonIDS = includeNonIDS
    }
}

/// Per-kind counts of what an import accepted, merged as duplicates, or rejected.
public struct ImportSummary: Sendable, Codable, Hashable {
    public var accepted: [IndicatorKind: Int] = [:]
    public var duplicates: [IndicatorKind: Int] = [:]
    /// Rejected rows, keyed by the type the row claimed (or `unknown`).
    public var rejected: [String: Int] = [:]
    /// Records deliberately not imported, keyed by reason: `to_ids=false`, `expired`, `type text`,
    /// `description row`… Each is also listed as a diagnostic of kind `skipped`.
    public var skipped: [String: Int] = [:]
    /// Rows imported only after a correction (``Salvage``), keyed by rule (`port-removed`,
    /// `reclassified`…); a row corrected by two rules counts under both. Each row is also listed as a
    /// diagnostic of kind `corrected` with the original value and what was changed.
    public var corrected: [String: Int] = [:]
    /// Rows imported only after a correction (each counted once, whatever the number of rules).
    public var correctedRows = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case accepted, duplicates, rejected, skipped, corrected, correctedRows
    }

    /// Decodes summaries stored before corrections were counted too (they have no `corrected`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accepted = try c.decodeIfPresent([IndicatorKind: Int].self, forKey: .accepted) ?? [:]
        duplicates = try c.decodeIfPresent([IndicatorKind: Int].self, forKey: .duplicates) ?? [:]
        rejected = try c.decodeIfPresent([String: Int].self, forKey: .rejected) ?? [:]
        skipped = try c.decodeIfPresent([String: Int].self, forKey: .skipped) ?? [:]
        corrected = try c.decodeIfPresent([String: Int].self, forKey: .corrected) ?? [:]
        correctedRows = try c.decodeIfPresent(Int.self, forKey: .correctedRows) ?? 0
    }

    /// Adds another summary's counts to this one.
    public mutating func add(_ other: ImportSummary) {
        for (k, v) in other.accepted { accepted[k, default: 0] += v }
        for (k, v) in other.duplicates { duplicates[k, default: 0] += v }
        for (k, v) in other.rejected { rejected[k, default: 0] += v }
        for (k, v) in other.skipped { skipped[k, default: 0] += v }
        for (k, v) in other.corrected { corrected[k, default: 0] += v }
        correctedRows += other.correctedRows
    }

    public var totalAccepted: Int { accepted.values.reduce(0, +) }
    public var totalDuplicates: Int { duplicates.values.reduce(0, +) }
    public var totalRejected: Int { rejected.values.reduce(0, +) }
    public var totalSkipped: Int { skipped.values.reduce(0, +) }

    /// Whether anything was rejected: `vigil feed add` exits 1 then, and 0 when every row was imported
    /// (possibly corrected) or deliberately skipped.
    public var hasRejections: Bool { totalRejected > 0 }
}

/// The result of reading one feed file: its indicators (distinct, provenance merged), every rejected
/// row as a ``Diagnostic`` with file and line, and the counts.
public struct FeedImport: Sendable {
    public var format: FeedFormat
    public var indicators: IndicatorSet
    public var diagnostics: [Diagnostic]
    public var summary: ImportSummary

    /// Rejected rows listed per file as diagnostics; the rest are counted (in ``ImportSummary/rejected``
    /// and one `more-rejected-rows` diagnostic per file), so a hostile feed cannot flood the output,
    /// the memory or the store.
    public static let maxRejectedRowsListed = 100
    /// Corrected rows listed per file as diagnostics; the rest are counted the same way
    /// (`more-corrected-rows`). Real feeds stay far below it.
    public static let maxCorrectedRowsListed = 10_000
    /// Values longer than this many bytes are rejected without being classified: no hash, name,
    /// address or path Vigil matches is that long, and parsing megabytes per value would be slow.
    public static let maxValueBytes = 8_192
    /// Messages longer than this many bytes are shortened in the middle (a value is echoed in part).
    public static let maxMessageBytes = 400

    /// Per file: how many rows of each diagnostic kind were seen, and where the "more" diagnostic is.
    private var listed: [ListKey: Int] = [:]
    private var moreIndex: [ListKey: Int] = [:]
    private struct ListKey: Hashable {
        var kind: String
        var path: String
    }

    public init(format: FeedFormat) {
        self.format = format
        self.indicators = IndicatorSet()
        self.diagnostics = []
        self.summary = ImportSummary()
    }

    /// Provenance records kept per indicator and source file when the rows say different things
    /// (descriptions, tags); further rows of that file only count as duplicates.
    public static let maxProvenancePerFile = 8

    /// Adds one accepted indicator and counts it as accepted or duplicate. A value the same feed
    /// already published in the same file with the same description and tags is merged without a
    /// second provenance record, and at most ``maxProvenancePerFile`` records are kept per file, so a
    /// file repeating one value costs memory and store space for one indicator, not per row.
    public mutating func accept(_ indicator: Indicator) {
        var indicator = indicator
        if let existing = indicators.lookup(indicator.kind, indicator.value) {
            indicator.provenance.removeAll { p in
                let sameFile = existing.provenance.lazy.filter { $0.feed == p.feed && $0.file == p.file }
                return sameFile.contains { $0.description == p.description && $0.tags == p.tags }
                    || sameFile.count >= Self.maxProvenancePerFile
            }
        }
        switch indicators.insert(indicator) {
        case .added: summary.accepted[indicator.kind, default: 0] += 1
        case .merged: summary.duplicates[indicator.kind, default: 0] += 1
        }
    }

    /// Records a rejected row; nothing is dropped silently. After ``maxRejectedRowsListed`` rows of one
    /// file the rest are counted in one `more-rejected-rows` diagnostic.
    public mutating func reject(path: String, line: Int?, claimedType: String = "unknown", _ message: String) {
        summary.rejected[claimedType, default: 0] += 1
        list(Diagnostic(kind: "rejected-row", path: path, line: line, message: Self.shorten(message)),
             cap: Self.maxRejectedRowsListed, more: "more-rejected-rows", what: "rejected rows")
    }

    /// Appends `diagnostic` unless `cap` diagnostics of its kind were listed for its file already; then
    /// counts it in the file's `more` diagnostic instead.
    private mutating func list(_ diagnostic: Diagnostic, cap: Int, more: String, what: String) {
        let key = ListKey(kind: diagnostic.kind, path: diagnostic.path)
        let n = listed[key, default: 0] + 1
        listed[key] = n
        guard n > cap else {
            diagnostics.append(diagnostic)
            return
        }
        let message = "\(n - cap) more \(what) in this file (the first \(cap) are listed; all are counted in the summary)"
        if let i = moreIndex[key] {
            diagnostics[i].message = message
        } else {
            moreIndex[key] = diagnostics.count
            diagnostics.append(Diagnostic(kind: more, path: diagnostic.path, message: message))
        }
    }

    /// `message` when it is at most ``maxMessageBytes`` long, else its start and end with the number
    /// of bytes left out between them (a 50 MB value is never echoed whole).
    public static func shorten(_ message: String) -> String {
        let bytes = message.utf8.count
        guard bytes > maxMessageBytes else { return message }
        let head = String(decoding: message.utf8.prefix(240), as: UTF8.self)
        let tail = String(decoding: message.utf8.suffix(120), as: UTF8.self)
        return head + "…[\(bytes - 360) bytes left out]…" + tail
    }

    /// Records that a row was imported only after corrections: counted per rule and listed as a
    /// `corrected` diagnostic naming the value as published, what it became and why.
    public mutating func correct(path: String, line: Int?, claimedType: String?, original: String, kind: IndicatorKind, value: String,
                                 _ corrections: [Salvage.Correction]) {
        guard !corrections.isEmpty else { return }
        summary.correctedRows += 1
        for rule in Set(corrections.map(\.rule)) { summary.corrected[rule.rawValue, default: 0] += 1 }
        let column = claimedType.map { " (\($0))" } ?? ""
        let message = "'\(original)'\(column) imported as \(kind.rawValue) \(value): "
            + corrections.map(\.detail).joined(separator: "; ")
        list(Diagnostic(kind: "corrected", path: path, line: line, message: Self.shorten(message)),
             cap: Self.maxCorrectedRowsListed, more: "more-corrected-rows", what: "corrected rows")
    }

    /// Records a record deliberately not imported (not an error), counted under `reason`.
    public mutating func skip(path: String, line: Int?, reason: String, _ message: String) {
        summary.skipped[reason, default: 0] += 1
        list(Diagnostic(kind: "skipped", path: path, line: line, message: Self.shorten(message)),
             cap: Self.maxRejectedRowsListed, more: "more-skipped-rows", what: "skipped rows")
    }

    /// Records a problem that is neither a rejected row nor a skip (e.g. a pattern warning).
    public mutating func warn(path: String, line: Int?, _ message: String) {
        list(Diagnostic(kind: "warning", path: path, line: line, message: Self.shorten(message)),
             cap: Self.maxRejectedRowsListed, more: "more-warnings", what: "warnings")
    }

    /// Merges another import into this one (indicators, counts and diagnostics). A value new in
    /// `other` but already present here counts as a duplicate.
    public mutating func merge(_ other: FeedImport) {
        for i in other.indicators.indicators { accept(i) }
        for (k, v) in other.summary.duplicates { summary.duplicates[k, default: 0] += v }
        for (k, v) in other.summary.rejected { summary.rejected[k, default: 0] += v }
        for (k, v) in other.summary.skipped { summary.skipped[k, default: 0] += v }
        for (k, v) in other.summary.corrected { summary.corrected[k, default: 0] += v }
        summary.correctedRows += other.summary.correctedRows
        diagnostics += other.diagnostics
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
        try read(contentsOf: url, feed: feed, format: format, options: FeedReadOptions())
    }

    /// Reads one feed file or folder with explicit options. A folder holding `manifest.json` is read
    /// as a MISP feed; any other folder is read file by file (see ``readDirectory(_:feed:format:options:)``).
    public static func read(contentsOf url: URL, feed: String, format: FeedFormat?, options: FeedReadOptions) throws -> FeedImport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FeedError(path: url.path, message: "no such file or folder")
        }
        if isDirectory.boolValue {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("manifest.json").path) {
                return try MISPReader.readFeedFolder(url, feed: feed, options: options)
            }
            return try readDirectory(url, feed: feed, format: format, options: options)
        }
        let data: Data
        do { data = try readCapped(url) } catch let error as FeedError { throw error } catch {
            throw FeedError(path: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let chosen = format ?? detect(text: text, fileName: url.lastPathComponent)
        return try parse(text: text, path: url.path, feed: feed, format: chosen, options: options)
    }

    /// The largest feed file Vigil reads (hostile input; real feeds are far smaller).
    public static let maxFileBytes = 512 << 20

    static func readCapped(_ url: URL) throws -> Data {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= maxFileBytes else {
            throw FeedError(path: url.path, message: "file is \(size) bytes, larger than the \(maxFileBytes)-byte limit")
        }
        return try Data(contentsOf: url)
    }

    /// Reads every regular file under `directory` (recursively, in name order, hidden files and
    /// licence/readme files skipped) and merges them. Files that are not feeds become diagnostics;
    /// the call throws only when no file at all could be read as a feed.
    public static func readDirectory(_ directory: URL, feed: String, format: FeedFormat?, options: FeedReadOptions) throws -> FeedImport {
        var result = FeedImport(format: format ?? .plain)
        let files = feedFiles(in: directory)
        var readAny = false
        for file in files {
            do {
                let one = try read(contentsOf: file, feed: feed, format: format, options: options)
                result.merge(one)
                readAny = true
            } catch let error as FeedError {
                result.diagnostics.append(Diagnostic(kind: "not-a-feed", path: error.path, message: error.message))
            }
        }
        guard readAny else {
            throw FeedError(path: directory.path, message: "no feed file in this folder (\(files.count) files looked at)")
        }
        return result
    }

    /// Regular files under `directory` that may be feeds, sorted by path.
    static func feedFiles(in directory: URL) -> [URL] {
        let skippedNames: Set<String> = ["license", "license.txt", "license.md", "readme", "readme.md", "copying", "notice"]
        guard let walker = FileManager.default.enumerator(
            at: directory, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { return [] }
        var files: [URL] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let name = url.lastPathComponent.lowercased()
            if skippedNames.contains(name) || name.hasPrefix("license") || name.hasSuffix(".xsd") || name.hasSuffix(".md") { continue }
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Reads feed text that is already in memory. A file that is not a feed of the given format
    /// yields an import with one `malformed` diagnostic (use ``parse(text:path:feed:format:options:)``
    /// to get the error instead).
    public static func read(text: String, path: String, feed: String, format: FeedFormat) -> FeedImport {
        do {
            return try parse(text: text, path: path, feed: feed, format: format, options: FeedReadOptions())
        } catch {
            var result = FeedImport(format: format)
            result.diagnostics.append(Diagnostic(kind: "malformed", path: path, message: String(describing: error)))
            return result
        }
    }

    /// Parses feed text in the given format.
    /// - Throws: ``FeedError`` when the text is not a feed of that format at all (e.g. a CSV without
    ///   type and value columns, JSON that does not parse, XML that is not OpenIOC).
    public static func parse(text: String, path: String, feed: String, format: FeedFormat, options: FeedReadOptions) throws -> FeedImport {
        switch format {
        case .plain: return readPlain(text: text, path: path, feed: feed)
        case .lokiHash: return readLokiHash(text: text, path: path, feed: feed)
        case .lokiFilename: return readLokiFilename(text: text, path: path, feed: feed)
        case .lokiC2: return readLokiC2(text: text, path: path, feed: feed)
        case .csv: return try TypedCSVReader.read(text: text, path: path, feed: feed)
        case .stix: return try STIXReader.read(text: text, path: path, feed: feed, options: options)
        case .misp: return try MISPReader.readEvent(text: text, path: path, feed: feed, options: options)
        case .openioc: return try OpenIOCReader.read(text: text, path: path, feed: feed)
        }
    }

    /// Guesses the format from the content first (JSON, XML, a CSV header), then from the file name
    /// (Loki's own convention), falling back to a plain list.
    public static func detect(text: String, fileName: String) -> FeedFormat {
        let name = fileName.lowercased()
        let head = String(text.prefix(4096)).trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}")))
        if head.hasPrefix("{") || head.hasPrefix("[{") || head.hasPrefix("[\n") || head.hasPrefix("[ ") || head == "[" {
            if head.contains("\"Event\"") || head.contains("\"response\"") { return .misp }
            if head.contains("\"type\"") || head.contains("\"spec_version\"") { return .stix }
            return name.contains("misp") ? .misp : .stix
        }
        if head.hasPrefix("<") { return .openioc }
        if name.hasSuffix(".csv") || TypedCSVReader.looksLikeHeader(firstLine: head) { return .csv }
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

    /// One or more values per line (MISP "freetext" feeds separate them with spaces), `#`, `//` and
    /// `<!--` comments, hosts-file lines (`0.0.0.0 name`); each value's type is detected on its own.
    static func readPlain(text: String, path: String, feed: String) -> FeedImport {
        var result = FeedImport(format: .plain)
        for (number, line) in numberedLines(text) {
            var value = line.trimmingCharacters(in: .whitespaces)
            if value.isEmpty || value.hasPrefix("#") || value.hasPrefix("//") || value.hasPrefix("<!--") { continue }
            if let comment = value.range(of: " #") ?? value.range(of: "\t#") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            // Refang first so that "evil[.] com" stays one value, then split on whitespace.
            let refanged = Normalizer.refang(value)
            var fields = refanged.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            // "SHA1: e2…" is one value with its type in front, not two values.
            if fields.count == 2, let (_, rest) = Salvage.splitTypePrefix(refanged), !rest.contains(where: \.isWhitespace) {
                fields = [refanged]
            }
            // hosts-file lines: "0.0.0.0 name" or "127.0.0.1 name [alias…]".
            if fields.count >= 2, ["0.0.0.0", "127.0.0.1", "::", "::1"].contains(fields[0]) { fields.removeFirst() }
            // Strict first; a value that is not an indicator as published may still be recoverable.
            // Bytes that were not valid UTF-8 (U+FFFD after decoding) make a value unusable.
            let classified = fields.map {
                $0.utf8.count > FeedImport.maxValueBytes || $0.unicodeScalars.contains("\u{FFFD}") ? nil : Salvage.classify($0)
            }
            // A path regex (one hash, domain or path regex per line; it may hold spaces): a line that
            // is not all indicator values, holds a path separator and compiles as a regex becomes a
            // case-insensitive file name indicator.
            if classified.contains(where: { $0 == nil }), value.utf8.count <= FeedImport.maxValueBytes,
                value.contains("/") || value.contains("\\"), !value.contains("\u{FFFD}"),
                (try? NSRegularExpression(pattern: value, options: [.caseInsensitive])) != nil
            {
                result.accept(Indicator(kind: .filename, value: value, provenance: [Provenance(feed: feed, file: path, line: number)]))
                continue
            }
            for (field, match) in zip(fields, classified) {
                guard let match else {
                    if let long = IndicatorTypeName.tooLong(field) {
                        result.reject(path: path, line: number, long.message)
                    } else if let invalid = IndicatorTypeName.invalidUTF8(field) {
                        result.reject(path: path, line: number, invalid.message)
                    } else {
                        result.reject(path: path, line: number, "not a hash, domain, URL, IP address, CIDR, e-mail or path regex: \(field)")
                    }
                    continue
                }
                result.correct(path: path, line: number, claimedType: nil, original: field, kind: match.kind, value: match.value, match.corrections)
                result.accept(Indicator(kind: match.kind, value: match.value, provenance: [
                    Provenance(feed: feed, file: path, line: number, original: field == match.value ? nil : field),
                ]))
            }
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
        for row in lokiRows(text) {
            let fields = row.fields
            guard fields.count >= 2, let score = Int(fields[1].trimmingCharacters(in: .whitespaces)) else {
                result.reject(path: path, line: row.number, claimedType: "filename", "expected REGEX;SCORE[;FALSE_POSITIVE_REGEX]")
                continue
            }
            if let invalid = IndicatorTypeName.invalidUTF8(fields[0]) {
                result.reject(path: path, line: row.number, claimedType: "filename", invalid.message)
                continue
            }
            guard (try? NSRegularExpression(pattern: fields[0], options: [.caseInsensitive])) != nil else {
                result.reject(path: path, line: row.number, claimedType: "filename", "regex does not compile: \(fields[0])")
                continue
            }
            // Loki splits on every ';', so a false-positive regex never contains one.
            var falsePositive = fields.count >= 3 ? fields[2].trimmingCharacters(in: .whitespaces) : ""
            if !falsePositive.isEmpty, (try? NSRegularExpression(pattern: falsePositive, options: [])) == nil {
                result.warn(path: path, line: row.number, "false-positive regex does not compile, so hits of this indicator are not filtered: \(falsePositive)")
                falsePositive = ""
            }
            result.accept(Indicator(
                kind: .filename, value: fields[0], score: score,
                provenance: [Provenance(feed: feed, file: path, line: row.number, description: row.description)],
                falsePositivePattern: falsePositive.isEmpty ? nil : falsePositive))
        }
        return result
    }

    static func readLokiC2(text: String, path: String, feed: String) -> FeedImport {
        var result = FeedImport(format: .lokiC2)
        for row in lokiRows(text) {
            let fields = row.fields
            let score = fields.count >= 2 ? Int(fields[1].trimmingCharacters(in: .whitespaces)) : nil
            if let invalid = IndicatorTypeName.invalidUTF8(fields[0]) {
                result.reject(path: path, line: row.number, claimedType: "c2", invalid.message)
                continue
            }
            guard let (kind, value) = Normalizer.classify(fields[0]), [.domain, .ipv4, .ipv6, .cidr, .url].contains(kind) else {
                result.reject(path: path, line: row.number, claimedType: "c2", "not a domain, IP address or CIDR: \(fields[0])")
                continue
            }
            result.accept(Indicator(
                kind: kind, value: value, score: score,
                provenance: [Provenance(feed: feed, file: path, line: row.number, description: row.description)]))
        }
        return result
    }

    /// The data rows of a Loki filename or C2 file: `;`-separated fields, with the last `# comment`
    /// line above them as their description (decoration lines of dashes are not descriptions).
    static func lokiRows(_ text: String) -> [(number: Int, fields: [String], description: String?)] {
        var rows: [(number: Int, fields: [String], description: String?)] = []
        var description: String?
        for (number, line) in numberedLines(text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("#") {
                let d = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
                if !d.isEmpty, !d.allSatisfy({ $0 == "-" }) { description = d }
                continue
            }
            rows.append((number, trimmed.split(separator: ";", omittingEmptySubsequences: false).map(String.init), description))
        }
        return rows
    }
}
