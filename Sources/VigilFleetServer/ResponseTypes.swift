import Foundation
import VigilCore
import VigilFeeds
import VigilFleetStore

/// The answer to `POST /api/v1/feeds`: the stored feed, what the import kept and rejected, and the
/// retro-hunt over the stored inventory that followed.
public struct FeedImportResponse: Codable, Sendable, Hashable {
    public var feed: FeedRecord
    public var summary: ImportSummary
    /// Indicators of hash and file-name kinds that the server did not hold before this import.
    public var newIndicators: Int
    /// The reader's diagnostics (rejected rows with file and line), at most ``maxDiagnostics`` of them.
    public var diagnostics: [Diagnostic]
    public var diagnosticsOmitted: Int
    public var retroHunt: RetroHuntReport
    /// Domain, address and CIDR indicators the server did not hold before, and their retro-hunt of the
    /// contact index (absent from servers before network reports).
    public var newNetworkIndicators: Int?
    public var networkRetroHunt: NetworkRetroHuntReport?

    public static let maxDiagnostics = 200
}

/// `POST /api/v1/enrollment-secrets` body.
public struct EnrollmentSecretRequest: Codable, Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}

/// A new enrolment secret: its record and the secret itself, shown this once.
public struct EnrollmentSecretCreated: Codable, Sendable, Hashable {
    public var record: EnrollmentSecretRecord
    public var secret: String
    public init(record: EnrollmentSecretRecord, secret: String) {
        self.record = record
        self.secret = secret
    }
}

/// The JSON coders of the API: dates as ISO 8601 text, keys sorted for stable output.
public enum FleetJSON {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
