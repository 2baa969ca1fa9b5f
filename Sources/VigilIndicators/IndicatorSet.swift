/// A de-duplicated collection of indicators with the lookups every Vigil command needs:
/// file hashes, domains (with subdomains), URLs (host plus path prefix), IP addresses and CIDR
/// ranges, and filename regexes (kept as source text; the scanner compiles them).
///
/// Value type and `Sendable`: build it once, then share it read-only across threads.
public struct IndicatorSet: Sendable {
    /// Whether ``insert(_:)`` added a new value or merged provenance into an existing one.
    public enum InsertOutcome: Sendable, Equatable {
        case added
        case merged
    }

    private var byKey: [Key: Int] = [:]
    /// All indicators, in insertion order.
    public private(set) var indicators: [Indicator] = []
    private var cidrV4: [(network: UInt32, mask: UInt32, index: Int)] = []
    private var cidrV6: [(network: [UInt8], bits: Int, index: Int)] = []
    private var urlsByHost: [String: [Int]] = [:]

    private struct Key: Hashable {
        var kind: IndicatorKind
        var value: String
    }

    public init() {}

    /// Builds a set from indicators, merging duplicates.
    public init(_ indicators: some Sequence<Indicator>) {
        for i in indicators { insert(i) }
    }

    /// Number of distinct indicators.
    public var count: Int { indicators.count }

    /// Distinct indicators per kind.
    public var countsByKind: [IndicatorKind: Int] {
        indicators.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 }
    }

    /// Adds an indicator whose value is already normalised; merges provenance into an existing
    /// indicator with the same kind and value (keeping the higher score).
    @discardableResult
    public mutating func insert(_ indicator: Indicator) -> InsertOutcome {
        let key = Key(kind: indicator.kind, value: indicator.value)
        if let i = byKey[key] {
            for p in indicator.provenance where !indicators[i].provenance.contains(p) {
                indicators[i].provenance.append(p)
            }
            if let s = indicator.score { indicators[i].score = max(indicators[i].score ?? s, s) }
            return .merged
        }
        let index = indicators.count
        indicators.append(indicator)
        byKey[key] = index
        switch indicator.kind {
        case .cidr:
            let parts = indicator.value.split(separator: "/")
            if parts.count == 2, let bits = Int(parts[1]) {
                if let v4 = Normalizer.parseIPv4(String(parts[0])) {
                    let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
                    cidrV4.append((v4 & mask, mask, index))
                } else if let v6 = Normalizer.parseIPv6(String(parts[0])) {
                    cidrV6.append((v6, bits, index))
                }
            }
        case .url:
            if let parts = URLParts(indicator.value) { urlsByHost[parts.host, default: []].append(index) }
        default:
            break
        }
        return .added
    }

    /// Merges every indicator of `other` into this set.
    public mutating func formUnion(_ other: IndicatorSet) {
        for i in other.indicators { insert(i) }
    }

    /// The indicator with exactly this kind and normalised value.
    public func lookup(_ kind: IndicatorKind, _ value: String) -> Indicator? {
        byKey[Key(kind: kind, value: value)].map { indicators[$0] }
    }

    /// Hash indicators matching any of the given lowercase hex digests.
    public func matchHashes(md5: String?, sha1: String?, sha256: String?) -> [Indicator] {
        var out: [Indicator] = []
        if let md5, let i = lookup(.md5, md5) { out.append(i) }
        if let sha1, let i = lookup(.sha1, sha1) { out.append(i) }
        if let sha256, let i = lookup(.sha256, sha256) { out.append(i) }
        return out
    }

    /// The domain indicator matching `name` or one of its parent domains (so `a.evil.com` matches
    /// an indicator `evil.com`). Case, a trailing dot and IDNA are normalised first.
    public func matchDomain(_ name: String) -> Indicator? {
        guard let n = Normalizer.normalizeDomain(name) else { return nil }
        var candidate = Substring(n)
        while true {
            if let i = byKey[Key(kind: .domain, value: String(candidate))] { return indicators[i] }
            guard let dot = candidate.firstIndex(of: ".") else { return nil }
            candidate = candidate[candidate.index(after: dot)...]
            if !candidate.contains(".") { return nil }  // never match a bare TLD
        }
    }

    /// The URL indicator whose host equals the URL's host and whose path is a prefix of the URL's path.
    public func matchURL(_ url: String) -> Indicator? {
        guard let parts = URLParts(url), let candidates = urlsByHost[parts.host] else { return nil }
        for index in candidates {
            guard let ip = URLParts(indicators[index].value) else { continue }
            if ip.port == parts.port, parts.path.hasPrefix(ip.path) || ip.path == "/" { return indicators[index] }
        }
        return nil
    }

    /// The address or CIDR indicator covering `address` (IPv4 or IPv6 text).
    public func matchIP(_ address: String) -> Indicator? {
        if let v4 = Normalizer.parseIPv4(address) {
            if let i = byKey[Key(kind: .ipv4, value: Normalizer.formatIPv4(v4))] { return indicators[i] }
            for c in cidrV4 where v4 & c.mask == c.network { return indicators[c.index] }
            return nil
        }
        if let canonical = Normalizer.normalizeIPv6(address), let v6 = Normalizer.parseIPv6(address) {
            if let i = byKey[Key(kind: .ipv6, value: canonical)] { return indicators[i] }
            for c in cidrV6 where prefixMatches(v6, c.network, bits: c.bits) { return indicators[c.index] }
        }
        return nil
    }

    /// Filename regex indicators (source text), for the scanner to compile.
    public var filenamePatterns: [Indicator] { indicators.filter { $0.kind == .filename } }

    private func prefixMatches(_ a: [UInt8], _ b: [UInt8], bits: Int) -> Bool {
        var remaining = bits
        var i = 0
        while remaining > 0, i < 16 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
            if a[i] & mask != b[i] & mask { return false }
            remaining -= take
            i += 1
        }
        return true
    }
}
