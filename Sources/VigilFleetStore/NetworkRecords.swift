import Foundation
import VigilCore
import VigilFleetProtocol
import VigilHunt
import VigilVerdicts

/// What ``FleetStore/applyNetworkReport(_:receivedAt:)`` did.
public struct NetworkReportOutcome: Codable, Sendable, Hashable {
    /// The report had been applied before; nothing changed.
    public var duplicate: Bool
    /// Contact-index rows inserted or merged.
    public var contactRows: Int
    /// Hits and beacons stored as network evidence.
    public var evidence: Int
    public var leases: Int

    public init(duplicate: Bool, contactRows: Int, evidence: Int, leases: Int) {
        self.duplicate = duplicate
        self.contactRows = contactRows
        self.evidence = evidence
        self.leases = leases
    }
}

/// A contact-index row with the sensor that saw it.
///
/// The index keeps one row per `(sensor, day, client, name)` and per `(sensor, day, client, server)`;
/// merging a report adds counts, widens first/last seen, unions the log types and keeps the evidence
/// (`file:line`) of the earliest record.
public struct SensorContact: Codable, Sendable, Hashable {
    public var sensor: String
    public var row: ContactRow

    public init(sensor: String, row: ContactRow) {
        self.sensor = sensor
        self.row = row
    }
}

/// Per `(sensor, client, day)`: when the client was seen and how many contact rows it had; what a
/// verdict's coverage is built from, without reading every contact row.
public struct CoverageRow: Codable, Sendable, Hashable {
    public var sensor: String
    public var client: String
    /// `YYYY-MM-DD`, UTC.
    public var day: String
    public var firstSeen: Double
    public var lastSeen: Double
    /// Contact rows of that client on that day.
    public var rows: Int
    /// `file:line` of the earliest record of the day.
    public var evidenceFile: String
    public var evidenceLine: Int

    public init(sensor: String, client: String, day: String, firstSeen: Double, lastSeen: Double, rows: Int, evidenceFile: String, evidenceLine: Int) {
        self.sensor = sensor
        self.client = client
        self.day = day
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.rows = rows
        self.evidenceFile = evidenceFile
        self.evidenceLine = evidenceLine
    }
}

/// Network evidence on record, not yet tied to a host (``NetworkEvidence`` with an empty host): an
/// indicator hit or beacon from a report, or a retro-hunt match of the contact index. Identity:
/// sensor, kind, client address, destination, indicator and first seen; storing it again widens
/// last seen and count instead of adding a row.
public struct StoredNetworkEvidence: Codable, Sendable, Hashable {
    public var id: Int64
    public var evidence: NetworkEvidence
    public var recordedAt: Date

    public init(id: Int64, evidence: NetworkEvidence, recordedAt: Date) {
        self.id = id
        self.evidence = evidence
        self.recordedAt = recordedAt
    }
}
