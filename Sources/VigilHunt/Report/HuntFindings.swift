import Foundation
import VigilCore
import VigilIndicators

/// Check ids of `vigil hunt` findings. Indicator hits are `net.ioc.<kind>` (``HuntFindings/check(for:)``).
public enum HuntCheck {
    public static let domain = "net.ioc.domain"
    public static let address = "net.ioc.ip"
    public static let url = "net.ioc.url"
    public static let beacon = "net.beacon"
    public static let strobe = "net.strobe"
    public static let suricataAlert = "net.suricata-alert"
}

/// The one place where hunt results become ``Finding``s, the model `scan` and `diff` report in, so
/// the shared renderers (JSON, JSON Lines, SARIF) and any consumer treat every command alike.
///
/// Each mapping gives a check id, a severity with its reason in the explanation, the ATT&CK
/// techniques that fit the channel, the log file and line of the first evidence, and the evidence as
/// structured values (snake_case keys). To report a new field of a result type, add it to the
/// `evidence` dictionary of that result's function here.
public enum HuntFindings {
    /// Every finding of a report, in report order: indicator hits, beacons (ranked), strobes, alerts.
    /// Suppressed (allow-listed) beacons are not findings; they stay in the report's statistics.
    public static func findings(of report: HuntReport) -> [Finding] {
        report.hits.map(finding) + report.beacons.map(finding) + report.strobes.map(finding) + report.alerts.map(finding)
    }

    // MARK: Indicator hits

    /// `net.ioc.domain` (domain indicators), `net.ioc.ip` (IPv4, IPv6 and CIDR), `net.ioc.url`, and
    /// `net.ioc.<kind>` for any other kind a feed may add.
    public static func check(for kind: IndicatorKind) -> String {
        switch kind {
        case .domain: HuntCheck.domain
        case .ipv4, .ipv6, .cidr: HuntCheck.address
        case .url: HuntCheck.url
        default: "net.ioc." + kind.rawValue
        }
    }

    /// How much a contact with published infrastructure matters, by what the log shows the host did.
    public static func severity(for channel: ContactChannel) -> Severity {
        switch channel {
        // The host fetched the very URL the publisher listed (payload or C2 path).
        case .httpURL, .proxyURL: .critical
        // The host spoke to the infrastructure, or resolved its name (the 3CX case: the lookup is
        // what a DNS log shows before a TLS session nobody can read).
        case .httpHost, .tlsSNI, .connectionDestination, .proxyConnect, .proxyHost, .dnsQuery: .high
        // Only an answer held the value (CNAME chain, shared address), or the address came in:
        // contact is likely but not shown.
        case .dnsAnswer, .connectionSource: .medium
        }
    }

    /// ATT&CK techniques that fit the channel a hit was seen on.
    public static func attack(for channel: ContactChannel) -> [String] {
        switch channel {
        case .httpHost, .httpURL, .proxyHost, .proxyURL: ["T1071.001"]  // Web Protocols
        case .tlsSNI, .proxyConnect: ["T1071.001", "T1573"]  // Web Protocols, Encrypted Channel
        case .dnsQuery, .dnsAnswer, .connectionDestination, .connectionSource: ["T1071"]  // Application Layer Protocol
        }
    }

    /// One indicator hit as a finding.
    public static func finding(_ h: IndicatorHit) -> Finding {
        let (path, line) = splitLocation(h.evidence.first ?? "")
        var evidence: [String: EvidenceValue] = [
            "client": .string(h.host),
            "indicator_kind": .string(h.kind.rawValue),
            "rule": .string(h.rule),
            "channel": .string(h.channel.rawValue),
            "count": .int(h.count),
            "first_seen": .string(h.firstSeenISO),
            "last_seen": .string(h.lastSeenISO),
            "feeds": .strings(h.feeds),
            "locations": .strings(h.evidence),
        ]
        switch h.kind {
        case .domain: evidence["name"] = .string(h.observed)
        case .url: evidence["url"] = .string(h.observed)
        default: evidence[h.channel == .connectionSource ? "remote_client" : "server"] = .string(h.observed)
        }
        let descriptions = h.provenance.compactMap(\.description)
        if let d = descriptions.first { evidence["published_as"] = .string(d) }
        // A path alone (`/api/device_info.php`) names no host: any site may serve it, so a hit is a
        // lead to check rather than proof of contact with the attacker.
        let pathOnly = h.kind == .urlPath
        let severity = pathOnly ? Severity.medium : severity(for: h.channel)
        let why: String
        switch severity {
        case _ where pathOnly: why = "the host requested a published URL path, on a server the indicator does not name"
        case .critical: why = "the host requested the published URL itself"
        case .high: why = "the host contacted or resolved published attacker infrastructure"
        default: why = "the value appeared in traffic to or from the host, but the logs do not show the host itself contacting it"
        }
        return Finding(
            check: check(for: h.kind),
            title: "\(h.host) \(h.channel.phrase) \(h.observed)",
            severity: severity,
            path: path, line: line,
            explanation: "A published indicator (\(h.kind.rawValue) \(h.indicator), \(h.rule)) was seen on \(h.channel.rawValue) "
                + "\(h.count) time(s) between \(h.firstSeenISO) and \(h.lastSeenISO); \(severity) because \(why). "
                + "Check the host for the implant and block the indicator.",
            attack: attack(for: h.channel),
            source: h.feeds.joined(separator: ","),
            indicator: h.indicator,
            evidence: evidence)
    }

    // MARK: Beacons

    /// Beacon severity from the score it is ranked by (Vigil's: RITA's score with the ranking
    /// reasons applied): ≥ 0.9 high, ≥ 0.7 medium, otherwise low.
    public static func severity(for b: BeaconResult) -> Severity {
        b.vigilScore >= 0.9 ? .high : b.vigilScore >= 0.7 ? .medium : .low
    }

    /// One reported beacon as a finding. Its `score` is Vigil's beacon score × 100; RITA's score,
    /// each ranking reason and the log types of the evidence are in the evidence.
    public static func finding(_ b: BeaconResult) -> Finding {
        let (path, line) = splitLocation(b.evidence)
        let byName = b.destinationKind == "fqdn"
        var evidence: [String: EvidenceValue] = [
            "client": .string(b.source),
            "destination_kind": .string(b.destinationKind),
            "connections": .int(b.connections),
            "unique_timestamps": .int(b.uniqueTimestamps),
            "first_seen": .string(b.firstSeenISO),
            "last_seen": .string(b.lastSeenISO),
            "score": .double(b.scores.score),
            "timestamp_score": .double(b.scores.timestamp),
            "data_size_score": .double(b.scores.dataSize),
            "histogram_score": .double(b.scores.histogram),
            "duration_score": .double(b.scores.duration),
            "prevalence": .double(b.prevalence),
            "proxied": .bool(b.proxied),
            "rita_score": .double(b.ritaScore),
            "vigil_score": .double(b.vigilScore),
        ]
        if !b.reasons.isEmpty {
            evidence["reasons"] = .strings(b.reasons.map { r in
                "\(r.name)=\(r.value) (\(r.effect >= 0 ? "+" : "")\(f3(r.effect))): \(r.explanation)"
            })
        }
        if !b.evidenceLogs.isEmpty { evidence["evidence_logs"] = .strings(b.evidenceLogs) }
        evidence[byName ? "name" : "server"] = .string(b.destination)
        if !b.serverAddresses.isEmpty { evidence["server_addresses"] = .strings(b.serverAddresses) }
        if !b.proxies.isEmpty { evidence["proxies"] = .strings(b.proxies) }
        let severity = severity(for: b)
        return Finding(
            check: HuntCheck.beacon,
            title: "\(b.source) beacons to \(b.destination) (Vigil score \(f3(b.vigilScore)), RITA \(f3(b.ritaScore)))",
            severity: severity,
            score: b.vigilScore.isFinite ? Int((min(max(b.vigilScore, 0), 1) * 100).rounded()) : nil,
            path: path, line: line,
            explanation: "\(b.connections) connection(s) from \(b.firstSeenISO) to \(b.lastSeenISO) at regular intervals and sizes "
                + "(RITA v5 scores: timestamp \(f3(b.scores.timestamp)), data size \(f3(b.scores.dataSize)), "
                + "histogram \(f3(b.scores.histogram)), duration \(f3(b.scores.duration))); "
                + "\(String(format: "%.1f", b.prevalence * 100)) % of internal hosts talk to this destination. Regular check-ins are how "
                + "implants poll their command-and-control server; benign updaters and telemetry poll too, so confirm what runs on the client.",
            attack: byName || b.proxied ? ["T1071.001"] : ["T1071"],
            indicator: b.destination,
            evidence: evidence)
    }

    // MARK: Strobes and alerts

    /// A strobe (≥ 86,400 connections in 24 h) as a low-severity finding.
    public static func finding(_ s: StrobeResult) -> Finding {
        let (path, line) = splitLocation(s.evidence)
        return Finding(
            check: HuntCheck.strobe,
            title: "\(s.source) connected to \(s.destination) \(s.connections) times",
            severity: .low,
            path: path, line: line,
            explanation: "At least one connection per second on average over a day: too many to score as a beacon (RITA calls this a strobe). "
                + "Usually a misbehaving service, sometimes an implant polling hard; look at what the client runs.",
            attack: ["T1071"],
            indicator: s.destination,
            evidence: ["client": .string(s.source), "server": .string(s.destination), "connections": .int(s.connections)])
    }

    /// Suricata's severity (1 high, 2 medium, 3 low; anything else informational).
    public static func severity(suricata: Int) -> Severity {
        switch suricata {
        case 1: .high
        case 2: .medium
        case 3: .low
        default: .info
        }
    }

    /// Suricata alerts for one signature and host pair as a finding.
    public static func finding(_ a: AlertSummary) -> Finding {
        let (path, line) = splitLocation(a.evidence.first ?? "")
        return Finding(
            check: HuntCheck.suricataAlert,
            title: "\(a.signature) (sid \(a.signatureID)): \(a.source) → \(a.destination)",
            severity: severity(suricata: a.suricataSeverity),
            path: path, line: line,
            explanation: "Suricata raised this alert \(a.count) time(s) between \(a.firstSeenISO) and \(a.lastSeenISO) "
                + "(category: \(a.category.isEmpty ? "none" : a.category), Suricata severity \(a.suricataSeverity)).",
            source: "suricata",
            indicator: "sid:\(a.signatureID)",
            evidence: [
                "client": .string(a.source), "server": .string(a.destination), "signature_id": .int(a.signatureID),
                "signature": .string(a.signature), "category": .string(a.category), "suricata_severity": .int(a.suricataSeverity),
                "count": .int(a.count), "first_seen": .string(a.firstSeenISO), "last_seen": .string(a.lastSeenISO),
                "locations": .strings(a.evidence),
            ])
    }

    private static func f3(_ v: Double) -> String { String(format: "%.3f", v) }

    /// Splits a `file:line` reference (as the hunt engine writes them) into the file and the line.
    static func splitLocation(_ reference: String) -> (path: String, line: Int?) {
        guard let colon = reference.lastIndex(of: ":"), let line = Int(reference[reference.index(after: colon)...]), line >= 0 else {
            return (reference, nil)
        }
        return (String(reference[..<colon]), line)
    }
}

extension HuntReport {
    /// The report as Vigil findings (see ``HuntFindings``).
    public var findings: [Finding] { HuntFindings.findings(of: self) }

    /// Everything in the report that is not a finding or a diagnostic: what was read, the beacon
    /// window and threshold, suppressed beacons, notes and timings — the `statistics` of the JSON
    /// document.
    public var statistics: HuntStatistics {
        HuntStatistics(
            files: files, records: records, indicators: indicatorCounts, findings: hits.count + beacons.count + strobes.count + alerts.count,
            indicatorHits: hits.count, beacons: beacons.count, strobes: strobes.count, alerts: alerts.count,
            pairsScored: pairsScored, minimumBeaconScore: minimumBeaconScore, windowStart: windowStartISO, windowEnd: windowEndISO,
            suppressedBeacons: suppressedBeacons, notes: notes, timings: timings)
    }
}

/// The `statistics` member of `vigil hunt --format json`.
public struct HuntStatistics: Sendable, Codable {
    /// Every input file with its detected format and line counts.
    public var files: [FileSummary]
    /// Records read, by type (`connection`, `dns`, `http`, `tls`, `proxy`, `alert`).
    public var records: [String: Int]
    /// Indicators matched against, by kind.
    public var indicators: [String: Int]
    public var findings: Int
    public var indicatorHits: Int
    public var beacons: Int
    public var strobes: Int
    public var alerts: Int
    public var pairsScored: Int
    public var minimumBeaconScore: Double
    public var windowStart: String?
    public var windowEnd: String?
    /// Beacons at or above the threshold whose destination is allow-listed, with the reason.
    public var suppressedBeacons: [BeaconResult]
    public var notes: [String]
    public var timings: [String: Double]
}
