import Foundation
import Synchronization
import VigilFleetProtocol
import VigilFleetStore
import VigilVerdicts

/// Verdicts in the console: counts, the chart of counts over time, a host's verdict with reasons,
/// coverage, history and timeline.
extension Console {
    /// The display order of the states (worst first) and their colours.
    static let verdictStates: [VerdictState] = [.active, .unknownActivity, .contactOnly, .dormant, .exposed, .clean]

    static func verdictColor(_ state: VerdictState) -> String {
        switch state {
        case .active: "#b42318"
        case .unknownActivity: "#ca8a04"
        case .contactOnly: "#9e3fbf"
        case .dormant: "#dc6803"
        case .exposed: "#2563eb"
        case .clean: "#067647"
        }
    }

    /// Per-day verdict counts for the `days` days ending with `now`'s day (UTC), oldest first.
    ///
    /// Works backwards from the current counts: before a change `from → to` the host counted under
    /// `from` (or not at all for a first verdict), so only the changes inside the window are needed,
    /// however long the fleet's history, and only as tallies per day and transition. Each day's
    /// counts are those at the end of that day.
    static func dailyVerdictCounts(current: [VerdictState: Int], tallies: [VerdictChangeTally], days: Int, now: Date)
        -> [(day: Date, counts: [VerdictState: Int])] {
        let days = max(1, min(days, 366))
        let today = Int64((now.timeIntervalSince1970 / 86_400).rounded(.down))
        var counts = current
        var result: [(day: Date, counts: [VerdictState: Int])] = []
        var pending = tallies.sorted { $0.day > $1.day }[...]  // newest first
        for back in 0..<Int64(days) {
            let day = today - back
            // Undo the changes of the days after this one.
            while let tally = pending.first, tally.day > day {
                counts[tally.to, default: 0] -= tally.count
                if let from = tally.from { counts[from, default: 0] += tally.count }
                pending = pending.dropFirst()
            }
            result.append((Date(timeIntervalSince1970: Double(day) * 86_400), counts.mapValues { max(0, $0) }))
        }
        return result.reversed()
    }

    /// The overview's verdict card: counts linking to the filtered host list and the chart of the last 14 days.
    func verdictOverview(now: Date) async -> [String: Any] {
        do {
            let counts: [VerdictState: Int], tallies: [VerdictChangeTally]
            // Reused until this process computes verdicts again or the lifetime ends (other servers on
            // the same database may have computed some meanwhile).
            let passes = server.verdicts.passes
            if let cached = verdictCache.withLock({ $0 }), cached.passes == passes, now.timeIntervalSince(cached.at) >= 0,
               now.timeIntervalSince(cached.at) < configuration.verdictSummaryLifetime {
                (counts, tallies) = (cached.counts, cached.tallies)
            } else {
                counts = try await store.verdictCounts()
                tallies = try await store.verdictChangeTallies(since: now.addingTimeInterval(-15 * 86_400))
                verdictCache.withLock { $0 = VerdictSummary(at: now, passes: passes, counts: counts, tallies: tallies) }
            }
            let daily = Self.dailyVerdictCounts(current: counts, tallies: tallies, days: 14, now: now)
            let chart = StackedBarChart(
                title: "Hosts per verdict, last 14 days",
                series: Self.verdictStates.map { .init(name: $0.rawValue, color: Self.verdictColor($0)) },
                columns: daily.map { entry in
                    .init(label: String(SVG.timeLabel(entry.day.timeIntervalSince1970, withTime: false).dropFirst(5)),
                          values: Self.verdictStates.map { entry.counts[$0] ?? 0 })
                },
                width: 1000, height: 200)
            return [
                "states": Self.verdictStates.map { state in
                    let n = counts[state] ?? 0
                    return ["state": state.rawValue, "count": n, "zero": n == 0, "color": Self.verdictColor(state)] as [String: Any]
                },
                "total": counts.values.reduce(0, +),
                "svg": chart.render(id: "verdict-chart"),
                "changes": tallies.reduce(0) { $0 + $1.count },
            ]
        } catch {
            return ["problem": "Verdicts cannot be read from the store: \(error)"]
        }
    }

    /// A host's verdict section, history and timeline chart; nil values when the host has no verdict yet.
    func hostVerdictValues(host: HostRecord, findings: [StoredFinding], now: Date) async -> [String: Any] {
        do {
            guard let detail = try await server.verdicts.detail(hostID: host.id) else {
                return ["none": true]
            }
            let record = detail.current
            let history = detail.history
            let v = record.verdict
            var values: [String: Any] = [
                "state": v.state.rawValue, "since": Self.timestamp(record.since), "computed": Self.timestamp(record.computedAt),
                "asOf": VerdictTime.iso(v.asOf),
                "reasons": v.reasons.map { ["code": $0.code, "text": $0.text, "evidence": $0.evidence, "hasEvidence": !$0.evidence.isEmpty] as [String: Any] },
                "hasReasons": !v.reasons.isEmpty,
                "coverage": v.coverage.map {
                    ["sensor": $0.sensor, "period": $0.period.description, "rows": $0.rows, "first": $0.firstEvidence] as [String: Any]
                },
                "history": history.suffix(50).reversed().map {
                    ["at": Self.timestamp($0.at), "from": $0.from?.rawValue ?? "(none)", "to": $0.to.rawValue, "reasons": $0.reasons.joined(separator: ", ")]
                },
            ]
            if let required = v.requiredCoverage { values["required"] = required.description }
            if !v.missingCoverage.isEmpty { values["missing"] = v.missingCoverage.map(\.description).joined(separator: "; ") }
            let items = Self.timelineItems(verdict: v, findings: findings, history: history, events: detail.timeline)
            values["svg"] = TimelineChart(title: "Timeline of \(host.hostname)", items: items, width: 1000).render(id: "host-timeline")
            return values
        } catch {
            return ["problem": "The verdict cannot be read from the store: \(error)"]
        }
    }

    /// The chart's items: compromised files appearing (from the host's high and critical findings),
    /// C2 contacts and beacons (from the verdict's timeline), verdict changes (from the history).
    static func timelineItems(verdict: HostVerdict, findings: [StoredFinding], history: [VerdictChange],
                              events: [TimelineEvent] = []) -> [TimelineChart.Item] {
        var items: [TimelineChart.Item] = []
        var seenFiles = Set<String>()
        for f in findings.sorted(by: { $0.firstSeen < $1.firstSeen }) where f.finding.severity >= .high {
            guard seenFiles.insert(f.finding.path).inserted else { continue }
            items.append(.init(lane: .files, start: f.firstSeen.timeIntervalSince1970, end: f.firstSeen.timeIntervalSince1970,
                               label: "\(f.finding.path) (\(f.finding.check)) first seen \(timestamp(f.firstSeen))", color: "#b42318"))
        }
        var beaconStarts: [String: TimelineEvent] = [:]
        for e in events.sorted(by: { $0.time < $1.time }) {
            switch e.kind {
            case "first-c2-contact", "last-c2-contact":
                items.append(.init(lane: .c2, start: e.time, end: e.time, label: "\(VerdictTime.iso(e.time)): \(e.text)", color: "#b42318"))
            case "beacon-start":
                beaconStarts[e.evidence.first ?? e.text] = e
            case "beacon-end":
                let start = beaconStarts.removeValue(forKey: e.evidence.first ?? e.text)
                items.append(.init(lane: .beacons, start: start?.time ?? e.time, end: e.time,
                                   label: (start?.text ?? e.text) + " – last seen \(VerdictTime.iso(e.time))", color: "#dc6803"))
            case "file-appeared" where !seenFiles.contains(where: { e.text.hasPrefix($0) }):
                items.append(.init(lane: .files, start: e.time, end: e.time, label: "\(VerdictTime.iso(e.time)): \(e.text)", color: "#b42318"))
            default:
                break
            }
        }
        for start in beaconStarts.values {
            items.append(.init(lane: .beacons, start: start.time, end: start.time, label: start.text, color: "#dc6803"))
        }
        for change in history {
            items.append(.init(lane: .verdict, start: change.at.timeIntervalSince1970, end: change.at.timeIntervalSince1970,
                               label: "\(timestamp(change.at)): verdict \(change.from?.rawValue ?? "none") → \(change.to.rawValue)",
                               color: verdictColor(change.to)))
        }
        return items
    }
}

/// The overview's verdict counts and change tallies as read at one time (kept for
/// ``ConsoleConfiguration/verdictSummaryLifetime``).
struct VerdictSummary: Sendable {
    var at: Date
    /// ``VerdictService/passes`` when read.
    var passes: Int
    var counts: [VerdictState: Int]
    var tallies: [VerdictChangeTally]
}
