import Foundation
import VigilCore

extension HuntReport {
    /// Ranked text tables for a terminal.
    /// - Parameter top: at most this many beacons (and suppressed beacons) are listed.
    public func renderText(top: Int = 25) -> String {
        var out = ""
        let recordLine = ["connection", "dns", "http", "tls", "proxy", "alert"].compactMap { k in records[k].flatMap { $0 > 0 ? "\($0) \(k)" : nil } }
        out += "Read \(files.filter { $0.format != nil }.count) of \(files.count) file(s): \(recordLine.isEmpty ? "no records" : recordLine.joined(separator: ", "))\n"
        if let s = windowStartISO, let e = windowEndISO { out += "Beacon window: \(s) – \(e) (\(pairsScored) pair(s) scored)\n" }

        out += "\nINDICATOR HITS (\(hits.count))\n"
        if hits.isEmpty { out += "  none\n" }
        for h in hits {
            let severity = HuntFindings.severity(for: h.channel).rawValue.uppercased()
            out += "  [\(severity)] \(safe: h.host) \(h.channel.phrase) \(safe: h.observed)  [\(safe: h.rule); \(h.kind.rawValue) \(safe: h.indicator); \(HuntFindings.check(for: h.kind))]\n"
            out += "    \(h.count)× from \(safe: h.firstSeenISO) to \(safe: h.lastSeenISO); feeds: \(safe: h.feeds.joined(separator: ", "))"
            if let d = h.provenance.lazy.compactMap(\.description).first { out += " — \(safe: d)" }
            out += "\n    evidence: \(safe: h.evidence.joined(separator: ", "))\n"
        }

        out += "\nBEACONS (\(beacons.count), Vigil and RITA scores ≥ \(String(format: "%.2f", minimumBeaconScore)); vigil = RITA v5 score + the reasons' effects)\n"
        if beacons.isEmpty { out += "  none\n" } else { out += beaconTable(Array(beacons.prefix(top)), reasons: false) }
        if beacons.count > top { out += "  … \(beacons.count - top) more (use --format json for all)\n" }

        if !suppressedBeacons.isEmpty {
            out += "\nSUPPRESSED BEACONS (\(suppressedBeacons.count), allow-listed destinations)\n"
            out += beaconTable(Array(suppressedBeacons.prefix(top)), reasons: true)
        }
        if !strobes.isEmpty {
            out += "\nSTROBES (\(strobes.count), ≥ 86,400 connections in 24 h; not scored as beacons)\n"
            for s in strobes { out += "  \(safe: s.source) → \(safe: s.destination): \(s.connections) connections (\(safe: s.evidence))\n" }
        }
        if !alerts.isEmpty {
            out += "\nSURICATA ALERTS (\(alerts.count) signature/host pairs)\n"
            for a in alerts {
                out += "  [sev \(a.suricataSeverity)] \(safe: a.signature) (sid \(a.signatureID)): \(safe: a.source) → \(safe: a.destination), \(a.count)× \(a.firstSeenISO)–\(a.lastSeenISO) (\(safe: a.evidence.first ?? ""))\n"
            }
        }
        if !notes.isEmpty {
            out += "\nNOTES\n"
            for n in notes { out += "  - \(safe: n)\n" }
        }
        if !diagnostics.isEmpty {
            let unparsed = files.reduce(0) { $0 + $1.unparsed }
            out += "\nDIAGNOSTICS (\(diagnostics.count) listed; \(unparsed) unparsed line(s) in total)\n"
            for d in diagnostics.prefix(20) { out += "  \(safe: d.description)\n" }
            if diagnostics.count > 20 { out += "  … \(diagnostics.count - 20) more (use --format json)\n" }
        }
        return out
    }

    private func beaconTable(_ list: [BeaconResult], reasons: Bool) -> String {
        var rows: [[String]] = [["#", "vigil", "rita", "ts", "size", "hist", "dur", "conns", "prev%", "source", "destination", "via", "logs"]]
        for (i, b) in list.enumerated() {
            rows.append([
                "\(i + 1)", f3(b.vigilScore), f3(b.ritaScore), f3(b.scores.timestamp), f3(b.scores.dataSize), f3(b.scores.histogram), f3(b.scores.duration),
                "\(b.connections)", String(format: "%.1f", b.prevalence * 100), TerminalSafe.escape(b.source), TerminalSafe.escape(b.destination),
                b.proxied ? "proxy " + (b.proxies.isEmpty ? "(log)" : TerminalSafe.escape(b.proxies.joined(separator: ","))) : (b.destinationKind == "fqdn" ? "name" : "address"),
                b.evidenceLogs.joined(separator: "+"),
            ])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for (n, r) in rows.enumerated() {
            // Every column padded but the last (no trailing spaces).
            out += "  " + r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            out += "\n"
            if reasons, n > 0, let reason = list[n - 1].suppressedBecause { out += "      allow-listed: \(safe: reason)\n" }
            if n > 0 {
                for r in list[n - 1].reasons where r.effect != 0 {
                    out += "      \(r.effect > 0 ? "+" : "−")\(f3(abs(r.effect))) \(safe: r.name): \(safe: r.value)\n"
                }
            }
        }
        return out
    }

    private func f3(_ v: Double) -> String { String(format: "%.3f", v) }
}
