/// One event of a host's timeline.
public struct TimelineEvent: Sendable, Hashable, Codable {
    public var time: Double
    /// `file-appeared`, `first-c2-contact`, `last-c2-contact`, `beacon-start`, `beacon-end`, `verdict-change`.
    public var kind: String
    public var text: String
    public var evidence: [String]

    public init(time: Double, kind: String, text: String, evidence: [String]) {
        self.time = time
        self.kind = kind
        self.text = text
        self.evidence = evidence
    }
}

/// A previous verdict, for the verdict-change event.
public struct PreviousVerdict: Sendable, Hashable, Codable {
    public var state: VerdictState
    public var decidedAt: Double

    public init(state: VerdictState, decidedAt: Double) {
        self.state = state
        self.decidedAt = decidedAt
    }
}

/// Builds a host's timeline: when each bad file appeared, first and last C2 contact, beacons, and
/// the verdict change when a previous verdict is given.
public enum Timeline {
    public static func build(for host: HostEvidence, verdict: HostVerdict, previous: PreviousVerdict? = nil) -> [TimelineEvent] {
        var events: [TimelineEvent] = []
        for f in host.files where f.isCompromise {
            events.append(TimelineEvent(time: f.firstSeen, kind: "file-appeared", text: "\(f.path) first seen", evidence: [f.citation]))
        }
        let contacts = host.network.filter { $0.kind == .indicatorContact }
        if let first = contacts.min(by: { $0.firstSeen < $1.firstSeen }) {
            events.append(TimelineEvent(time: first.firstSeen, kind: "first-c2-contact", text: "first contact with C2 \(first.destination)", evidence: [first.citation]))
        }
        if let last = contacts.max(by: { $0.lastSeen < $1.lastSeen }) {
            events.append(TimelineEvent(time: last.lastSeen, kind: "last-c2-contact", text: "last contact with C2 \(last.destination)", evidence: [last.citation]))
        }
        for b in host.network where b.kind == .beacon {
            events.append(TimelineEvent(time: b.firstSeen, kind: "beacon-start", text: "beacon to \(b.destination) starts (\(b.count) connections)", evidence: [b.citation]))
            events.append(TimelineEvent(time: b.lastSeen, kind: "beacon-end", text: "beacon to \(b.destination) last seen", evidence: [b.citation]))
        }
        if let previous, previous.state != verdict.state {
            events.append(TimelineEvent(
                time: verdict.asOf, kind: "verdict-change", text: "verdict \(previous.state.rawValue) → \(verdict.state.rawValue)",
                evidence: verdict.reasons.flatMap(\.evidence)))
        }
        return events.sorted { ($0.time, $0.kind) < ($1.time, $1.kind) }
    }
}
