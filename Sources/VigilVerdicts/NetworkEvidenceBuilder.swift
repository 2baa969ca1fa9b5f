import VigilHunt
import VigilIndicators

/// Network evidence that could not be tied to a host.
public struct UnattributedEvidence: Sendable, Hashable {
    public var evidence: NetworkEvidence
    public var reason: UnattributedReason
}

/// Turns hunt results (indicator hits, beacons) and retro-hunt matches into per-host
/// ``NetworkEvidence``, attributing each client address at the time of the records.
///
/// A result aggregates records over time, so its client address is attributed at its first and at
/// its last time: when both name the same host, the evidence is that host's; when they differ (the
/// address changed hands in between), each holder gets the evidence at its own end, with a note.
public struct NetworkEvidenceBuilder: Sendable {
    public var addresses: AddressBook
    /// Campaign labels of an indicator, from its provenance. Default: the `campaign:` tags, else the
    /// feeds that published it.
    public var campaigns: @Sendable ([Provenance]) -> [String] = NetworkEvidenceBuilder.defaultCampaigns

    public init(addresses: AddressBook) { self.addresses = addresses }

    public static let defaultCampaigns: @Sendable ([Provenance]) -> [String] = { provenance in
        let tags = provenance.flatMap { $0.tags ?? [] }.filter { $0.lowercased().hasPrefix("campaign:") }.map { String($0.dropFirst(9)) }
        if !tags.isEmpty { return Array(Set(tags)).sorted() }
        var seen = Set<String>()
        return provenance.map(\.feed).filter { seen.insert($0).inserted }
    }

    /// The result of attributing a batch.
    public struct Result: Sendable {
        public var byHost: [String: [NetworkEvidence]] = [:]
        /// Each unattributed part once, in the order met.
        public var unattributed: [UnattributedEvidence] = []
        /// The parts already listed (a set, so a pass over millions of items stays linear).
        var listed = Set<NetworkEvidence>()
    }

    private func place(_ e: NetworkEvidence, into result: inout Result) {
        let a = addresses.attribute(e.address, at: e.firstSeen)
        let b = e.lastSeen == e.firstSeen ? a : addresses.attribute(e.address, at: e.lastSeen)
        if let x = a.host, x == b.host {
            var e = e
            e.host = x
            result.byHost[x, default: []].append(e)
            return
        }
        let note = "the address \(e.address) changed hands between \(VerdictTime.iso(e.firstSeen)) and \(VerdictTime.iso(e.lastSeen))"
        for (att, t) in [(a, e.firstSeen), (b, e.lastSeen)] {
            var part = e
            part.firstSeen = t
            part.lastSeen = t
            part.note = a.host == nil && b.host == nil ? nil : note
            if let h = att.host {
                part.host = h
                result.byHost[h, default: []].append(part)
            } else if case .unattributed(let reason) = att {
                part.host = ""
                if result.listed.insert(part).inserted { result.unattributed.append(UnattributedEvidence(evidence: part, reason: reason)) }
            }
            if a.host == nil && b.host == nil { break }
        }
    }

    /// Evidence from a hunt report: every indicator hit and every reported (not suppressed) beacon.
    public func evidence(from report: HuntReport, sensor: String?) -> Result {
        var result = Result()
        for hit in report.hits {
            let e = NetworkEvidence(
                kind: .indicatorContact, host: "", address: hit.host, destination: hit.observed, indicator: hit.indicator,
                campaigns: campaigns(hit.provenance), feeds: hit.feeds, channel: hit.channel.rawValue, sensor: sensor, firstSeen: hit.firstSeen,
                lastSeen: hit.lastSeen, count: hit.count, evidence: hit.evidence.compactMap(LogReference.init))
            place(e, into: &result)
        }
        for beacon in report.beacons {
            guard let first = VerdictTime.parse(beacon.firstSeenISO), let last = VerdictTime.parse(beacon.lastSeenISO) else { continue }
            let e = NetworkEvidence(
                kind: .beacon, host: "", address: beacon.source, destination: beacon.destination, indicator: nil, channel: "beacon",
                sensor: sensor, firstSeen: first, lastSeen: last, count: beacon.connections, evidence: LogReference(beacon.evidence).map { [$0] } ?? [])
            place(e, into: &result)
        }
        return result
    }

    /// Evidence already built but not yet tied to a host (the fleet server's stored hits, beacons and
    /// retro-hunt matches), attributed with this address book.
    public func attribute(_ stored: [NetworkEvidence]) -> Result {
        var result = Result()
        for e in stored { place(e, into: &result) }
        return result
    }

    /// Evidence from retro-hunt matches of the contact index.
    public func evidence(from hits: [RetroHit]) -> Result {
        var result = Result()
        for hit in hits { place(unattributed(hit), into: &result) }
        return result
    }

    /// A retro-hunt match as network evidence not yet tied to a host (empty `host`): what the fleet
    /// store keeps, attributing it when verdicts are computed.
    public func unattributed(_ hit: RetroHit) -> NetworkEvidence {
        NetworkEvidence(
            kind: .indicatorContact, host: "", address: hit.row.client, destination: hit.observed, indicator: hit.indicator.value,
            campaigns: campaigns(hit.indicator.provenance), feeds: hit.indicator.feeds, channel: hit.channel, sensor: hit.sensor,
            firstSeen: hit.row.firstSeen, lastSeen: hit.row.lastSeen, count: hit.row.count,
            evidence: [LogReference(file: hit.row.evidenceFile, line: hit.row.evidenceLine)])
    }
}

/// A stored contact that matches an indicator.
public struct RetroHit: Sendable, Hashable {
    public var sensor: String
    public var row: ContactRow
    public var indicator: Indicator
    /// The name or address matched.
    public var observed: String
    /// `contact-index name (dns, http)` or `contact-index address (conn)`.
    public var channel: String

    public init(sensor: String, row: ContactRow, indicator: Indicator, observed: String, channel: String) {
        self.sensor = sensor
        self.row = row
        self.indicator = indicator
        self.observed = observed
        self.channel = channel
    }

    /// A name row matching a domain indicator.
    public static func name(sensor: String, row: ContactRow, indicator: Indicator) -> RetroHit {
        RetroHit(sensor: sensor, row: row, indicator: indicator, observed: row.name ?? "",
                 channel: "contact-index name (\(row.logs.joined(separator: ", ")))")
    }

    /// A server row matching an address or CIDR indicator.
    public static func server(sensor: String, row: ContactRow, indicator: Indicator) -> RetroHit {
        RetroHit(sensor: sensor, row: row, indicator: indicator, observed: row.server ?? "",
                 channel: "contact-index address (\(row.logs.joined(separator: ", ")))")
    }
}

/// Matches stored contact summaries against an indicator set, without reading any log again: so an
/// indicator published after the logs were read still finds the hosts that contacted it.
public enum RetroHunt {
    /// Every name row matching a domain indicator (or a parent domain of it) and every server row
    /// matching an address or CIDR indicator.
    public static func match(_ summaries: [ContactSummary], indicators: IndicatorSet) -> [RetroHit] {
        var hits: [RetroHit] = []
        let hasAddresses = indicators.hasAddressIndicators
        var nameCache: [String: Indicator?] = [:]
        for summary in summaries {
            for row in summary.names {
                guard let name = row.name else { continue }
                let found: Indicator?
                if let cached = nameCache[name] {
                    found = cached
                } else {
                    found = indicators.matchDomain(name)
                    if nameCache.count < 1_000_000 { nameCache[name] = found }
                }
                if let found {
                    hits.append(.name(sensor: summary.sensor, row: row, indicator: found))
                }
            }
            guard hasAddresses else { continue }
            for row in summary.servers {
                guard let server = row.server, let found = indicators.matchIP(server) else { continue }
                hits.append(.server(sensor: summary.sensor, row: row, indicator: found))
            }
        }
        return hits
    }
}
