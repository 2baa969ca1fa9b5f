import Foundation
import VigilFleetProtocol
import VigilVerdicts

/// An analyst's judgement of a finding, shown beside it in the web console. The store keeps the
/// latest mark per finding; the audit log keeps every change.
public enum FindingMarkStatus: String, Codable, Sendable, CaseIterable {
    /// Looked at and real: the host needs remediation.
    case confirmed
    /// Looked at and not a compromise (a benign file matching a loose indicator, a test host).
    case falsePositive = "false-positive"
    /// Real, and dealt with (file removed, host rebuilt).
    case resolved

    /// Words for people.
    public var label: String {
        switch self {
        case .confirmed: "confirmed"
        case .falsePositive: "false positive"
        case .resolved: "resolved"
        }
    }
}

/// The latest mark of one finding.
public struct FindingMark: Codable, Sendable, Hashable {
    public var findingID: Int64
    public var hostID: Int64
    /// The host's name when the mark was read (filled by the store).
    public var hostname: String
    public var status: FindingMarkStatus
    /// Free text, at most ``FindingMark/maxNoteBytes`` bytes (may be empty).
    public var note: String
    /// The user name of whoever set the mark.
    public var markedBy: String
    public var markedAt: Date

    public static let maxNoteBytes = 1000

    public init(findingID: Int64, hostID: Int64, hostname: String, status: FindingMarkStatus, note: String, markedBy: String, markedAt: Date) {
        self.findingID = findingID
        self.hostID = hostID
        self.hostname = hostname
        self.status = status
        self.note = note
        self.markedBy = markedBy
        self.markedAt = markedAt
    }

    /// Checks a note and a marker's name before storage (sizes, no NUL).
    public static func validate(note: String, markedBy: String) throws {
        guard note.utf8.count <= maxNoteBytes, !note.utf8.contains(0) else {
            throw FleetStoreError.invalidInput("a mark's note is longer than \(maxNoteBytes) bytes or contains NUL")
        }
        try FleetInputCheck.text(markedBy, what: "marking user")
    }
}

/// Limits of the user-management queries.
public enum ConsoleAdminLimits {
    /// Users listed at most (the console's users page).
    public static let maxUsers = 10_000
    /// API tokens listed per user at most.
    public static let maxTokensPerUser = 1_000
    /// Marks read at once at most.
    public static let maxMarks = 10_000
}

extension FleetStore {
    /// Counts by paging through the current verdicts of each state (500 at a time, at most 10 million).
    public func verdictCounts() async throws -> [VerdictState: Int] {
        var out: [VerdictState: Int] = [:]
        for state in VerdictState.allCases {
            var offset = 0
            while offset < 10_000_000 {
                let page = try await verdicts(state: state, limit: 500, offset: offset)
                if page.isEmpty { break }
                offset += page.count
            }
            if offset > 0 { out[state] = offset }
        }
        return out
    }
}

/// How many hosts changed verdict from one state to another on one UTC day (the overview chart's input).
public struct VerdictChangeTally: Sendable, Hashable {
    /// Days since 1970-01-01 (UTC).
    public var day: Int64
    /// nil for first verdicts.
    public var from: VerdictState?
    public var to: VerdictState
    public var count: Int

    public init(day: Int64, from: VerdictState?, to: VerdictState, count: Int) {
        self.day = day
        self.from = from
        self.to = to
        self.count = count
    }

    /// Tallies a list of changes.
    public static func tally(_ changes: [VerdictChange]) -> [VerdictChangeTally] {
        struct Key: Hashable { var day: Int64; var from: VerdictState?; var to: VerdictState }
        var counts: [Key: Int] = [:]
        for c in changes {
            counts[Key(day: Int64((c.at.timeIntervalSince1970 / 86_400).rounded(.down)), from: c.from, to: c.to), default: 0] += 1
        }
        return counts.map { VerdictChangeTally(day: $0.key.day, from: $0.key.from, to: $0.key.to, count: $0.value) }
            .sorted { ($0.day, $0.from?.rawValue ?? "", $0.to.rawValue) < ($1.day, $1.from?.rawValue ?? "", $1.to.rawValue) }
    }
}

extension FleetStore {
    /// Reads the changes and tallies them (at most one million); stores override it with one grouping query.
    public func verdictChangeTallies(since: Date) async throws -> [VerdictChangeTally] {
        VerdictChangeTally.tally(try await verdictChanges(hostID: nil, since: since, limit: 1_000_000))
    }
}

extension FleetStore {
    /// One ``verdict(hostID:)`` per host; stores override it with one query.
    public func verdictStates(hostIDs: [Int64]) async throws -> [Int64: VerdictState] {
        var out: [Int64: VerdictState] = [:]
        for id in hostIDs { out[id] = try await verdict(hostID: id)?.verdict.state }
        return out
    }
}
