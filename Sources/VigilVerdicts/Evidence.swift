import VigilCore

/// How a file was found bad.
public enum FileCheckKind: String, Sendable, Hashable, Codable {
    /// Its hash is a published indicator.
    case hash
    /// A YARA rule matched it.
    case rule
    /// A structural check (signature, appended data, image tricks…) flagged it.
    case structural
}

/// A finding about a file on a host (from `vigil scan` / the agent's inventory).
public struct FileFinding: Sendable, Hashable, Codable {
    public var path: String
    /// Lowercase hex SHA-256.
    public var sha256: String
    /// The indicator, rule or check that fired (e.g. the hash indicator, the rule name, the check id).
    public var check: String
    public var kind: FileCheckKind
    public var severity: Severity
    /// When the file was first seen on the host (epoch seconds).
    public var firstSeen: Double
    /// Campaign labels of the indicator or rule (empty: not known).
    public var campaigns: [String]

    public init(path: String, sha256: String, check: String, kind: FileCheckKind, severity: Severity, firstSeen: Double, campaigns: [String] = []) {
        self.path = path
        self.sha256 = sha256
        self.check = check
        self.kind = kind
        self.severity = severity
        self.firstSeen = firstSeen
        self.campaigns = campaigns
    }

    /// Whether the finding marks the file compromised: a hash or rule match, or a structural finding
    /// of high or critical severity.
    public var isCompromise: Bool { kind != .structural || severity >= .high }

    /// `path (sha256 …, check)`.
    public var citation: String { "\(path) (sha256 \(sha256), \(kind.rawValue) \(check))" }
}

/// What kind of network evidence.
public enum NetworkEvidenceKind: String, Sendable, Hashable, Codable {
    /// A contact with a published indicator (DNS query or answer, HTTP host or URL, TLS SNI, proxy
    /// target, connection to an address).
    case indicatorContact = "indicator-contact"
    /// A beacon (regular connections) reported by the hunt.
    case beacon
}

/// One piece of network evidence already tied to a host.
public struct NetworkEvidence: Sendable, Hashable, Codable {
    public var kind: NetworkEvidenceKind
    public var host: String
    /// The client address in the logs.
    public var address: String
    /// The name or address contacted.
    public var destination: String
    /// The indicator matched (nil for a beacon without one).
    public var indicator: String?
    /// Campaign labels of the indicator (empty: not known).
    public var campaigns: [String]
    /// Feeds that published the indicator.
    public var feeds: [String]
    /// How it was seen (`dns-query`, `http-host`, `beacon`…).
    public var channel: String
    public var sensor: String?
    public var firstSeen: Double
    public var lastSeen: Double
    public var count: Int
    /// Log file and line of the records (at least one).
    public var evidence: [LogReference]
    /// A remark, e.g. that the address changed hands during the aggregated period.
    public var note: String?

    public init(
        kind: NetworkEvidenceKind, host: String, address: String, destination: String, indicator: String?, campaigns: [String] = [],
        feeds: [String] = [], channel: String, sensor: String? = nil, firstSeen: Double, lastSeen: Double, count: Int,
        evidence: [LogReference], note: String? = nil
    ) {
        self.kind = kind
        self.host = host
        self.address = address
        self.destination = destination
        self.indicator = indicator
        self.campaigns = campaigns
        self.feeds = feeds
        self.channel = channel
        self.sensor = sensor
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
        self.evidence = evidence
        self.note = note
    }

    /// `destination (indicator …) from address, N× first … last, at file:line…`.
    public var citation: String {
        let what = kind == .beacon ? "beacon to \(destination)" : "\(channel) \(destination)"
        let ind = indicator.map { " (indicator \($0))" } ?? ""
        return "\(what)\(ind) from \(address), \(count)× \(VerdictTime.iso(firstSeen)) … \(VerdictTime.iso(lastSeen)), at "
            + evidence.map(\.description).joined(separator: ", ")
    }
}

/// Everything known about one host.
public struct HostEvidence: Sendable, Hashable, Codable {
    public var host: String
    public var files: [FileFinding]
    public var versions: [VersionFact]
    public var network: [NetworkEvidence]

    public init(host: String, files: [FileFinding] = [], versions: [VersionFact] = [], network: [NetworkEvidence] = []) {
        self.host = host
        self.files = files
        self.versions = versions
        self.network = network
    }
}
