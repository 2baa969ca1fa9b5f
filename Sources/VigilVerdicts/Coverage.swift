import VigilHunt

/// One sensor saw one host, continuously (no silence longer than the merge gap), over `period`.
public struct CoverageWindow: Sendable, Hashable, Codable {
    public var sensor: String
    public var host: String
    public var period: Period
    /// Contact rows that make up the window.
    public var rows: Int
    /// The log file and line of the window's earliest row.
    public var firstEvidence: String
}

/// A contact row whose client address could not be tied to a host.
public struct UnattributedContact: Sendable, Hashable {
    public var sensor: String
    public var row: ContactRow
    public var reason: UnattributedReason
}

/// Which sensors saw which host, from when to when.
///
/// A sensor sees a host when a contact row of the sensor's summaries has a client address
/// attributed to the host: the row's first and last times are attributed separately, so a row whose
/// address changed hands during the day counts as a point for each holder, never as a span for one.
/// A host's sightings by a sensor are merged into windows while the silence between them is at most
/// ``maxGap``.
public struct Coverage: Sendable {
    public private(set) var windows: [CoverageWindow] = []
    /// The windows by host, so a fleet-wide verdict pass looks each host up in constant time.
    private var byHost: [String: [CoverageWindow]] = [:]
    public private(set) var unattributed: [UnattributedContact] = []
    /// Unattributed rows beyond the ones listed (the list is capped).
    public private(set) var moreUnattributed = 0
    /// Silence that still counts as coverage, in seconds.
    public let maxGap: Double

    /// At most this many unattributed rows are listed.
    public static let maxListedUnattributed = 10_000

    /// Derives coverage from contact summaries.
    public init(summaries: [ContactSummary], addresses: AddressBook, maxGap: Double = 86_400) {
        self.maxGap = maxGap
        struct Key: Hashable { var sensor: String; var host: String }
        var points: [Key: [(Double, Double, String)]] = [:]
        for summary in summaries {
            for row in summary.names + summary.servers {
                let a = addresses.attribute(row.client, at: row.firstSeen)
                let b = row.lastSeen == row.firstSeen ? a : addresses.attribute(row.client, at: row.lastSeen)
                switch (a.host, b.host) {
                case let (x?, y?) where x == y:
                    points[Key(sensor: summary.sensor, host: x), default: []].append((row.firstSeen, row.lastSeen, row.evidence))
                default:
                    if let x = a.host { points[Key(sensor: summary.sensor, host: x), default: []].append((row.firstSeen, row.firstSeen, row.evidence)) }
                    if let y = b.host { points[Key(sensor: summary.sensor, host: y), default: []].append((row.lastSeen, row.lastSeen, row.evidence)) }
                    if case .unattributed(let reason) = a {
                        note(UnattributedContact(sensor: summary.sensor, row: row, reason: reason))
                    } else if case .unattributed(let reason) = b {
                        note(UnattributedContact(sensor: summary.sensor, row: row, reason: reason))
                    }
                }
            }
        }
        for (key, list) in points {
            let sorted = list.sorted { $0.0 < $1.0 }
            var current: CoverageWindow?
            for (start, end, evidence) in sorted {
                if var c = current, start - c.period.end <= maxGap {
                    c.period.end = max(c.period.end, end)
                    c.rows += 1
                    current = c
                } else {
                    if let c = current { windows.append(c) }
                    current = CoverageWindow(sensor: key.sensor, host: key.host, period: Period(start: start, end: end), rows: 1, firstEvidence: evidence)
                }
            }
            if let c = current { windows.append(c) }
        }
        windows.sort { ($0.host, $0.sensor, $0.period.start) < ($1.host, $1.sensor, $1.period.start) }
        byHost = Dictionary(grouping: windows, by: \.host)
    }

    private mutating func note(_ u: UnattributedContact) {
        if unattributed.count < Self.maxListedUnattributed { unattributed.append(u) } else { moreUnattributed += 1 }
    }

    /// The windows of one host (canonical name), every sensor.
    public func windows(for host: String) -> [CoverageWindow] {
        byHost[host.lowercased()] ?? []
    }

    /// The stretches of `period` no sensor covered for `host`, ignoring stretches of at most `tolerance`
    /// seconds (hosts are seen only when they send traffic).
    public func missing(for host: String, over period: Period, tolerance: Double) -> [Period] {
        let covered = windows(for: host).map(\.period).sorted { $0.start < $1.start }
        var missing: [Period] = []
        var cursor = period.start
        for w in covered {
            if w.end < cursor { continue }
            if w.start > period.end { break }
            if w.start > cursor, w.start - cursor > tolerance { missing.append(Period(start: cursor, end: min(w.start, period.end))) }
            cursor = max(cursor, w.end)
            if cursor >= period.end { break }
        }
        if cursor < period.end, period.end - cursor > tolerance || covered.isEmpty { missing.append(Period(start: cursor, end: period.end)) }
        if covered.isEmpty && missing.isEmpty { missing.append(period) }
        return missing
    }
}
