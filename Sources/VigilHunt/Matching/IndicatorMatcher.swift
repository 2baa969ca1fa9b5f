import VigilIndicators

/// Matches log values against an ``IndicatorSet`` at log speed.
///
/// The authoritative lookups are the set's public `matchDomain`, `matchIP` and `matchURL`. In front of
/// them sits a prefilter built once from the set's indicators, so the common case (no hit) costs no
/// `String`: a domain is hashed right to left over its bytes (lowercased, trailing dot ignored), and the
/// hash of every parent suffix (`c2.evil.com`, `evil.com`) is looked up in a `Set<UInt64>` of indicator
/// hashes — one pass over the name however long the feed. Only a prefilter hit builds a `String` and
/// asks the set, so a hash collision can never produce a false hit. Addresses go straight to the
/// set's prefix tables (``IndicatorSet/matchIPv4(_:)``, ``IndicatorSet/matchIPv6(_:)``: one hash probe
/// per prefix length in use, whatever the number of CIDRs, and no `String`); URLs only when their
/// host carries a URL indicator.
final class IndicatorMatcher {
    let indicatorSet: IndicatorSet
    private let domainHashes: HashTable64
    private let urlHosts: Set<String>
    /// Whether any address indicators exist (lets callers skip address work entirely).
    let hasAddressIndicators: Bool
    /// Non-ASCII names go through the set directly; their results are cached (bounded).
    private var slowCache: [String: Indicator?] = [:]

    init(_ set: IndicatorSet) {
        indicatorSet = set
        var hashes: [UInt64] = []
        var urlHosts = Set<String>()
        for indicator in set.indicators {
            switch indicator.kind {
            case .domain:
                var v = indicator.value
                hashes.append(v.withUTF8 { IndicatorMatcher.reverseHash(UnsafeRawBufferPointer($0)) })
            case .url:
                if let parts = URLParts(indicator.value) { urlHosts.insert(parts.host) }
            default:
                break
            }
        }
        domainHashes = HashTable64(hashes)
        self.urlHosts = urlHosts
        hasAddressIndicators = set.hasAddressIndicators
    }

    /// The set's URL and URL-path indicators (they can be checked only on cleartext HTTP and proxy logs).
    var urlIndicatorCount: Int { indicatorSet.indicators.lazy.filter { $0.kind == .url || $0.kind == .urlPath }.count }

    /// FNV-1a over the lowercased bytes, last byte first.
    @inline(__always)
    static func reverseHash(_ name: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = name.count - 1
        while i >= 0 {
            var c = name[i]
            if c >= 0x41 && c <= 0x5a { c |= 0x20 }
            h = (h ^ UInt64(c)) &* 0x100_0000_01b3
            i -= 1
        }
        return h
    }

    /// A domain hit: the indicator, the observed name (normalised) and how it matched.
    struct DomainHit {
        var indicator: Indicator
        var name: String
        var rule: String
    }

    /// Matches a host name (any case, optional trailing dot) against domain indicators, parents included.
    func matchName(_ raw: UnsafeRawBufferPointer) -> DomainHit? {
        var name = raw
        if name.count > 0, name[name.count - 1] == UInt8(ascii: ".") { name = name.slice(0, name.count - 1) }
        guard name.count >= 3, name.count <= 253 else { return nil }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = name.count - 1
        var sawDot = false
        var candidate = false
        while i >= 0 {
            var c = name[i]
            if c >= 0x80 { return slowMatch(raw) }
            if c >= 0x41 && c <= 0x5a { c |= 0x20 }
            if c == UInt8(ascii: ".") { sawDot = true }
            h = (h ^ UInt64(c)) &* 0x100_0000_01b3
            if sawDot, i == 0 || name[i - 1] == UInt8(ascii: "."), domainHashes.contains(h) {
                candidate = true
                break
            }
            i -= 1
        }
        guard candidate else { return nil }
        return confirm(raw.string)
    }

    private func slowMatch(_ raw: UnsafeRawBufferPointer) -> DomainHit? {
        let s = raw.string
        if let cached = slowCache[s] { return cached.flatMap { hit(for: $0, name: s) } }
        let found = indicatorSet.matchDomain(s)
        if slowCache.count > 10_000 { slowCache.removeAll() }
        slowCache[s] = found
        return found.flatMap { hit(for: $0, name: s) }
    }

    private func confirm(_ s: String) -> DomainHit? {
        indicatorSet.matchDomain(s).flatMap { hit(for: $0, name: s) }
    }

    private func hit(for indicator: Indicator, name: String) -> DomainHit {
        let normalised = Normalizer.normalizeDomain(name) ?? name.lowercased()
        let rule = normalised == indicator.value ? "exact domain" : "subdomain of \(indicator.value)"
        return DomainHit(indicator: indicator, name: normalised, rule: rule)
    }

    /// Matches an address against IP and CIDR indicators (the most specific one wins).
    func matchAddress(_ ip: IPAddress) -> (indicator: Indicator, rule: String)? {
        guard hasAddressIndicators else { return nil }
        let found: Indicator?
        if let v4 = ip.v4 {
            found = indicatorSet.matchIPv4(v4)
        } else {
            found = indicatorSet.matchIPv6(IPv6Address(high: ip.high, low: ip.low))
        }
        guard let indicator = found else { return nil }
        return (indicator, indicator.kind == .cidr ? "inside \(indicator.value)" : "exact address")
    }

    /// Matches a value from a DNS answer: an address or a name (CNAME chains).
    func matchAnswer(_ raw: UnsafeRawBufferPointer) -> (indicator: Indicator, observed: String, rule: String)? {
        guard raw.count > 0 else { return nil }
        let last = raw[raw.count - 1]
        if !hasAddressIndicators && last >= 0x30 && last <= 0x39 {
            // An address cannot match without address indicators, and a name whose top-level label
            // ends in a digit is not a registrable domain: skip the work (most answers are addresses).
            return nil
        }
        if hasAddressIndicators, let ip = IPAddress(raw) {
            guard hasAddressIndicators, let m = matchAddress(ip) else { return nil }
            return (m.indicator, ip.description, m.rule)
        }
        return matchName(raw).map { ($0.indicator, $0.name, $0.rule) }
    }

    /// Whether any URL-path indicators exist (then every cleartext HTTP request is checked).
    var hasURLPaths: Bool { indicatorSet.hasURLPaths }

    /// Matches a URL against URL indicators (`host` lowercased without port decides whether they apply
    /// at all), then against URL-path indicators (any host). `rule` says which: `URL prefix` or `URL path`.
    func matchURL(host: UnsafeRawBufferPointer, url: () -> String) -> (indicator: Indicator, url: String, rule: String)? {
        guard !urlHosts.isEmpty || hasURLPaths else { return nil }
        var u: String?
        if !urlHosts.isEmpty {
            var h = host.string.lowercased()
            if h.hasSuffix(".") { h.removeLast() }
            if let colon = h.lastIndex(of: ":"), !h.contains("]") { h = String(h[..<colon]) }
            if urlHosts.contains(h) {
                let full = url()
                u = full
                if let hit = indicatorSet.matchURL(full) { return (hit, full, "URL prefix") }
            }
        }
        guard hasURLPaths else { return nil }
        let full = u ?? url()
        return indicatorSet.matchURLPath(full).map { ($0, full, "URL path \($0.value)") }
    }
}

/// A read-only open-addressing set of 64-bit hashes (the keys are already FNV hashes, so no second
/// hash function is needed). Linear probing; load factor ≤ 0.5; zero marks an empty slot (a real zero
/// hash is kept in a flag).
struct HashTable64: Sendable {
    private let slots: [UInt64]
    private let mask: Int
    private let hasZero: Bool

    init(_ keys: [UInt64]) {
        var capacity = 16
        while capacity < keys.count * 2 { capacity <<= 1 }
        var slots = [UInt64](repeating: 0, count: capacity)
        var zero = false
        for k in keys {
            if k == 0 { zero = true; continue }
            var i = Int(truncatingIfNeeded: k ^ (k >> 29)) & (capacity - 1)
            while slots[i] != 0 && slots[i] != k { i = (i + 1) & (capacity - 1) }
            slots[i] = k
        }
        self.slots = slots
        mask = capacity - 1
        hasZero = zero
    }

    @inline(__always)
    func contains(_ k: UInt64) -> Bool {
        if k == 0 { return hasZero }
        return slots.withUnsafeBufferPointer { s in
            var i = Int(truncatingIfNeeded: k ^ (k >> 29)) & mask
            while true {
                let v = s[i]
                if v == k { return true }
                if v == 0 { return false }
                i = (i + 1) & mask
            }
        }
    }
}
