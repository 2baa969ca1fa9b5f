/// The type of an indicator value.
public enum IndicatorKind: String, Codable, Sendable, CaseIterable, Comparable {
    case md5
    case sha1
    case sha256
    case domain
    case url
    /// The path (and optional query) of an HTTP request, without scheme or host (`/api/device_info.php`),
    /// as SophosLabs publishes in `url_path` rows. Matched on HTTP and proxy logs only: the request's
    /// path equals it, or starts with it when it ends in `/` (see ``IndicatorSet/matchURLPath(_:)``).
    case urlPath = "url_path"
    case ipv4
    case ipv6
    /// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`).
    case cidr
    /// A regular expression over a file path or name (Loki `filename-iocs.txt` style), case-insensitive.
    case filename
    case email

    public static func < (lhs: IndicatorKind, rhs: IndicatorKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// A small stable number for this kind (used in lookup keys).
    public var ordinal: Int {
        switch self {
        case .md5: 0
        case .sha1: 1
        case .sha256: 2
        case .domain: 3
        case .url: 4
        case .ipv4: 5
        case .ipv6: 6
        case .cidr: 7
        case .filename: 8
        case .email: 9
        case .urlPath: 10
        }
    }

    /// Whether this kind is a file hash.
    public var isHash: Bool { self == .md5 || self == .sha1 || self == .sha256 }
}

/// Where an indicator came from: which feed, which file and line, what the publisher said of it.
public struct Provenance: Codable, Sendable, Hashable {
    /// The feed (or built-in set) name, e.g. `default`, `sophos-3cx`.
    public var feed: String
    /// The source file the value was read from.
    public var file: String?
    /// 1-based line (or row) in that file.
    public var line: Int?
    /// The publisher's description or note for the value.
    public var description: String?
    /// When the indicator was first seen or published, ISO 8601, when known.
    public var firstSeen: String?
    /// The value as published, when it differs from the normalised value (defanged, mixed case…).
    public var original: String?
    /// Labels the publisher attached (MISP tags, STIX labels and indicator types), when any.
    public var tags: [String]?

    public init(
        feed: String, file: String? = nil, line: Int? = nil, description: String? = nil, firstSeen: String? = nil,
        original: String? = nil, tags: [String]? = nil
    ) {
        self.feed = feed
        self.file = file
        self.line = line
        self.description = description
        self.firstSeen = firstSeen
        self.original = original
        self.tags = tags
    }
}

/// One normalised indicator value with every source that published it.
public struct Indicator: Codable, Sendable, Hashable {
    public var kind: IndicatorKind
    /// The normalised value: lowercase hex for hashes, lowercase ASCII (IDNA) without trailing dot for
    /// domains, canonical text for addresses and URLs, the regex source for filename indicators.
    public var value: String
    /// Loki-style score (0...100) where the source gives one.
    public var score: Int?
    /// Every source that published this value; merged when the same value comes from several feeds.
    public var provenance: [Provenance]
    /// For an MD5 or SHA-1 indicator: the SHA-256 of the same file, when every source that published
    /// the value also gave that SHA-256 with it (a Volexity `file` cell, a MISP `file` object). A sweep
    /// that loads that SHA-256 finds the file by it and then reports this indicator too, so it need not
    /// compute MD5 or SHA-1 for every file. `nil` when any source published the value on its own or the
    /// sources disagree.
    public var sameFileSHA256: String?
    /// For a filename indicator: a regex over the same path that marks a match as a known false
    /// positive (the third column of Loki's `filename-iocs.txt`). Kept only while every source gives
    /// the same one, so a merge never suppresses more than each source asked for.
    public var falsePositivePattern: String?

    public init(
        kind: IndicatorKind, value: String, score: Int? = nil, provenance: [Provenance] = [], sameFileSHA256: String? = nil,
        falsePositivePattern: String? = nil
    ) {
        self.kind = kind
        self.value = value
        self.score = score
        self.provenance = provenance
        self.sameFileSHA256 = sameFileSHA256
        self.falsePositivePattern = falsePositivePattern
    }

    /// A short description for reports: the first non-empty provenance description.
    public var summary: String? { provenance.lazy.compactMap(\.description).first { !$0.isEmpty } }

    /// The feeds that published this value, de-duplicated, in order.
    public var feeds: [String] {
        var seen = Set<String>()
        return provenance.map(\.feed).filter { seen.insert($0).inserted }
    }
}

/// Dictionaries keyed by kind encode as JSON objects (`{"md5": 4}`), not as key/value arrays.
extension IndicatorKind: CodingKeyRepresentable {}
