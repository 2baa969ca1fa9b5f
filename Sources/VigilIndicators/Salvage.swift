/// Recovers indicators from values that published tables get slightly wrong, and says what it changed.
///
/// ``Normalizer/classify(_:)`` is strict: a value is an indicator as published (after refanging) or it
/// is not. Hand-made tables hold values that are plainly one indicator but not in canonical form: an
/// address with a port (`198.51.100.4: 443`), a URL without a scheme (`203.0.113.7:8080/a.vbs`), one
/// slash after a defanged scheme (`hxxps:/sub.example.com/x/`), a type prefix (`SHA1: e2…`), a stray
/// `?`. ``classify(_:)`` reads those too and returns a ``Correction`` for every change, so a reader can
/// import the value and tell the user exactly what was corrected and why. Values that are broken rather
/// than misformatted (an IPv4 octet above 255, 63 hex digits, a CIDR prefix above 32) are never repaired.
public enum Salvage {
    /// The kinds of correction, one per salvage rule (docs/feeds.md lists them with examples).
    public enum Rule: String, Codable, Sendable, CaseIterable, Comparable {
        /// The value is of another kind than its column says, by its length (40 hex digits are a
        /// SHA-1) or its form (a name in an `ip` column is a domain).
        case reclassified
        /// A port after an address or name was removed (`198.51.100.4:443` → `198.51.100.4`).
        case portRemoved = "port-removed"
        /// A URL without a scheme was read as `http://` (`203.0.113.7/t4`).
        case schemeAdded = "scheme-added"
        /// One slash after the scheme was read as two (`https:/host/x` → `https://host/x`).
        case schemeSlash = "scheme-slash"
        /// A leading type name was removed (`SHA1: e2…`, `ip=198.51.100.4`).
        case prefixStripped = "prefix-stripped"
        /// A `?` before or after the value was removed.
        case strayQuestionMark = "stray-question-mark"
        /// A file name in a `file` column became a file-name indicator (a regex for paths ending in it).
        case fileName = "file-name"

        public static func < (lhs: Rule, rhs: Rule) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// One change made to a published value, with a short human-readable reason.
    public struct Correction: Sendable, Hashable, Codable {
        public var rule: Rule
        public var detail: String

        public init(_ rule: Rule, _ detail: String) {
            self.rule = rule
            self.detail = detail
        }
    }

    /// A recovered indicator value and the corrections that were needed (empty when none).
    public struct Outcome: Sendable, Hashable {
        public var kind: IndicatorKind
        public var value: String
        public var corrections: [Correction]

        public init(kind: IndicatorKind, value: String, corrections: [Correction] = []) {
            self.kind = kind
            self.value = value
            self.corrections = corrections
        }
    }

    /// Type names that publishers put in front of a value, longest first (`sha-256` before `sha`).
    static let typePrefixes = [
        "sha-256", "sha_256", "sha256", "sha-1", "sha_1", "sha1", "md5", "hostname", "domain", "host", "ipv4", "ipv6", "ip", "url",
    ]

    /// Refangs `raw` and classifies it like ``Normalizer/classify(_:)``; when that fails, applies the
    /// repairs (type prefix, stray `?`, one slash after the scheme, port, missing scheme) and tries again.
    /// `nil` when the value is not recoverable as any indicator kind.
    public static func classify(_ raw: String) -> Outcome? {
        let text = Normalizer.refang(raw)
        if let strict = classifyPlain(text) { return strict }
        let (repaired, corrections) = repair(text)
        guard let outcome = classifyPlain(repaired) ?? classifyWithPort(repaired) ?? classifySchemeless(repaired) else { return nil }
        return Outcome(kind: outcome.kind, value: outcome.value, corrections: corrections + outcome.corrections)
    }

    /// Textual repairs that do not depend on the value's kind: a type prefix, a stray `?` at either
    /// end, one slash after a scheme. Returns the text unchanged (and no corrections) when none applies.
    public static func repair(_ text: String) -> (text: String, corrections: [Correction]) {
        var s = text
        var corrections: [Correction] = []
        if let (prefix, rest) = splitTypePrefix(s) {
            corrections.append(Correction(.prefixStripped, "type prefix '\(prefix)' removed"))
            s = rest
        }
        if s.hasPrefix("?") || s.hasSuffix("?") {
            var trimmed = Substring(s)
            while trimmed.first == "?" { trimmed = trimmed.dropFirst() }
            while trimmed.last == "?" { trimmed = trimmed.dropLast() }
            if !trimmed.isEmpty {
                corrections.append(Correction(.strayQuestionMark, "stray '?' removed"))
                s = String(trimmed).trimmingWhitespace()
            }
        }
        let lower = s.lowercased()
        for scheme in ["https", "http", "ftps", "ftp"] where lower.hasPrefix(scheme + ":/") && !lower.hasPrefix(scheme + "://") {
            s = scheme + "://" + s.dropFirst(scheme.count + 2)
            corrections.append(Correction(.schemeSlash, "one slash after '\(scheme):' read as \(scheme)://"))
            break
        }
        return (s, corrections)
    }

    /// `SHA1: e2…` → (`SHA1:`, `e2…`); `nil` when the text has no known type prefix followed by `:`
    /// or `=` and a non-empty value. A URL scheme is never a prefix (`http:` is not in the list).
    public static func splitTypePrefix(_ s: String) -> (prefix: String, rest: String)? {
        let lower = s.lowercased()
        for name in typePrefixes where lower.hasPrefix(name) {
            var rest = s.dropFirst(name.count)
            rest = rest.drop { $0 == " " }
            guard let separator = rest.first, separator == ":" || separator == "=" else { continue }
            let value = String(rest.dropFirst()).trimmingWhitespace()
            // `host:443` would be a name with a port, not a prefix: a prefix is followed by a value.
            guard !value.isEmpty, !value.hasPrefix("//"), !value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return (String(s.prefix(s.count - rest.count + 1)), value)
        }
        return nil
    }

    /// ``Normalizer/classify(_:)``, noting when a host/path without a scheme was read as `http://`.
    static func classifyPlain(_ text: String) -> Outcome? {
        guard let (kind, value) = Normalizer.classify(text) else { return nil }
        var corrections: [Correction] = []
        if kind == .url, !text.contains("://") {
            corrections.append(Correction(.schemeAdded, "no scheme: read as http://"))
        }
        return Outcome(kind: kind, value: value, corrections: corrections)
    }

    /// `198.51.100.4:443`, `198.51.100.4: 443`, `evil.example:8080`, `[2001:db8::1]:443`: the
    /// address or name without its port.
    static func classifyWithPort(_ text: String) -> Outcome? {
        guard let (host, port) = splitHostPort(text), !host.contains("/") else { return nil }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard let (kind, value) = Normalizer.classify(bare), kind == .ipv4 || kind == .ipv6 || kind == .domain else { return nil }
        return Outcome(kind: kind, value: value, corrections: [
            Correction(.portRemoved, "port \(port) removed (the indicator matches the \(kind == .domain ? "name" : "address") on any port)"),
        ])
    }

    /// Splits `host:port` (spaces around the colon allowed, IPv6 only in brackets); `nil` otherwise.
    static func splitHostPort(_ text: String) -> (host: String, port: Int)? {
        let colon: String.Index
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let after = text[text.index(after: close)...].drop { $0 == " " }
            guard after.first == ":" else { return nil }
            colon = after.startIndex
        } else {
            guard text.filter({ $0 == ":" }).count == 1, let c = text.firstIndex(of: ":") else { return nil }
            colon = c
        }
        let host = String(text[..<colon]).trimmingWhitespace()
        let portText = String(text[text.index(after: colon)...]).trimmingWhitespace()
        guard !host.isEmpty, (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let port = Int(portText), (1...65535).contains(port)
        else { return nil }
        return (host, port)
    }

    /// `203.0.113.7/t4`, `203.0.113.7:8080/a.vbs`, `host.example:443/path`: a host (address or name)
    /// with an optional port and a path, read as `http://`. An address followed by `/` and digits only
    /// is a CIDR (a broken one when it got here), never a URL.
    static func classifySchemeless(_ text: String) -> Outcome? {
        guard !text.contains("://"), let slash = text.firstIndex(of: "/") else { return nil }
        let authority = String(text[..<slash])
        let path = String(text[slash...])
        // Only the authority may hold a space, right after the port's colon (`host: 8080/x`).
        guard !path.contains(where: \.isWhitespace) else { return nil }
        let host: String
        var port: Int?
        if let (h, p) = splitHostPort(authority) {
            host = h
            port = p
        } else {
            host = authority
        }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
        let isAddress = Normalizer.parseIPv4(host) != nil || host.hasPrefix("[")
        guard isAddress || Normalizer.normalizeDomain(host) != nil else { return nil }
        if isAddress, port == nil, path.dropFirst().allSatisfy(\.isNumber), path.count > 1 { return nil }
        let rebuilt = "http://" + host + (port.map { ":\($0)" } ?? "") + path
        guard let url = Normalizer.normalizeURL(rebuilt) else { return nil }
        return Outcome(kind: .url, value: url, corrections: [Correction(.schemeAdded, "no scheme: read as http://")])
    }

    /// A file name as published in a `file` column (`3CXDesktopApp.exe`), as a file-name indicator:
    /// a case-insensitive regex for any path whose last component is that name (Loki's convention:
    /// `\\` stands for the path separator). `nil` for anything that is not a plain file name with an
    /// extension (paths, wildcards, control characters, more than 255 bytes).
    public static func fileNamePattern(_ raw: String) -> String? {
        let name = raw.trimmingWhitespace()
        guard (3...255).contains(name.utf8.count) else { return nil }
        let forbidden: Set<Character> = ["/", "\\", ":", "*", "?", "\"", "<", ">", "|"]
        guard !name.contains(where: { forbidden.contains($0) }),
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }),
              let dot = name.lastIndex(of: "."), dot != name.startIndex
        else { return nil }
        let ext = name[name.index(after: dot)...]
        guard (1...10).contains(ext.count), ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        let special: Set<Character> = [".", "^", "$", "(", ")", "[", "]", "{", "}", "+", "\\", "|", "*", "?"]
        var escaped = ""
        for c in name {
            if special.contains(c) { escaped.append("\\") }
            escaped.append(c)
        }
        return "\\\\" + escaped + "$"
    }
}

extension Normalizer {
    /// A URL path as published in a `url_path` row (`/api/device_info.php`, `/gate.php?id=`): trimmed,
    /// fragment removed, otherwise as published (case and percent-encoding kept). `nil` unless it
    /// starts with one `/`, has something after it, holds no whitespace or control characters and is at
    /// most 2,048 bytes: a bare `/` would match every request.
    public static func normalizeURLPath(_ raw: String) -> String? {
        var s = raw.trimmingWhitespace()
        if let hash = s.firstIndex(of: "#") { s = String(s[..<hash]) }
        guard s.hasPrefix("/"), !s.hasPrefix("//"), s.utf8.count >= 2, s.utf8.count <= 2048 else { return nil }
        guard !s.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f || $0.properties.isWhitespace }) else { return nil }
        return s
    }
}
