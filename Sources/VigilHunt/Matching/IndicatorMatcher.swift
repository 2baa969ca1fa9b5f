import VigilIndicators

/// Matches log values against an ``IndicatorSet`` at log speed.
///
/// The authoritative lookups are the set's public `matchDomain`, `matchIP` and `matchURL`. In front of
/// them sits a prefilter built once from the set's indicators, so the common case (no hit) costs no
/// `String`: a domain is hashed right to left over its bytes (lowercased, trailing dot ignored), and the
/// hash of every parent suffix (`c2.evil.com`, `evil.com`) is looked up in a `Set<UInt64>` of indicator
/// hashes — one pass over the name however long the feed. Only a prefilter hit builds a `String` and
/// asks the set, so a hash collision can never produce a false hit. Addresses are checked against a
/// hash set of exact addresses plus the CIDR list; URLs only when their host carries a URL indicator.
final class IndicatorMatcher {
    let indicatorSet: IndicatorSet
    private var domainHashes = Set<UInt64>()
    private var exactAddresses = Set<IPAddress>()
    private var networks: [IPNetwork] = []
    private var urlHosts = Set<String>()
    /// Non-ASCII names go through the set directly; their results are cached (bounded).
    private var slowCache: [String: Indicator?] = [:]

    init(_ set: IndicatorSet) {
        indicatorSet = set
        for indicator in set.indicators {
            switch indicator.kind {
            case .domain:
                var v = indicator.value
                _ = v.withUTF8 { domainHashes.insert(IndicatorMatcher.reverseHash(UnsafeRawBufferPointer($0))) }
            case .ipv4, .ipv6:
                if let ip = IPAddress(indicator.value) { exactAddresses.insert(ip) }
            case .cidr:
                if let n = IPNetwork(indicator.value) { networks.append(n) }
            case .url:
                if let parts = URLParts(indicator.value) { urlHosts.insert(parts.host) }
            default:
                break
            }
        }
    }

    /// Whether the set has URL indicators (they can be checked only on cleartext HTTP and proxy logs).
    var urlIndicatorCount: Int { indicatorSet.indicators.lazy.filter { $0.kind == .url }.count }

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

    /// Whether any address indicators exist (lets callers skip address work entirely).
    var hasAddressIndicators: Bool { !exactAddresses.isEmpty || !networks.isEmpty }

    /// Matches an address against IP and CIDR indicators.
    func matchAddress(_ ip: IPAddress) -> (indicator: Indicator, rule: String)? {
        guard exactAddresses.contains(ip) || networks.contains(where: { $0.contains(ip) }) else { return nil }
        guard let indicator = indicatorSet.matchIP(ip.description) else { return nil }
        return (indicator, indicator.kind == .cidr ? "inside \(indicator.value)" : "exact address")
    }

    /// Matches a value from a DNS answer: an address or a name (CNAME chains).
    func matchAnswer(_ raw: UnsafeRawBufferPointer) -> (indicator: Indicator, observed: String, rule: String)? {
        if let ip = IPAddress(raw) {
            guard hasAddressIndicators, let m = matchAddress(ip) else { return nil }
            return (m.indicator, ip.description, m.rule)
        }
        return matchName(raw).map { ($0.indicator, $0.name, $0.rule) }
    }

    /// Matches a URL (`host` lowercased without port decides whether URL indicators apply at all).
    func matchURL(host: UnsafeRawBufferPointer, url: () -> String) -> (indicator: Indicator, url: String)? {
        guard !urlHosts.isEmpty else { return nil }
        var h = host.string.lowercased()
        if h.hasSuffix(".") { h.removeLast() }
        if let colon = h.lastIndex(of: ":"), !h.contains("]") { h = String(h[..<colon]) }
        guard urlHosts.contains(h) else { return nil }
        let u = url()
        return indicatorSet.matchURL(u).map { ($0, u) }
    }
}
