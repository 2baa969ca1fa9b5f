#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns published indicator text into validated, canonical values.
///
/// Refanging uses a fixed token list (`hxxp`, `[.]`, `(.)`, `[dot]`, `[:]`, `[://]`, `[@]`…) and never
/// strips brackets wholesale, so a value that is not defanged in a known way stays as published and
/// then fails validation visibly instead of being "repaired" into something else.
public enum Normalizer {
    /// The defanging tokens Vigil undoes, in the order they are applied (longer tokens first).
    /// Brackets that are not one of these tokens (`c:\\users\\[username]\\…`) are left alone.
    public static let refangTokens: [(defanged: String, fanged: String)] = [
        ("[://]", "://"), ("[:]//", "://"), ("[:]", ":"),
        ("[.] ", "."), ("[.]", "."), ("(.)", "."), ("{.}", "."), ("[dot]", "."), ("(dot)", "."), ("{dot}", "."),
        ("[@]", "@"), ("[at]", "@"), ("(at)", "@"), ("[/]", "/"),
    ]

    /// Undoes the common defanging conventions: the ``refangTokens`` and the defanged schemes
    /// `hxxp`, `hxxps`, `hXXp`, `fxp` (where a `:` follows). Zero-width marks and a BOM are removed.
    public static func refang(_ raw: String) -> String {
        var s = raw.trimmingWhitespace()
        if s.unicodeScalars.contains(where: { $0 == "\u{200E}" || $0 == "\u{200F}" || $0 == "\u{FEFF}" || $0 == "\u{200B}" }) {
            s.unicodeScalars.removeAll { $0 == "\u{200E}" || $0 == "\u{200F}" || $0 == "\u{FEFF}" || $0 == "\u{200B}" }
        }
        // Every bracket token starts with `[`, `(` or `{`: a value without one (nearly every row of a
        // real feed) skips the fourteen lower-casing searches, which were most of a feed's load time.
        if s.utf8.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "(") || $0 == UInt8(ascii: "{") }) {
            for (from, to) in refangTokens {
                s = s.replacingAll(from, with: to, caseInsensitive: true)
            }
        }
        return refangSchemes(s)
    }

    /// Replaces `hxxp`/`hxxps`/`fxp`/`fxps` (any case) with `http`/`https`/`ftp`/`ftps` where a `:`
    /// follows, anywhere in the text (a URL may embed another defanged URL in its path).
    static func refangSchemes(_ s: String) -> String {
        let lower = s.lowercased()
        guard lower.contains("hxxp") || lower.contains("fxp"), lower.utf8.count == s.utf8.count else { return s }
        let src = Array(s.utf8), low = Array(lower.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(src.count)
        var i = 0
        func matches(_ token: String, at i: Int) -> Bool {
            let t = Array(token.utf8)
            return i + t.count <= low.count && Array(low[i..<(i + t.count)]) == t
        }
        while i < src.count {
            var replaced = false
            for (from, to) in [("hxxps", "https"), ("hxxp", "http"), ("fxps", "ftps"), ("fxp", "ftp")] where matches(from, at: i) {
                let next = i + from.utf8.count
                let boundary = i == 0 || !(src[i - 1].isLetter)
                if boundary, next < src.count, src[next] == UInt8(ascii: ":") {
                    out += Array(to.utf8)
                    i = next
                    replaced = true
                }
                break
            }
            if !replaced {
                out.append(src[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Classifies one refanged value and returns its kind and canonical form, or `nil` when it is not
    /// a valid indicator of any supported kind.
    public static func classify(_ raw: String) -> (kind: IndicatorKind, value: String)? {
        let s = refang(raw)
        guard !s.isEmpty, !s.contains(" ") || s.contains("://") else { return nil }
        if let h = normalizeHash(s) { return h }
        if s.contains("://") { return normalizeURL(s).map { (.url, $0) } }
        if let v = normalizeIPv4(s) { return (.ipv4, v) }
        if let v = normalizeIPv6(s) { return (.ipv6, v) }
        if let v = normalizeCIDR(s) { return (.cidr, v) }
        if s.contains("@"), let v = normalizeEmail(s) { return (.email, v) }
        if let v = normalizeDomain(s) { return (.domain, v) }
        // A host followed by a path, without a scheme ("raw.githubusercontent.com/IconStorages/…").
        if let slash = s.firstIndex(of: "/"), normalizeDomain(String(s[..<slash])) != nil {
            return normalizeURL("http://" + s).map { (.url, $0) }
        }
        return nil
    }

    /// A hex MD5 (32), SHA-1 (40) or SHA-256 (64) in lowercase, or `nil`.
    public static func normalizeHash(_ s: String) -> (kind: IndicatorKind, value: String)? {
        let kind: IndicatorKind
        switch s.utf8.count {
        case 32: kind = .md5
        case 40: kind = .sha1
        case 64: kind = .sha256
        default: return nil
        }
        guard s.utf8.allSatisfy(\.isHexDigit) else { return nil }
        return (kind, s.lowercased())
    }

    /// A DNS name in lowercase ASCII without a trailing dot, or `nil` when it is not a valid
    /// host name of at least two labels. Non-ASCII names are converted with IDNA (Punycode).
    public static func normalizeDomain(_ raw: String) -> String? {
        if let ascii = normalizeASCIIDomain(raw) { return ascii.isEmpty ? nil : ascii }
        var s = raw.lowercased()
        if s.hasSuffix(".") { s.removeLast() }
        if s.hasPrefix("*.") { s.removeFirst(2) }
        guard !s.isEmpty, s.utf8.count <= 253 else { return nil }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        var out: [String] = []
        for label in labels {
            guard var ascii = Punycode.toASCII(label: String(label)) else { return nil }
            guard !ascii.isEmpty, ascii.utf8.count <= 63 else { return nil }
            guard ascii.utf8.allSatisfy({ $0.isHostnameByte }) else { return nil }
            guard ascii.first != "-", ascii.last != "-" else { return nil }
            ascii = ascii.lowercased()
            out.append(ascii)
        }
        // The top-level label is never all digits (that would be an IPv4 address or garbage).
        if out.last!.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return nil }
        let joined = out.joined(separator: ".")
        return joined.utf8.count <= 253 ? joined : nil
    }

    /// One pass over a plain ASCII name (the common case): `nil` when the name has non-ASCII bytes
    /// or a `*.` prefix (the general path handles those), `""` when it is ASCII but invalid, else the
    /// lowercase name without a trailing dot. Same rules as ``normalizeDomain(_:)``.
    static func normalizeASCIIDomain(_ raw: String) -> String? {
        var raw = raw
        return raw.withUTF8 { bytes -> String? in
            var n = bytes.count
            if n > 0, bytes[n - 1] == UInt8(ascii: ".") { n -= 1 }
            guard n > 0, n <= 253 else { return bytes.allSatisfy { $0 < 0x80 } && !(n > 1 && bytes[0] == UInt8(ascii: "*")) ? "" : nil }
            if bytes[0] == UInt8(ascii: "*") { return nil }
            var out = [UInt8](repeating: 0, count: n)
            var labels = 0, labelLength = 0, lastLabelAllDigits = true
            var previous: UInt8 = UInt8(ascii: ".")
            for i in 0..<n {
                let b = bytes[i]
                if b >= 0x80 { return nil }
                if b == UInt8(ascii: ".") {
                    guard labelLength > 0, previous != UInt8(ascii: "-") else { return "" }
                    labels += 1
                    labelLength = 0
                    lastLabelAllDigits = true
                } else {
                    guard b.isHostnameByte else { return "" }
                    if labelLength == 0, b == UInt8(ascii: "-") { return "" }
                    labelLength += 1
                    guard labelLength <= 63 else { return "" }
                    if !(b >= 0x30 && b <= 0x39) { lastLabelAllDigits = false }
                }
                out[i] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b
                previous = b
            }
            guard labelLength > 0, previous != UInt8(ascii: "-"), labels >= 1, !lastLabelAllDigits else { return "" }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Dotted-quad IPv4 in canonical form (no leading zeros), or `nil`.
    public static func normalizeIPv4(_ s: String) -> String? {
        parseIPv4(s).map(formatIPv4)
    }

    /// IPv4 as a 32-bit number, or `nil`. Leading zeros are rejected (ambiguous octal).
    public static func parseIPv4(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.utf8.count <= 3, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            if p.utf8.count > 1, p.first == "0" { return nil }
            guard let octet = UInt32(p), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// Formats a 32-bit IPv4 address as a dotted quad.
    public static func formatIPv4(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
    }

    /// IPv6 as 16 bytes, or `nil` (uses `inet_pton`).
    public static func parseIPv6(_ s: String) -> [UInt8]? {
        guard s.contains(":"), s.utf8.count <= 45 else { return nil }
        var addr = in6_addr()
        let ok = s.withCString { inet_pton(AF_INET6, $0, &addr) }
        guard ok == 1 else { return nil }
        return withUnsafeBytes(of: &addr) { Array($0) }
    }

    /// Canonical (RFC 5952) IPv6 text, or `nil`.
    public static func normalizeIPv6(_ s: String) -> String? {
        guard var bytes = parseIPv6(s) else { return nil }
        return formatIPv6(&bytes)
    }

    static func formatIPv6(_ bytes: inout [UInt8]) -> String? {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { dst in
            for i in 0..<16 { dst[i] = bytes[i] }
        }
        var buf = [CChar](repeating: 0, count: 64)
        guard inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count)) != nil else { return nil }
        let end = buf.firstIndex(of: 0) ?? buf.endIndex
        return String(decoding: buf[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A network in CIDR notation with the host bits cleared, e.g. `10.0.0.0/8`, or `nil`.
    public static func normalizeCIDR(_ s: String) -> String? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), parts[1].utf8.count <= 3 else { return nil }
        if let v4 = parseIPv4(String(parts[0])) {
            guard (0...32).contains(bits) else { return nil }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
            return formatIPv4(v4 & mask) + "/\(bits)"
        }
        if var v6 = parseIPv6(String(parts[0])) {
            guard (0...128).contains(bits) else { return nil }
            for i in 0..<16 {
                let keep = max(0, min(8, bits - i * 8))
                v6[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
            }
            return formatIPv6(&v6).map { $0 + "/\(bits)" }
        }
        return nil
    }

    /// An e-mail address with a lowercased, validated domain part, or `nil`.
    public static func normalizeEmail(_ s: String) -> String? {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let domain = normalizeDomain(String(parts[1])) else { return nil }
        return parts[0].lowercased() + "@" + domain
    }

    /// A URL with lowercase scheme and host (IDNA), default port removed, empty path as `/`;
    /// query and path are kept as published. `nil` when the scheme or host is invalid.
    public static func normalizeURL(_ s: String) -> String? {
        guard let parts = URLParts(s) else { return nil }
        return parts.canonical
    }
}

/// The pieces of a URL that matching needs: scheme, host, port and the rest (path, query).
public struct URLParts: Sendable, Hashable {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// Path plus query, starting with `/`.
    public var path: String

    /// Parses `scheme://[user@]host[:port][/path][?query]`; `nil` when malformed.
    public init?(_ raw: String) {
        guard let sep = raw.firstRange(of: "://") else { return nil }
        let scheme = raw[..<sep.lowerBound].lowercased()
        guard !scheme.isEmpty, scheme.utf8.allSatisfy({ $0.isLetter || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") })
        else { return nil }
        var rest = raw[sep.upperBound...]
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.first == "?" { path = "/" + path }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var hostPart = String(authority)
        var port: Int?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { return nil }
            let inner = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            guard let v6 = Normalizer.normalizeIPv6(inner) else { return nil }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()); if port == nil { return nil } }
            hostPart = "[" + v6 + "]"
        } else if let colon = hostPart.lastIndex(of: ":") {
            guard let p = Int(hostPart[hostPart.index(after: colon)...]), (0...65535).contains(p) else { return nil }
            port = p
            hostPart = String(hostPart[..<colon])
            if let v4 = Normalizer.normalizeIPv4(hostPart) { hostPart = v4 } else {
                guard let d = Normalizer.normalizeDomain(hostPart) else { return nil }
                hostPart = d
            }
        } else if let v4 = Normalizer.normalizeIPv4(hostPart) {
            hostPart = v4
        } else {
            guard let d = Normalizer.normalizeDomain(hostPart) else { return nil }
            hostPart = d
        }
        if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) { port = nil }
        self.scheme = scheme
        self.host = hostPart
        self.port = port
        self.path = path
    }

    /// The canonical text form.
    public var canonical: String {
        scheme + "://" + host + (port.map { ":\($0)" } ?? "") + path
    }
}

extension UInt8 {
    @inlinable var isHexDigit: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x61 && self <= 0x66) || (self >= 0x41 && self <= 0x46)
    }
    @inlinable var isLetter: Bool { (self >= 0x61 && self <= 0x7a) || (self >= 0x41 && self <= 0x5a) }
    @inlinable var isHostnameByte: Bool {
        isLetter || (self >= 0x30 && self <= 0x39) || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace || $0 == "\u{200E}" || $0 == "\u{200F}" || $0 == "\u{FEFF}" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }

    func replacingAll(_ target: String, with replacement: String, caseInsensitive: Bool) -> String {
        guard !target.isEmpty else { return self }
        let haystack = caseInsensitive ? lowercased() : self
        // Lowercasing can change lengths for some scripts; fall back to exact matching then.
        guard haystack.count == count, haystack.contains(caseInsensitive ? target.lowercased() : target) else {
            return self
        }
        let needle = Array(caseInsensitive ? target.lowercased() : target)
        let hay = Array(haystack)
        let original = Array(self)
        var out = ""
        var i = 0
        while i < original.count {
            if i + needle.count <= hay.count, Array(hay[i..<(i + needle.count)]) == needle {
                out += replacement
                i += needle.count
            } else {
                out.append(original[i])
                i += 1
            }
        }
        return out
    }
}
