import Foundation
import VigilVerdicts

/// One host's current verdict, as `GET /api/v1/verdicts` lists it.
public struct HostVerdictRecord: Codable, Sendable, Hashable {
    public var hostID: Int64
    public var hostname: String
    /// The verdict with its reasons, evidence and coverage.
    public var verdict: HostVerdict
    /// When the current state was first decided (a recomputation with the same state keeps it).
    public var since: Date
    /// When it was last recomputed.
    public var computedAt: Date

    public init(hostID: Int64, hostname: String, verdict: HostVerdict, since: Date, computedAt: Date) {
        self.hostID = hostID
        self.hostname = hostname
        self.verdict = verdict
        self.since = since
        self.computedAt = computedAt
    }
}

/// A change of a host's verdict state: what the webhook and syslog outputs carry, and the verdict
/// history the console charts.
public struct VerdictChange: Codable, Sendable, Hashable {
    public var hostID: Int64
    public var hostname: String
    /// nil for the first verdict of a host.
    public var from: VerdictState?
    public var to: VerdictState
    public var at: Date
    /// The reason codes of the new verdict (`c2-contact-after-file`, …).
    public var reasons: [String]

    public init(hostID: Int64, hostname: String, from: VerdictState?, to: VerdictState, at: Date, reasons: [String]) {
        self.hostID = hostID
        self.hostname = hostname
        self.from = from
        self.to = to
        self.at = at
        self.reasons = reasons
    }
}

/// `GET /api/v1/hosts/{name}/verdict`: a host's verdict, timeline and verdict history.
public struct HostVerdictDetail: Codable, Sendable, Hashable {
    public var current: HostVerdictRecord
    public var timeline: [TimelineEvent]
    /// Oldest first.
    public var history: [VerdictChange]

    public init(current: HostVerdictRecord, timeline: [TimelineEvent], history: [VerdictChange]) {
        self.current = current
        self.timeline = timeline
        self.history = history
    }
}
