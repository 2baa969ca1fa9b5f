#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A de-duplicated collection of indicators with the lookups every Vigil command needs:
/// file hashes, domains (with subdomains), URLs (host plus path prefix), IP addresses and CIDR
/// ranges, and filename regexes (kept as source text; the scanner compiles them).
///
/// Lookup structures (all hash tables, no linear scans over the indicators):
/// - exact values (hashes, domains, e-mails, filename regexes, URLs) in one table keyed by kind + value;
/// - domains match a name or any parent domain by walking the name's labels (at most 127 probes);
/// - addresses and CIDR ranges in ``PrefixTable``s: one hash table per prefix length present, probed
///   longest prefix first (at most 33 probes for IPv4 and 129 for IPv6, usually a handful);
/// - URLs grouped by host, then compared by port and path prefix.
///
/// Value type and `Sendable`: build it once, then share it read-only across threads.
public struct IndicatorSet: Sendable {
    /// Whether ``insert(_:)`` added a new value or merged provenance into an existing one.
    public enum InsertOutcome: Sendable, Equatable {
        case added
        case merged
    }

    /// URLs, addresses, networks, e-mails and filename patterns by kind + value.
    private var byKey: [Key: Int32] = [:]
    /// Hashes and domains (most of any large feed) keyed by a 64-bit FNV-1a of kind + value, so
    /// lookups hash the caller's bytes in place (no String allocation) and the table holds no
    /// second reference to the value. A hit is verified against the stored value; a value whose
    /// 64-bit key collides with a different earlier value goes to `byKey` instead.
    private var fastKeys: [UInt64: Int32] = [:]
    private var fastCollisions = 0

    private static func usesFastKey(_ kind: IndicatorKind) -> Bool {
        kind == .md5 || kind == .sha1 || kind == .sha256 || kind == .domain
    }
    /// All indicators, in insertion order.
    public private(set) var indicators: [Indicator] = []
    private var ipv4 = PrefixTable<UInt32>()
    private var ipv6 = PrefixTable<IPv6Address>()
    private var urlsByHost: [String: [URLEntry]] = [:]
    /// The longest URL-path indicator in bytes (0: none), which bounds the prefixes ``matchURLPath(_:)`` probes.
    private var longestURLPath = 0

    private struct Key: Hashable {
        var kind: IndicatorKind
        var value: String
    }

    private struct URLEntry: Sendable {
        var port: Int?
        var path: String
        var index: Int32
    }

    public init() {}

    /// Builds a set from indicators, merging duplicates.
    public init(_ indicators: some Sequence<Indicator>) {
        for i in indicators { insert(i) }
    }

    /// Number of distinct indicators.
    public var count: Int { indicators.count }

    /// Whether the set holds no indicator.
    public var isEmpty: Bool { indicators.isEmpty }

    /// Distinct indicators per kind.
    public var countsByKind: [IndicatorKind: Int] {
        indicators.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 }
    }

    /// Reserves room for `capacity` indicators (avoids rehashing while loading a large feed).
    public mutating func reserveCapacity(_ capacity: Int) {
        indicators.reserveCapacity(capacity)
        byKey.reserveCapacity(capacity)
        fastKeys.reserveCapacity(capacity)
    }

    /// Adds an indicator whose value is already normalised; merges provenance into an existing
    /// indicator with the same kind and value (keeping the higher score).
    @discardableResult
    public mutating func insert(_ indicator: Indicator) -> InsertOutcome {
        var fast: UInt64?
        var existing: Int?
        if Self.usesFastKey(indicator.kind) {
            let k = Self.fastKey(indicator.kind, indicator.value.utf8)
            if let i = fastKeys[k].map(Int.init) {
                if indicators[i].kind == indicator.kind && indicators[i].value == indicator.value { existing = i }
            } else {
                fast = k
            }
        }
        let key = Key(kind: indicator.kind, value: indicator.value)
        if existing == nil, fast == nil { existing = byKey[key].map(Int.init) }
        if let i = existing {
            for p in indicator.provenance where !indicators[i].provenance.contains(p) {
                indicators[i].provenance.append(p)
            }
            if let s = indicator.score { indicators[i].score = max(indicators[i].score ?? s, s) }
            // The same-file link holds only while every source gives the same one.
            if indicators[i].sameFileSHA256 != indicator.sameFileSHA256 { indicators[i].sameFileSHA256 = nil }
            if indicators[i].falsePositivePattern != indicator.falsePositivePattern { indicators[i].falsePositivePattern = nil }
            return .merged
        }
        let index = Int32(indicators.count)
        indicators.append(indicator)
        if let fast {
            fastKeys[fast] = index
        } else {
            if Self.usesFastKey(indicator.kind) { fastCollisions += 1 }
            byKey[key] = index
        }
        switch indicator.kind {
        case .ipv4:
            if let v4 = Normalizer.parseIPv4(indicator.value) { ipv4.insert(v4, length: 32, index: index) }
        case .ipv6:
            if let v6 = IPv6Address(indicator.value) { ipv6.insert(v6, length: 128, index: index) }
        case .cidr:
            if let (address, bits) = Self.splitCIDR(indicator.value) {
                if let v4 = Normalizer.parseIPv4(address), bits <= 32 {
                    ipv4.insert(v4, length: bits, index: index)
                } else if let v6 = IPv6Address(address), bits <= 128 {
                    ipv6.insert(v6, length: bits, index: index)
                }
            }
        case .url:
            if let parts = URLParts(indicator.value) {
                urlsByHost[parts.host, default: []].append(URLEntry(port: parts.port, path: parts.path, index: index))
            }
        case .urlPath:
            longestURLPath = max(longestURLPath, indicator.value.utf8.count)
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
        index(kind, value).map { indicators[$0] }
    }

    /// Whether the set holds exactly this kind and normalised value.
    public func contains(_ kind: IndicatorKind, _ value: String) -> Bool {
        index(kind, value) != nil
    }

    private func index(_ kind: IndicatorKind, _ value: String) -> Int? {
        if Self.usesFastKey(kind) {
            var value = value
            if let i = value.withUTF8({ fastIndex(kind, $0) }) { return i }
            if fastCollisions == 0 { return nil }
        }
        return byKey[Key(kind: kind, value: value)].map(Int.init)
    }

    /// Hash indicators matching any of the given hex digests (any case).
    public func matchHashes(md5: String?, sha1: String?, sha256: String?) -> [Indicator] {
        var out: [Indicator] = []
        if let md5, let i = matchHash(md5), i.kind == .md5 { out.append(i) }
        if let sha1, let i = matchHash(sha1), i.kind == .sha1 { out.append(i) }
        if let sha256, let i = matchHash(sha256), i.kind == .sha256 { out.append(i) }
        return out
    }

    /// The hash indicator for one hex digest of any supported length (case-insensitive), or `nil`.
    /// The kind follows from the length: 32 MD5, 40 SHA-1, 64 SHA-256.
    public func matchHash(_ hex: String) -> Indicator? {
        var hex = hex
        return hex.withUTF8 { bytes -> Indicator? in
            let kind: IndicatorKind
            switch bytes.count {
            case 32: kind = .md5
            case 40: kind = .sha1
            case 64: kind = .sha256
            default: return nil
            }
            guard bytes.allSatisfy(\.isHexDigit) else { return nil }
            return fastLookup(kind, bytes)  // case is folded while hashing and comparing
        }
    }

    /// The most specific domain indicator matching `name` or one of its parent domains (so
    /// `a.evil.com` matches an indicator `evil.com`). Case, a trailing dot and IDNA are normalised
    /// first; a bare top-level domain never matches.
    public func matchDomain(_ name: String) -> Indicator? {
        var name = name
        let fast: Indicator?? = name.withUTF8 { bytes -> Indicator?? in
            // Fast path: plain ASCII names are probed in place (case folded while hashing and comparing).
            guard bytes.count <= 254, bytes.allSatisfy({ $0.isHostnameByte || $0 == UInt8(ascii: ".") }) else { return .none }
            var n = bytes.count
            if n > 0, bytes[n - 1] == UInt8(ascii: ".") { n -= 1 }
            return .some(walkDomain(UnsafeBufferPointer(rebasing: bytes[0..<n])))
        }
        if let fast { return fast }
        guard var n = Normalizer.normalizeDomain(name) else { return nil }
        return n.withUTF8 { walkDomain($0) }
    }

    /// Probes `name` and each parent domain with at least two labels, most specific first.
    private func walkDomain(_ name: UnsafeBufferPointer<UInt8>) -> Indicator? {
        var start = 0
        while start < name.count {
            let suffix = UnsafeBufferPointer(rebasing: name[start...])
            guard let dot = suffix.firstIndex(of: UInt8(ascii: ".")) else { return nil }  // never a bare TLD
            if dot > 0, dot < suffix.count - 1, let hit = fastLookup(.domain, suffix) { return hit }
            start += dot + 1
        }
        return nil
    }

    /// Looks up an already-normalised value given as bytes, without allocating.
    private func fastLookup(_ kind: IndicatorKind, _ value: UnsafeBufferPointer<UInt8>) -> Indicator? {
        if let i = fastIndex(kind, value) { return indicators[i] }
        guard fastCollisions > 0 else { return nil }
        return byKey[Key(kind: kind, value: String(decoding: value, as: UTF8.self).lowercased())].map { indicators[Int($0)] }
    }

    private func fastIndex(_ kind: IndicatorKind, _ value: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let i = fastKeys[Self.fastKey(kind, value)].map(Int.init) else { return nil }
        var stored = indicators[i].value
        let equal = indicators[i].kind == kind && stored.withUTF8 { s in
            guard s.count == value.count else { return false }
            for j in 0..<s.count where s[j] != Self.foldCase(value[j]) { return false }
            return true
        }
        return equal ? i : nil
    }

    /// The 64-bit lookup key of a value: for hex digests the first 16 hex digits as a number
    /// (digests are uniformly random, so this is already a perfect-quality key and costs 16 steps);
    /// otherwise 64-bit FNV-1a over the bytes. The kind is mixed in either way.
    static func fastKey(_ kind: IndicatorKind, _ bytes: some Collection<UInt8>) -> UInt64 {
        let tag = UInt64(kind.ordinal + 1) &* 0x9E37_79B9_7F4A_7C15
        if kind.isHash, bytes.count >= 16 {
            var v: UInt64 = 0
            for b in bytes.prefix(16) {
                let d: UInt8 = b <= 0x39 ? b &- 0x30 : (b | 0x20) &- 0x57
                v = v << 4 | UInt64(d & 0x0f)
            }
            return v ^ tag
        }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ tag
        for b in bytes { h = (h ^ UInt64(foldCase(b))) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// ASCII lowercase of one byte (stored values are lowercase already).
    @inline(__always) static func foldCase(_ b: UInt8) -> UInt8 {
        b >= 0x41 && b <= 0x5a ? b | 0x20 : b
    }

    /// The URL indicator whose scheme-less host and port equal the URL's and whose path is a prefix
    /// of the URL's path (the longest such prefix wins). The URL is normalised first.
    public func matchURL(_ url: String) -> Indicator? {
        guard let parts = URLParts(url), let candidates = urlsByHost[parts.host] else { return nil }
        var best: URLEntry?
        for entry in candidates where entry.port == parts.port && parts.path.hasPrefix(entry.path) {
            if best == nil || entry.path.utf8.count > best!.path.utf8.count { best = entry }
        }
        return best.map { indicators[Int($0.index)] }
    }

    /// Whether the set holds URL-path indicators (``IndicatorKind/urlPath``).
    public var hasURLPaths: Bool { longestURLPath > 0 }

    /// The URL-path indicator matching an HTTP request target: the path and query as sent
    /// (`/api/device_info.php?id=7`), or an absolute URL (a proxy request), whose scheme and host are
    /// ignored. It matches an indicator equal to the path and query, or to the path alone; an indicator
    /// ending in `/` that the path starts with; an indicator whose query ends in `=` or `&` that the
    /// target starts with (the longest wins). Case-sensitive, as paths are; a fragment is ignored.
    /// Hash lookups only, bounded by the longest indicator.
    public func matchURLPath(_ target: String) -> Indicator? {
        guard longestURLPath > 0 else { return nil }
        var t = Substring(target)
        if let hash = t.firstIndex(of: "#") { t = t[..<hash] }
        if let sep = t.firstRange(of: "://") {
            let rest = t[sep.upperBound...]
            t = rest.firstIndex(where: { $0 == "/" || $0 == "?" }).map { rest[$0...] } ?? "/"
            if t.hasPrefix("?") { return nil }
        }
        guard t.hasPrefix("/") else { return nil }
        func probe(_ candidate: Substring) -> Indicator? {
            guard candidate.utf8.count <= longestURLPath else { return nil }
            return byKey[Key(kind: .urlPath, value: String(candidate))].map { indicators[Int($0)] }
        }
        if let hit = probe(t) { return hit }
        let path = t.firstIndex(of: "?").map { t[..<$0] } ?? t
        // An indicator with a query ending in `=` or `&` (`/gate.php?id=`) stands for any value there.
        if path.endIndex != t.endIndex {
            var i = t.index(before: t.endIndex)
            while i > path.endIndex {
                if t[i] == "=" || t[i] == "&", let hit = probe(t[...i]) { return hit }
                i = t.index(before: i)
            }
        }
        if path.endIndex != t.endIndex, let hit = probe(path) { return hit }
        // Prefix indicators end in `/`: probe each `/`-terminated prefix of the path, longest first.
        var end = path.endIndex
        while let slash = path[..<end].lastIndex(of: "/"), slash != path.startIndex {
            let prefix = path[...slash]
            if prefix.endIndex != path.endIndex, let hit = probe(prefix) { return hit }
            end = slash
        }
        return nil
    }

    /// The most specific address or CIDR indicator covering `address` (IPv4 or IPv6 text).
    public func matchIP(_ address: String) -> Indicator? {
        if let v4 = Self.fastIPv4(address) ?? Normalizer.parseIPv4(address) {
            return ipv4.longestMatch(v4).map { indicators[Int($0)] }
        }
        if let v6 = IPv6Address(address) {
            return ipv6.longestMatch(v6).map { indicators[Int($0)] }
        }
        return nil
    }

    /// The most specific address or CIDR indicator covering a numeric IPv4 address.
    public func matchIPv4(_ address: UInt32) -> Indicator? {
        ipv4.longestMatch(address).map { indicators[Int($0)] }
    }

    /// The most specific address or CIDR indicator covering a numeric IPv6 address.
    public func matchIPv6(_ address: IPv6Address) -> Indicator? {
        ipv6.longestMatch(address).map { indicators[Int($0)] }
    }

    /// Whether the set holds any IPv4, IPv6 or CIDR indicator (lets log readers skip address work).
    public var hasAddressIndicators: Bool { ipv4.count > 0 || ipv6.count > 0 }

    /// Filename regex indicators (source text), for the scanner to compile.
    public var filenamePatterns: [Indicator] { indicators.filter { $0.kind == .filename } }

    /// Indicators of one kind, in insertion order.
    public func indicators(of kind: IndicatorKind) -> [Indicator] { indicators.filter { $0.kind == kind } }

    /// Dotted-quad IPv4 parsed from the UTF-8 bytes without allocating; `nil` for anything else
    /// (the caller then tries the full parser, which gives the same answer for valid input).
    static func fastIPv4(_ text: String) -> UInt32? {
        var text = text
        return text.withUTF8 { bytes -> UInt32? in
            guard bytes.count >= 7, bytes.count <= 15 else { return nil }
            var value: UInt32 = 0, octet: UInt32 = 0, digits = 0, dots = 0
            for b in bytes {
                if b == UInt8(ascii: ".") {
                    guard digits > 0, dots < 3 else { return nil }
                    value = value << 8 | octet
                    octet = 0; digits = 0; dots += 1
                } else if b >= 0x30, b <= 0x39 {
                    if digits == 1, octet == 0 { return nil }  // leading zero
                    octet = octet * 10 + UInt32(b - 0x30)
                    digits += 1
                    guard digits <= 3, octet <= 255 else { return nil }
                } else {
                    return nil
                }
            }
            guard dots == 3, digits > 0 else { return nil }
            return value << 8 | octet
        }
    }

    private static func splitCIDR(_ value: String) -> (String, Int)? {
        guard let slash = value.lastIndex(of: "/"), let bits = Int(value[value.index(after: slash)...]), bits >= 0 else {
            return nil
        }
        return (String(value[..<slash]), bits)
    }
}

/// An IPv6 address as two 64-bit halves (big-endian order), cheap to hash and mask.
public struct IPv6Address: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses IPv6 text; `nil` when invalid.
    public init?(_ text: String) {
        guard let bytes = Normalizer.parseIPv6(text) else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        self.init(high: h, low: l)
    }
}

/// An address type a ``PrefixTable`` can index: fixed width, maskable to a prefix.
public protocol PrefixKey: Hashable, Sendable {
    static var bitWidth: Int { get }
    /// The value with every bit after the first `length` bits cleared.
    func masked(to length: Int) -> Self
}

extension UInt32: PrefixKey {
    public static var bitWidth: Int { 32 }
    public func masked(to length: Int) -> UInt32 {
        length == 0 ? 0 : (length >= 32 ? self : self & ~(UInt32.max >> UInt32(length)))
    }
}

extension IPv6Address: PrefixKey {
    public static var bitWidth: Int { 128 }
    public func masked(to length: Int) -> IPv6Address {
        if length >= 128 { return self }
        if length == 0 { return IPv6Address(high: 0, low: 0) }
        if length <= 64 {
            let h = length == 64 ? high : high & ~(UInt64.max >> UInt64(length))
            return IPv6Address(high: h, low: 0)
        }
        return IPv6Address(high: high, low: low & ~(UInt64.max >> UInt64(length - 64)))
    }
}

/// Longest-prefix matching for addresses and networks: one hash table per prefix length in use,
/// probed from the longest length down. A lookup costs one hash probe per distinct prefix length
/// present (real feeds use a handful: /32, /24, /16…), independent of the number of networks.
///
/// Chosen over a binary trie because it needs no per-node allocation (a million /32 entries are one
/// dictionary) and because real feeds use few distinct lengths.
public struct PrefixTable<Address: PrefixKey>: Sendable {
    /// One table per prefix length in use, longest length first.
    private var levels: [(length: Int, table: [Address: Int32])] = []

    public init() {}

    /// Adds a network (`length` = prefix length; the full width for a single address). The first
    /// index stored for a network wins.
    public mutating func insert(_ address: Address, length: Int, index: Int32) {
        let length = min(max(length, 0), Address.bitWidth)
        let position: Int
        if let existing = levels.firstIndex(where: { $0.length == length }) {
            position = existing
        } else {
            position = levels.firstIndex(where: { $0.length < length }) ?? levels.count
            levels.insert((length, [:]), at: position)
        }
        let key = address.masked(to: length)
        if levels[position].table[key] == nil { levels[position].table[key] = index }
    }

    /// The index stored for the longest network containing `address`, or `nil`.
    public func longestMatch(_ address: Address) -> Int32? {
        for level in levels {
            if let index = level.table[address.masked(to: level.length)] { return index }
        }
        return nil
    }

    /// Number of networks and addresses stored.
    public var count: Int { levels.reduce(0) { $0 + $1.table.count } }
}
