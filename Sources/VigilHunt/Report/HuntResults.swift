import VigilCore
import VigilIndicators

/// Where in the traffic an indicator was seen.
public enum ContactChannel: String, Codable, Sendable, CaseIterable {
    case dnsQuery = "dns-query"
    case dnsAnswer = "dns-answer"
    case httpHost = "http-host"
    case httpURL = "http-url"
    case tlsSNI = "tls-sni"
    case connectionDestination = "conn-destination"
    /// The indicator address opened the connection (inbound from a C2 address).
    case connectionSource = "conn-source"
    case proxyConnect = "proxy-connect"
    case proxyHost = "proxy-host"
    case proxyURL = "proxy-url"

    /// Words for reports.
    public var phrase: String {
        switch self {
        case .dnsQuery: "looked up"
        case .dnsAnswer: "received in a DNS answer"
        case .httpHost: "contacted over HTTP (Host)"
        case .httpURL: "requested the URL"
        case .tlsSNI: "contacted over TLS (SNI)"
        case .connectionDestination: "connected to"
        case .connectionSource: "was contacted by"
        case .proxyConnect: "tunnelled through the proxy to"
        case .proxyHost: "requested through the proxy from"
        case .proxyURL: "requested through the proxy the URL"
        }
    }
}

/// One internal host's contact with one indicator, over one channel, aggregated over the logs.
public struct IndicatorHit: Sendable, Hashable, Codable {
    /// The indicator value that matched (normalised) and its kind.
    public var indicator: String
    public var kind: IndicatorKind
    /// How it matched: `exact domain`, `subdomain of evil.com`, `exact address`, `inside 10.0.0.0/8`, `URL prefix`.
    public var rule: String
    /// What the log held (normalised name, address or URL).
    public var observed: String
    public var channel: ContactChannel
    /// The internal host that made the contact (`-` when the log does not say).
    public var host: String
    /// First and last time seen (epoch seconds, and ISO 8601 UTC).
    public var firstSeen: Double
    public var lastSeen: Double
    public var firstSeenISO: String
    public var lastSeenISO: String
    public var count: Int
    /// Up to five `file:line` references.
    public var evidence: [String]
    /// The feeds that published the indicator and each source's details.
    public var feeds: [String]
    public var provenance: [Provenance]
}

/// A beacon candidate with every component score, so an analyst can judge the ranking.
public struct BeaconResult: Sendable, Hashable, Codable {
    /// The internal client.
    public var source: String
    /// The FQDN (for HTTP/TLS/proxied pairs) or the destination address.
    public var destination: String
    /// `fqdn` or `address`.
    public var destinationKind: String
    /// Whether the connections went through a proxy (CONNECT or proxy log), and the proxy addresses.
    public var proxied: Bool
    public var proxies: [String]
    /// Server addresses seen behind the name (at most four, display only).
    public var serverAddresses: [String]
    public var connections: Int
    public var uniqueTimestamps: Int
    public var firstSeenISO: String
    public var lastSeenISO: String
    public var scores: BeaconScores
    /// Share of internal hosts that talk to the same destination (RITA: ≤ 2 % is rare, ≥ 50 % common).
    public var prevalence: Double
    /// Why the destination is on the allowlist, when it is (then the beacon is listed as suppressed).
    public var suppressedBecause: String?
    /// Where the pair was first seen (`file:line`).
    public var evidence: String
    /// RITA v5's beacon score (the same as `scores.score`), kept next to Vigil's.
    public var ritaScore: Double
    /// Vigil's score: RITA's plus the effect of every reason, clamped to 0…1; beacons are ranked and
    /// reported by it.
    public var vigilScore: Double
    /// Every check that moved (or could have moved) the score, with its effect.
    public var reasons: [BeaconReason]
    /// The log types the pair's rows came from: `conn`, `http`, `tls`, `proxy`.
    public var evidenceLogs: [String]
}

/// A pair with 86,400 or more connections in 24 h: a strobe, not scored as a beacon (RITA).
public struct StrobeResult: Sendable, Hashable, Codable {
    public var source: String
    public var destination: String
    public var connections: Int
    public var evidence: String
}

/// Suricata alerts aggregated by signature and host pair.
public struct AlertSummary: Sendable, Hashable, Codable {
    public var signatureID: Int
    public var signature: String
    public var category: String
    /// Suricata severity: 1 high, 2 medium, 3 low.
    public var suricataSeverity: Int
    public var source: String
    public var destination: String
    public var count: Int
    public var firstSeenISO: String
    public var lastSeenISO: String
    public var evidence: [String]
}

/// What was read from one input file.
public struct FileSummary: Sendable, Hashable, Codable {
    public var path: String
    /// The detected format, or `nil` when the file was skipped.
    public var format: String?
    /// Lines read (over all passes of the file, counted once).
    public var lines: Int
    /// Lines that did not parse.
    public var unparsed: Int
}

/// Everything `vigil hunt` found.
public struct HuntReport: Sendable, Codable {
    public var hits: [IndicatorHit] = []
    /// Beacons whose Vigil score is at or above the reporting threshold, best first.
    public var beacons: [BeaconResult] = []
    /// Beacons at or above the threshold whose destination is allow-listed.
    public var suppressedBeacons: [BeaconResult] = []
    public var strobes: [StrobeResult] = []
    public var alerts: [AlertSummary] = []
    public var files: [FileSummary] = []
    /// Problems that did not stop the run (unparsed lines, unreadable files), with file and line.
    public var diagnostics: [Diagnostic] = []
    /// Caveats an analyst must know (e.g. URL indicators cannot be checked on TLS).
    public var notes: [String] = []
    /// Records read, by type.
    public var records: [String: Int] = [:]
    /// Indicators matched against, by kind (`domain`, `ipv4`, `sha256`…).
    public var indicatorCounts: [String: Int] = [:]
    /// Beacon analysis window (ISO 8601), when there were connections.
    public var windowStartISO: String?
    public var windowEndISO: String?
    /// Number of beacon pairs considered and the reporting threshold.
    public var pairsScored = 0
    public var minimumBeaconScore = 0.0
    /// Seconds spent per step: `read` (parsing and matching all files) and `score` (beacon scoring).
    public var timings: [String: Double] = [:]

    public init() {}

    /// Whether anything was found (exit status 1): an indicator hit, a reported beacon, a strobe or an alert.
    public var foundSomething: Bool { !hits.isEmpty || !beacons.isEmpty || !strobes.isEmpty || !alerts.isEmpty }
}

/// Epoch seconds as ISO 8601 UTC (`2023-03-29T10:00:00Z`).
func isoTime(_ t: Double) -> String {
    guard t.isFinite, abs(t) < 1e12 else { return "?" }
    let secs = Int(t.rounded(.down))
    var days = secs / 86400
    var rem = secs % 86400
    if rem < 0 { rem += 86400; days -= 1 }
    // civil_from_days (Howard Hinnant).
    let z = days + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))Z"
}
