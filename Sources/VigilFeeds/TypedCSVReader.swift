import Foundation
import VigilCore
import VigilIndicators

/// Reads typed indicator tables: one row per indicator with a type column, a value column and an
/// optional note column, whatever the header calls them.
///
/// Covers SophosLabs (`Indicator_type,Data,Note`, `Indicator,Data,Notes`, `type,hash,notes`…, with
/// `Description` pseudo-rows), Volexity (`value,entity_type,description`, where a `file` cell packs
/// SHA-256, SHA-1 and MD5) and similar exports. A table without recognisable type and value columns
/// (e.g. SophosLabs' `Sunburst_blocklists.csv`) is rejected as a whole with a clear message.
enum TypedCSVReader {
    static let typeColumns: Set<String> = ["indicatortype", "indicator", "type", "entitytype", "ioctype", "iocstype", "kind"]
    static let valueColumns: Set<String> = ["data", "value", "indicatorvalue", "iocvalue", "ioc", "hash", "observable", "indicator"]
    static let noteColumns: Set<String> = ["note", "notes", "description", "comment", "comments", "context"]

    /// A header cell reduced to lowercase letters and digits (`Indicator_Type` → `indicatortype`).
    static func key(_ cell: String) -> String {
        String(cell.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.map(Character.init))
    }

    /// The type, value and note column indices of a header row, or `nil` when it is not one.
    static func columns(of header: [String]) -> (type: Int, value: Int, note: Int?)? {
        let keys = header.map(key)
        // The type column: prefer an explicit type name; `indicator` is a type only when another
        // column holds the value (`Indicator,Data,Note`).
        guard let typeIndex = keys.firstIndex(where: { typeColumns.contains($0) && $0 != "indicator" })
            ?? keys.firstIndex(of: "indicator")
        else { return nil }
        guard let valueIndex = keys.indices.first(where: { $0 != typeIndex && valueColumns.contains(keys[$0]) }) else { return nil }
        let noteIndex = keys.indices.first { $0 != typeIndex && $0 != valueIndex && noteColumns.contains(keys[$0]) }
        return (typeIndex, valueIndex, noteIndex)
    }

    /// Whether a first line looks like a typed indicator table header.
    static func looksLikeHeader(firstLine: String) -> Bool {
        let line = firstLine.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard line.contains(",") else { return false }
        return columns(of: line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)) != nil
    }

    static func read(text: String, path: String, feed: String) throws -> FeedImport {
        let records = CSVParser.records(text)
        guard let headerRecord = records.first(where: { !$0.isBlank }) else {
            throw FeedError(path: path, message: "empty CSV file")
        }
        guard let cols = columns(of: headerRecord.fields) else {
            let shown = headerRecord.fields.filter { !$0.isEmpty }.joined(separator: ",").prefix(80)
            throw FeedError(
                path: path,
                message: "not an indicator table: line \(headerRecord.line) ('\(shown)') has no type and value columns "
                    + "(expected a header such as Indicator_type,Data,Note or value,entity_type,description)")
        }
        var result = FeedImport(format: .csv)
        var report: String?
        for record in records where record.line > headerRecord.line {
            if record.isBlank { continue }  // `,,` padding rows carry nothing
            let claimed = record.field(cols.type)
            let raw = record.field(cols.value)
            let note = cols.note.map { record.field($0) }.flatMap { $0.isEmpty ? nil : $0 }
            let typeKey = key(claimed)
            if typeKey == "description" || typeKey == "reference" || typeKey == "source" {
                report = Normalizer.refang(raw)
                result.skip(path: path, line: record.line, reason: "description row", "description row: \(raw)")
                continue
            }
            guard !claimed.isEmpty else {
                result.reject(path: path, line: record.line, claimedType: "unknown", "row has a value but no indicator type: '\(raw)'")
                continue
            }
            guard !raw.isEmpty else {
                result.reject(path: path, line: record.line, claimedType: claimed.lowercased(), "row of type '\(claimed)' has no value")
                continue
            }
            guard let expected = IndicatorTypeName.expectedKinds(for: claimed) else {
                result.skip(path: path, line: record.line, reason: "type \(claimed.lowercased())",
                            "type '\(claimed)' is not a matchable indicator type (value '\(raw)')")
                continue
            }
            var description = note
            if description == nil, let report { description = report }
            // A Volexity `file` cell packs several hashes; every other cell holds one value.
            let values = expected.allSatisfy(\.isHash) && raw.contains(",")
                ? raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : [raw]
            var accepted: [Indicator] = []
            for value in values {
                switch IndicatorTypeName.salvage(value, claimedType: claimed, expected: expected) {
                case .success(let outcome):
                    result.correct(path: path, line: record.line, claimedType: claimed, original: value, kind: outcome.kind,
                                   value: outcome.value, outcome.corrections)
                    accepted.append(Indicator(kind: outcome.kind, value: outcome.value, provenance: [
                        Provenance(feed: feed, file: path, line: record.line, description: description,
                                   original: value == outcome.value ? nil : value),
                    ]))
                case .failure(let reason):
                    result.reject(path: path, line: record.line, claimedType: claimed.lowercased(), reason.message)
                }
            }
            // The digests packed in one cell are of one file.
            for indicator in SameFile.link(accepted) { result.accept(indicator) }
        }
        return result
    }
}

/// Why a value was not accepted for its claimed type.
struct ValueRejection: Error {
    var message: String
}

/// Maps the type names publishers use (`SHA256`, `sha-256`, `URL`, `ip address`, `hostname`,
/// `emailwhois`, MISP and STIX names…) to the indicator kinds a value of that type may become, and
/// validates values against them: strictly for structured formats (STIX, MISP, OpenIOC), salvaging
/// what hand-made tables get slightly wrong for typed CSV (``salvage(_:claimedType:expected:)``).
enum IndicatorTypeName {
    static let network: Set<IndicatorKind> = [.domain, .url, .ipv4, .ipv6, .cidr]
    static let addresses: Set<IndicatorKind> = [.ipv4, .ipv6, .cidr]

    /// The kinds a value of the claimed type may be, or `nil` for types Vigil does not match on
    /// (file paths, command lines, registry keys, wallet addresses…).
    static func kinds(for claimedType: String) -> Set<IndicatorKind>? {
        switch TypedCSVReader.key(claimedType) {
        case "sha256", "sha2", "sha256hash", "filehashsha256": return [.sha256]
        case "sha1", "sha1hash", "filehashsha1": return [.sha1]
        case "md5", "md5hash", "filehashmd5": return [.md5]
        case "hash", "file", "filehash", "hashes": return [.md5, .sha1, .sha256]
        // Publishers put URLs in `domain` rows and bare domains and IPs in `url` rows (SophosLabs).
        case "domain", "hostname", "host", "fqdn", "domainname", "dns", "c2", "c2domain": return network
        case "url", "uri", "link", "urlpath": return network
        case "ip", "ipaddress", "ipv4", "ipv6", "ipdst", "ipsrc", "ipaddr", "ipv4addr", "ipv6addr", "address", "cidr",
             "ipport", "ipaddressport", "c2ip":
            return addresses
        case "domainport", "hostnameport": return [.domain]
        case "email", "emailaddress", "emailwhois", "emailsrc", "emaildst", "whoisregistrantemail": return [.email]
        default: return nil
        }
    }

    /// Refangs and validates `value` as one of `allowed`, returning its kind and canonical form.
    static func normalize(_ value: String, claimedType: String, allowed: Set<IndicatorKind>) -> Result<(IndicatorKind, String), ValueRejection> {
        if let long = tooLong(value) { return .failure(long) }
        if let invalid = invalidUTF8(value) { return .failure(invalid) }
        var text = Normalizer.refang(value)
        let typeKey = TypedCSVReader.key(claimedType)
        // `ip:port` and `domain:port` rows: the address is the indicator; the port is context.
        if typeKey.hasSuffix("port"), let stripped = stripPort(text) { text = stripped }
        if allowed.allSatisfy(\.isHash) {
            guard let (kind, hex) = Normalizer.normalizeHash(text) else {
                let length = text.utf8.count
                let hex = text.utf8.allSatisfy(\.isHexDigitASCII)
                return .failure(ValueRejection(message:
                    "'\(value)' is not a valid \(claimedType) (\(length) characters\(hex ? "" : ", not all hex"))"))
            }
            guard allowed.contains(kind) else {
                return .failure(ValueRejection(message: "'\(value)' has the length of \(kind.rawValue.uppercased()), not \(claimedType)"))
            }
            return .success((kind, hex))
        }
        guard let (kind, canonical) = Normalizer.classify(text) else {
            return .failure(ValueRejection(message: "'\(value)' is not a valid \(claimedType)"))
        }
        guard allowed.contains(kind) else {
            return .failure(ValueRejection(message: "'\(value)' is a \(kind.rawValue), not a \(claimedType)"))
        }
        return .success((kind, canonical))
    }

    /// For typed tables: the kinds a value of the claimed type is expected to be, or `nil` for types
    /// Vigil does not match on (file paths, command lines, registry keys, wallet addresses…). A value
    /// of another kind is still imported when its form says what it is, with a `reclassified` note.
    static func expectedKinds(for claimedType: String) -> Set<IndicatorKind>? {
        switch TypedCSVReader.key(claimedType) {
        case "sha256", "sha2", "sha256hash", "filehashsha256": return [.sha256]
        case "sha1", "sha1hash", "filehashsha1": return [.sha1]
        case "md5", "md5hash", "filehashmd5": return [.md5]
        case "hash", "file", "filehash", "hashes": return [.md5, .sha1, .sha256]
        // Publishers put URLs in `domain` rows and bare domains and IPs in `url` rows (SophosLabs):
        // imported as what they are, with a note.
        case "domain", "hostname", "host", "fqdn", "domainname", "dns", "c2", "c2domain": return [.domain]
        case "url", "uri", "link": return [.url]
        case "urlpath", "path", "uripath": return [.urlPath]
        case "ip", "ipaddress", "ipv4", "ipv6", "ipdst", "ipsrc", "ipaddr", "ipv4addr", "ipv6addr", "address", "cidr",
             "ipport", "ipaddressport", "c2ip":
            return addresses
        case "domainport", "hostnameport": return [.domain]
        case "email", "emailaddress", "emailwhois", "emailsrc", "emaildst", "whoisregistrantemail": return [.email]
        default: return nil
        }
    }

    /// Whether a column of this type may hold a file name instead of a digest (SophosLabs `File` rows).
    static func mayHoldFileName(_ claimedType: String) -> Bool {
        TypedCSVReader.key(claimedType) == "file"
    }

    /// Refangs and validates `value` as one of `expected`, salvaging misformatted values (``Salvage``):
    /// the outcome's corrections are empty when the value was an indicator of an expected kind as
    /// published. Hash columns accept only digests (reclassified by length) and, in `file` columns,
    /// file names; other columns accept any indicator the value is recognisably (reclassified by form).
    static func salvage(_ value: String, claimedType: String, expected: Set<IndicatorKind>) -> Result<Salvage.Outcome, ValueRejection> {
        if let long = tooLong(value) { return .failure(long) }
        if let invalid = invalidUTF8(value) { return .failure(invalid) }
        var text = Normalizer.refang(value)
        let typeKey = TypedCSVReader.key(claimedType)
        // `ip:port` and `domain:port` rows: the address is the indicator; the port is context.
        if typeKey.hasSuffix("port"), let stripped = stripPort(text) { text = stripped }
        let column = "'\(claimedType)' column"
        if expected.allSatisfy(\.isHash) {
            let (repaired, corrections) = Salvage.repair(text)
            if let (kind, hex) = Normalizer.normalizeHash(repaired) {
                var all = corrections
                if !expected.contains(kind) {
                    all.append(Salvage.Correction(.reclassified, "\(repaired.utf8.count) hex digits in a \(column) are a \(kind.displayName)"))
                }
                return .success(Salvage.Outcome(kind: kind, value: hex, corrections: all))
            }
            if mayHoldFileName(claimedType), let pattern = Salvage.fileNamePattern(repaired) {
                return .success(Salvage.Outcome(kind: .filename, value: pattern, corrections: corrections + [
                    Salvage.Correction(.fileName, "a file name in a \(column): matches any path ending in /\(repaired.trimmingCharacters(in: .whitespaces))"),
                ]))
            }
            let length = repaired.utf8.count
            let hex = repaired.utf8.allSatisfy(\.isHexDigitASCII)
            let what = mayHoldFileName(claimedType) ? "digest or file name" : claimedType
            return .failure(ValueRejection(message:
                "'\(value)' is not a valid \(what) (\(length) characters\(hex ? "" : ", not all hex"))"))
        }
        if expected == [.urlPath], text.hasPrefix("/"), !text.hasPrefix("//") {
            guard let path = Normalizer.normalizeURLPath(text) else {
                return .failure(ValueRejection(message: "'\(value)' is not a valid URL path (a path with something after '/', no spaces, at most 2,048 bytes)"))
            }
            return .success(Salvage.Outcome(kind: .urlPath, value: path))
        }
        guard var outcome = Salvage.classify(text) else {
            return .failure(ValueRejection(message: "'\(value)' is not a valid \(claimedType)"))
        }
        if !expected.contains(outcome.kind) {
            outcome.corrections.insert(Salvage.Correction(.reclassified, "a \(outcome.kind.displayName) in a \(column)"), at: 0)
        }
        return .success(outcome)
    }

    /// A rejection when `value` is longer than ``FeedImport/maxValueBytes`` (its start is echoed).
    static func tooLong(_ value: String) -> ValueRejection? {
        let bytes = value.utf8.count
        guard bytes > FeedImport.maxValueBytes else { return nil }
        let start = String(decoding: value.utf8.prefix(40), as: UTF8.self)
        return ValueRejection(message: "'\(start)…' is \(bytes) bytes, longer than any indicator (\(FeedImport.maxValueBytes)-byte limit)")
    }

    /// A rejection when `value` holds U+FFFD, which is what bytes that are not valid UTF-8 become when
    /// a feed is decoded: such a value must not turn into a different, Punycode-encoded name.
    static func invalidUTF8(_ value: String) -> ValueRejection? {
        guard value.unicodeScalars.contains("\u{FFFD}") else { return nil }
        return ValueRejection(message: "'\(value)' holds bytes that are not valid UTF-8 (shown as U+FFFD): not an indicator")
    }

    /// `1.2.3.4:80` → `1.2.3.4`, `[2001:db8::1]:80` → `2001:db8::1`, `evil.com:443` → `evil.com`.
    static func stripPort(_ s: String) -> String? {
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            return String(s[s.index(after: s.startIndex)..<close])
        }
        guard s.filter({ $0 == ":" }).count == 1, let colon = s.lastIndex(of: ":"),
              Int(s[s.index(after: colon)...].trimmingCharacters(in: .whitespaces)) != nil
        else { return nil }
        return String(s[..<colon]).trimmingCharacters(in: .whitespaces)
    }
}

extension IndicatorKind {
    /// The kind as people write it in prose (`SHA-1`, `domain`, `URL path`).
    var displayName: String {
        switch self {
        case .md5: "MD5"
        case .sha1: "SHA-1"
        case .sha256: "SHA-256"
        case .url: "URL"
        case .urlPath: "URL path"
        case .ipv4: "IPv4 address"
        case .ipv6: "IPv6 address"
        case .cidr: "CIDR network"
        case .email: "e-mail address"
        case .domain: "domain"
        case .filename: "file name"
        }
    }
}

extension UInt8 {
    var isHexDigitASCII: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x61 && self <= 0x66) || (self >= 0x41 && self <= 0x46)
    }
}

/// Links the MD5 and SHA-1 indicators of one file to its SHA-256 (``Indicator/sameFileSHA256``).
enum SameFile {
    /// `indicators` published together for one file: when exactly one of them is a SHA-256, the MD5
    /// and SHA-1 values among them are linked to it; otherwise they are returned unchanged.
    static func link(_ indicators: [Indicator]) -> [Indicator] {
        let sha256 = indicators.filter { $0.kind == .sha256 }
        guard sha256.count == 1, let value = sha256.first?.value else { return indicators }
        return indicators.map { indicator in
            var linked = indicator
            if indicator.kind == .md5 || indicator.kind == .sha1 { linked.sameFileSHA256 = value }
            return linked
        }
    }
}
