import Foundation
import VigilCore
import VigilIndicators

/// Formats a stored feed can be exported in.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// One indicator per row: `type,value,first_seen,last_seen,confidence,source,tags,tlp,description`.
    case csv
    /// A STIX 2.1 bundle of `indicator` objects (pattern_type `stix`).
    case stix
    /// A MISP event in the `{"Event": …}` wrapping, one attribute per value, `to_ids` set.
    case misp
}

/// Writes stored feeds in exchange formats. Output is deterministic except for generated UUIDs and
/// the creation time.
public enum FeedExporter {
    public static func export(_ feed: StoredFeed, as format: ExportFormat, now: Date = Date()) -> String {
        switch format {
        case .csv: return csv(feed.indicators)
        case .stix: return stix(feed, now: now)
        case .misp: return misp(feed, now: now)
        }
    }

    // MARK: CSV

    /// One CSV field: control characters escaped (``TerminalSafe``: a line break in a description
    /// becomes `\n`, so every row is one line), quoted when it holds a comma or a quote.
    static func csvField(_ s: String) -> String {
        let s = TerminalSafe.escape(s)
        return s.contains(where: { $0 == "," || $0 == "\"" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// The SIEM-style CSV (columns in docs/feeds.md): one row per indicator.
    public static func csv(_ indicators: [Indicator]) -> String {
        var out = "type,value,first_seen,last_seen,confidence,source,tags,tlp,description\n"
        for i in indicators {
            let firstSeen = i.provenance.compactMap(\.firstSeen).min() ?? ""
            let tags = Array(Set(i.provenance.flatMap { $0.tags ?? [] })).sorted()
            let tlp = tags.first { $0.lowercased().hasPrefix("tlp:") } ?? ""
            let row = [i.kind.rawValue, i.value, firstSeen, "", i.score.map(String.init) ?? "", i.feeds.joined(separator: ";"),
                       tags.joined(separator: ";"), tlp, i.summary ?? ""]
            out += row.map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    // MARK: STIX 2.1

    /// A STIX string literal: single-quoted, `\` and `'` escaped.
    static func stixQuote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// The STIX pattern for one indicator (STIX 2.1 patterning: quoted `'SHA-256'`, spaces around `=`).
    public static func stixPattern(for i: Indicator) -> String {
        let v = stixQuote(i.value)
        switch i.kind {
        case .md5: return "[file:hashes.MD5 = \(v)]"
        case .sha1: return "[file:hashes.'SHA-1' = \(v)]"
        case .sha256: return "[file:hashes.'SHA-256' = \(v)]"
        case .domain: return "[domain-name:value = \(v)]"
        case .url: return "[url:value = \(v)]"
        case .ipv4: return "[ipv4-addr:value = \(v)]"
        case .ipv6: return "[ipv6-addr:value = \(v)]"
        case .cidr: return i.value.contains(":") ? "[ipv6-addr:value = \(v)]" : "[ipv4-addr:value = \(v)]"
        case .email: return "[email-addr:value = \(v)]"
        case .filename: return "[file:name MATCHES \(v)]"
        case .urlPath:
            // A path without a host: any URL ending in it (or, for a `/`-terminated prefix, containing
            // it). A `%` or `_` in the path is a LIKE wildcard too: the pattern may match a little more.
            return "[url:value LIKE \(stixQuote("%" + i.value + (i.value.hasSuffix("/") ? "%" : "")))]"
        }
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// A valid STIX timestamp from a provenance first-seen value (ISO 8601 or a date), or `nil`.
    static func stixTime(_ text: String?) -> String? {
        guard let text else { return nil }
        if let d = STIXTime.parse(text) { return timestamp(d) }
        if text.count == 10, let d = STIXTime.parse(text + "T00:00:00Z") { return timestamp(d) }
        return nil
    }

    static func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func stix(_ feed: StoredFeed, now: Date) -> String {
        let created = timestamp(now)
        var objects: [[String: Any]] = []
        for i in feed.indicators {
            var o: [String: Any] = [
                "type": "indicator", "spec_version": "2.1", "id": "indicator--\(UUID().uuidString.lowercased())",
                "created": created, "modified": created,
                "name": "\(i.kind.rawValue) \(i.value)".prefix(250).description,
                "indicator_types": ["malicious-activity"],
                "pattern": stixPattern(for: i), "pattern_type": "stix", "pattern_version": "2.1",
                "valid_from": stixTime(i.provenance.compactMap(\.firstSeen).min()) ?? created,
                "labels": i.feeds,
            ]
            if let d = i.summary { o["description"] = d }
            if let s = i.score, (0...100).contains(s) { o["confidence"] = s }
            objects.append(o)
        }
        return json(["type": "bundle", "id": "bundle--\(UUID().uuidString.lowercased())", "objects": objects])
    }

    // MARK: MISP

    static func mispType(_ kind: IndicatorKind) -> (type: String, category: String) {
        switch kind {
        case .md5: return ("md5", "Payload delivery")
        case .sha1: return ("sha1", "Payload delivery")
        case .sha256: return ("sha256", "Payload delivery")
        case .domain: return ("domain", "Network activity")
        case .url: return ("url", "Network activity")
        case .ipv4, .ipv6, .cidr: return ("ip-dst", "Network activity")
        case .email: return ("email-src", "Payload delivery")
        case .filename: return ("filename-pattern", "Payload installation")
        case .urlPath: return ("uri", "Network activity")
        }
    }

    static func misp(_ feed: StoredFeed, now: Date) -> String {
        let epoch = String(Int(now.timeIntervalSince1970))
        let day = String(timestamp(now).prefix(10))
        var attributes: [[String: Any]] = []
        for i in feed.indicators {
            let (type, category) = mispType(i.kind)
            var a: [String: Any] = [
                "uuid": UUID().uuidString.lowercased(), "type": type, "category": category, "value": i.value,
                "to_ids": true, "timestamp": epoch, "distribution": "5", "disable_correlation": false, "deleted": false,
                "comment": (i.summary ?? "").prefix(1000).description,
            ]
            if let first = i.provenance.compactMap(\.firstSeen).min(), let t = stixTime(first) { a["first_seen"] = t }
            attributes.append(a)
        }
        let event: [String: Any] = [
            "uuid": UUID().uuidString.lowercased(), "info": "Vigil export of feed \(feed.name)", "date": day,
            "threat_level_id": "2", "analysis": "2", "distribution": "0", "published": false, "timestamp": epoch,
            "Attribute": attributes, "Tag": [["name": "vigil:feed=\"\(feed.name)\""]],
        ]
        return json(["Event": event])
    }
}
