import Foundation

/// What `vigil agent` does, read from a JSON file (`--config`) and overridden by flags.
///
/// ```json
/// { "server": "https://fleet.example:8443", "caFile": "/etc/vigil/ca.pem",
///   "secretFile": "/etc/vigil/enroll.secret", "stateDirectory": "/var/lib/vigil-agent",
///   "roots": ["/opt", "/usr/local", "/home"], "intervalSeconds": 3600,
///   "readBytesPerSecond": 20000000, "nice": 10, "idleIO": true }
/// ```
public struct AgentConfiguration: Codable, Sendable, Hashable {
    /// Server base URL.
    public var server: String?
    /// PEM CA certificate that signed the server's certificate: the only CA trusted.
    public var caFile: String?
    /// Allow `http://` to a non-loopback server.
    public var allowInsecureHTTP: Bool?
    /// File holding the enrolment secret; kept so a revoked host key can be replaced unattended.
    public var secretFile: String?
    /// The agent's own folder (host key, state database, scan cache, spool), created with mode 0700.
    public var stateDirectory: String?
    /// Folders to sweep (absolute paths).
    public var roots: [String]?
    /// Seconds between the starts of two sweeps in `run`.
    public var intervalSeconds: Int?
    /// Average read budget of a sweep, bytes per second (0: unlimited).
    public var readBytesPerSecond: Int?
    /// Scheduling niceness (0–19) set at start.
    public var nice: Int?
    /// Idle I/O scheduling class (Linux ioprio_set).
    public var idleIO: Bool?
    /// Scan worker threads (default 1: low impact before speed).
    public var threads: Int?
    /// Files above this size are not read (bytes).
    public var maxFileSize: Int?
    /// Extra YARA rule files or folders and indicator files, beside the server's.
    public var rules: [String]?
    public var iocs: [String]?
    /// Include Vigil's built-in 3CX indicators and rules.
    public var defaultIndicators: Bool?
    /// Most inventory rows (files + removed paths) per batch.
    public var maxFilesPerBatch: Int?
    /// Backoff after a failed upload: first delay and cap, seconds.
    public var backoffBaseSeconds: Double?
    public var backoffCapSeconds: Double?

    public init() {}

    public static let defaultStateDirectory = "/var/lib/vigil-agent"

    /// Reads a configuration file (JSON), refusing files over 1 MiB.
    public static func load(path: String) throws -> AgentConfiguration {
        let url = URL(fileURLWithPath: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes[.size] as? Int, size > 1 << 20 {
            throw AgentError("agent configuration \(path) is larger than 1 MiB")
        }
        do {
            return try JSONDecoder().decode(AgentConfiguration.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw AgentError("agent configuration \(path) is not valid: \(error)")
        }
    }

    /// `self` with every value `other` sets taking precedence.
    public func overridden(by other: AgentConfiguration) -> AgentConfiguration {
        var r = self
        r.server = other.server ?? server
        r.caFile = other.caFile ?? caFile
        r.allowInsecureHTTP = other.allowInsecureHTTP ?? allowInsecureHTTP
        r.secretFile = other.secretFile ?? secretFile
        r.stateDirectory = other.stateDirectory ?? stateDirectory
        r.roots = other.roots ?? roots
        r.intervalSeconds = other.intervalSeconds ?? intervalSeconds
        r.readBytesPerSecond = other.readBytesPerSecond ?? readBytesPerSecond
        r.nice = other.nice ?? nice
        r.idleIO = other.idleIO ?? idleIO
        r.threads = other.threads ?? threads
        r.maxFileSize = other.maxFileSize ?? maxFileSize
        r.rules = other.rules ?? rules
        r.iocs = other.iocs ?? iocs
        r.defaultIndicators = other.defaultIndicators ?? defaultIndicators
        r.maxFilesPerBatch = other.maxFilesPerBatch ?? maxFilesPerBatch
        r.backoffBaseSeconds = other.backoffBaseSeconds ?? backoffBaseSeconds
        r.backoffCapSeconds = other.backoffCapSeconds ?? backoffCapSeconds
        return r
    }

    // Resolved values with defaults.
    public var resolvedStateDirectory: String { stateDirectory ?? Self.defaultStateDirectory }
    public var resolvedInterval: Int { max(60, intervalSeconds ?? 3600) }
    public var resolvedReadBudget: Int? { (readBytesPerSecond ?? 50_000_000) > 0 ? (readBytesPerSecond ?? 50_000_000) : nil }
    public var resolvedNice: Int { min(19, max(0, nice ?? 10)) }
    public var resolvedIdleIO: Bool { idleIO ?? true }
    public var resolvedMaxFilesPerBatch: Int { min(50_000, max(1, maxFilesPerBatch ?? 5_000)) }
    public var resolvedBackoffBase: Double { max(0.01, backoffBaseSeconds ?? 2) }
    public var resolvedBackoffCap: Double { max(resolvedBackoffBase, backoffCapSeconds ?? 900) }
}

/// An agent failure worth telling the operator (bad configuration, not enrolled, fatal server answer).
public struct AgentError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
