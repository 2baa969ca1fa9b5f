import Foundation
import VigilCore
import VigilIndicators

/// The matchable values of a STIX pattern, and the comparisons Vigil could not use.
struct STIXPatternIndicators {
    /// `(kind, canonical value, value as published)`
    var values: [(kind: IndicatorKind, value: String, original: String)] = []
    /// Descriptions of comparisons that are valid STIX but not matchable by Vigil (`file:name`,
    /// `x509-certificate:…`, `app:id`, `!=`, `LIKE`…).
    var unsupported: [String] = []
    /// Comparisons whose value is invalid for its type (a 39-character hash…).
    var invalid: [String] = []
    /// Notes about how the pattern was read (AND across object types, qualifiers).
    var warnings: [String] = []

    init() {}

    init(_ pattern: STIXPattern) {
        collect(pattern)
    }

    private mutating func collect(_ pattern: STIXPattern) {
        switch pattern {
        case .observation(let comparison):
            collect(comparison, insideAnd: false)
        case .combined(let op, let parts):
            if op != .or {
                warnings.append("observations joined by \(op.rawValue): each value is taken as an indicator on its own")
            }
            for p in parts { collect(p) }
        case .qualified(let inner, let qualifier):
            warnings.append("qualifier '\(qualifier)' ignored")
            collect(inner)
        }
    }

    private mutating func collect(_ comparison: STIXComparison, insideAnd: Bool) {
        switch comparison {
        case .or(let parts):
            for p in parts { collect(p, insideAnd: insideAnd) }
        case .and(let parts):
            // An AND inside one observation must hold for a single object: across object types it
            // can never match. Within one type, the most specific matchable term (a hash) stands
            // for the object; the other terms only narrow it.
            let types = Set(parts.compactMap(\.objectType))
            if types.count > 1 {
                warnings.append("AND across object types (\(types.sorted().joined(separator: ", "))) can never match one object")
                unsupported.append("AND across object types")
                return
            }
            var inner = STIXPatternIndicators()
            for p in parts { inner.collect(p, insideAnd: true) }
            invalid += inner.invalid
            warnings += inner.warnings
            if inner.values.isEmpty {
                unsupported.append("AND of unsupported comparisons (\(inner.unsupported.joined(separator: ", ")))")
            } else {
                values += inner.values
                if !inner.unsupported.isEmpty {
                    warnings.append("AND: the matchable terms stand for the object; \(inner.unsupported.joined(separator: ", ")) not checked")
                }
            }
        case .test(let path, let op, let negated, let value):
            guard !negated, op == "=" || op == "IN" else {
                unsupported.append("\(path) \(negated ? "NOT " : "")\(op)")
                return
            }
            guard let allowed = Self.kinds(for: path) else {
                unsupported.append(path.description)
                return
            }
            let strings: [String]
            switch value {
            case .string(let s): strings = [s]
            case .set(let items): strings = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
            default:
                unsupported.append("\(path) compared with a non-string literal")
                return
            }
            for s in strings {
                switch IndicatorTypeName.normalize(s, claimedType: path.description, allowed: allowed) {
                case .success(let (kind, canonical)): values.append((kind, canonical, s))
                case .failure(let reason): invalid.append(reason.message)
                }
            }
        }
    }

    /// The indicator kinds an object path may yield, or `nil` when Vigil does not match on it.
    static func kinds(for path: STIXObjectPath) -> Set<IndicatorKind>? {
        let steps = path.steps.map { TypedCSVReader.key($0) }
        switch path.objectType.lowercased() {
        case "file", "artifact":
            guard steps.count == 2, steps[0] == "hashes" else { return nil }
            switch steps[1] {
            case "sha256": return [.sha256]
            case "sha1": return [.sha1]
            case "md5": return [.md5]
            default: return nil
            }
        // Published feeds store IPs as domain-name (Amnesty): accept addresses there too.
        case "domain-name": return steps == ["value"] ? [.domain, .ipv4, .ipv6] : nil
        case "url": return steps == ["value"] ? [.url, .domain] : nil
        case "ipv4-addr": return steps == ["value"] ? [.ipv4, .cidr] : nil
        case "ipv6-addr": return steps == ["value"] ? [.ipv6, .cidr] : nil
        case "email-addr": return steps == ["value"] ? [.email] : nil
        default: return nil
        }
    }
}

extension STIXComparison {
    var objectType: String? {
        if case .test(let path, _, _, _) = self { return path.objectType.lowercased() }
        return nil
    }
}

/// Reads STIX 2.1 JSON: a bundle, a single object, an array of objects, or JSON Lines (one object
/// per line, SEKOIA style). Only `indicator` objects with `pattern_type` `stix` become indicators;
/// other pattern types (YARA, Sigma…), unsupported comparisons and expired indicators are counted and
/// reported, never fatal for the rest of the feed.
enum STIXReader {
    /// Most objects read from one file (hostile input).
    static let maxObjects = 5_000_000

    static func read(text: String, path: String, feed: String, options: FeedReadOptions) throws -> FeedImport {
        var result = FeedImport(format: .stix)
        let objects = try parseObjects(text: text, path: path, into: &result)
        guard !objects.isEmpty else { throw FeedError(path: path, message: "no STIX objects found") }
        var sawSTIX = false
        for (line, object) in objects.prefix(maxObjects) {
            guard let type = object["type"] as? String else {
                result.reject(path: path, line: line, claimedType: "object", "object without a 'type'")
                continue
            }
            sawSTIX = sawSTIX || object["id"] is String
            guard type == "indicator" else { continue }
            readIndicator(object, line: line, path: path, feed: feed, options: options, into: &result)
        }
        guard sawSTIX else { throw FeedError(path: path, message: "not STIX: no object has a STIX 'id'") }
        return result
    }

    /// The objects of the file with the line each starts on (JSON Lines) or the line of the bundle.
    static func parseObjects(text: String, path: String, into result: inout FeedImport) throws -> [(Int?, [String: Any])] {
        let data = Data(text.utf8)
        if let top = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
            if let dict = top as? [String: Any] {
                if dict["type"] as? String == "bundle" {
                    return ((dict["objects"] as? [Any]) ?? []).compactMap { $0 as? [String: Any] }.map { (nil, $0) }
                }
                return [(1, dict)]
            }
            if let array = top as? [Any] { return array.compactMap { $0 as? [String: Any] }.map { (nil, $0) } }
            throw FeedError(path: path, message: "JSON is neither an object nor an array")
        }
        // JSON Lines: one object per line; a bad line is reported and the rest still read.
        var objects: [(Int?, [String: Any])] = []
        var bad = 0
        for (number, line) in FeedReader.numberedLines(text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                bad += 1
                result.reject(path: path, line: number, claimedType: "object", "line is not a JSON object")
                continue
            }
            objects.append((number, object))
        }
        if objects.isEmpty { throw FeedError(path: path, message: "not JSON and not JSON Lines (\(bad) unparsable lines)") }
        return objects
    }

    static func readIndicator(
        _ object: [String: Any], line: Int?, path: String, feed: String, options: FeedReadOptions, into result: inout FeedImport
    ) {
        let id = object["id"] as? String ?? "indicator"
        let patternType = (object["pattern_type"] as? String) ?? "stix"
        guard patternType.lowercased() == "stix" else {
            result.skip(path: path, line: line, reason: "pattern_type \(patternType)", "\(id): pattern_type '\(patternType)' is not a STIX pattern")
            return
        }
        guard let patternText = object["pattern"] as? String else {
            result.reject(path: path, line: line, claimedType: "pattern", "\(id): indicator without a pattern")
            return
        }
        let validFrom = (object["valid_from"] as? String).flatMap(STIXTime.parse)
        let validUntil = (object["valid_until"] as? String).flatMap(STIXTime.parse)
        if !options.includeExpired {
            if let validUntil, validUntil <= options.now {
                result.skip(path: path, line: line, reason: "expired",
                            "\(id): valid_until \(object["valid_until"] as? String ?? "") has passed")
                return
            }
            if let validFrom, validFrom > options.now {
                result.skip(path: path, line: line, reason: "not yet valid",
                            "\(id): valid_from \(object["valid_from"] as? String ?? "") is in the future")
                return
            }
        }
        let pattern: STIXPattern
        do { pattern = try STIXPattern.parse(patternText) } catch {
            result.reject(path: path, line: line, claimedType: "pattern", "\(id): \(error.description): \(patternText.prefix(200))")
            return
        }
        let extracted = STIXPatternIndicators(pattern)
        for w in extracted.warnings { result.warn(path: path, line: line, "\(id): \(w)") }
        for u in extracted.unsupported {
            result.skip(path: path, line: line, reason: "unsupported pattern", "\(id): unsupported comparison \(u) in \(patternText.prefix(200))")
        }
        for bad in extracted.invalid {
            result.reject(path: path, line: line, claimedType: "pattern", "\(id): \(bad)")
        }
        var tags: [String] = []
        tags += (object["indicator_types"] as? [String]) ?? []
        tags += (object["labels"] as? [String]) ?? []
        let description = (object["description"] as? String) ?? (object["name"] as? String)
        for v in extracted.values {
            result.accept(Indicator(kind: v.kind, value: v.value, score: (object["confidence"] as? Int), provenance: [
                Provenance(feed: feed, file: path, line: line, description: description.map { "\($0) (\(id))" } ?? id,
                           firstSeen: object["valid_from"] as? String, original: v.original == v.value ? nil : v.original,
                           tags: tags.isEmpty ? nil : tags),
            ]))
        }
    }
}

/// RFC 3339 timestamps as STIX writes them (`2021-11-10T00:00:00Z`, with or without fractions).
enum STIXTime {
    static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
