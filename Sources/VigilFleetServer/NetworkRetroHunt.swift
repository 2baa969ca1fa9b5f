import Foundation
import VigilFleetStore
import VigilHunt
import VigilIndicators
import VigilVerdicts

/// What one retro-hunt of the contact index did.
public struct NetworkRetroHuntReport: Codable, Sendable, Hashable {
    /// Domain indicators looked up (each with its subdomains), and address or CIDR indicators.
    public var domainIndicators: Int
    public var addressIndicators: Int
    /// Contact-index rows that matched: names and server addresses.
    public var nameRows: Int
    public var serverRows: Int
    /// True when a lookup stopped at ``NetworkRetroHunt/maxRows`` rows: the rest were not turned
    /// into evidence (narrow the feed, or prune old contacts).
    public var truncated: Bool
    /// Evidence items recorded, and how many were new.
    public var evidence: Int
    public var newEvidence: Int
    public var milliseconds: Double

    public init(domainIndicators: Int = 0, addressIndicators: Int = 0, nameRows: Int = 0, serverRows: Int = 0, truncated: Bool = false,
                evidence: Int = 0, newEvidence: Int = 0, milliseconds: Double = 0) {
        self.domainIndicators = domainIndicators
        self.addressIndicators = addressIndicators
        self.nameRows = nameRows
        self.serverRows = serverRows
        self.truncated = truncated
        self.evidence = evidence
        self.newEvidence = newEvidence
        self.milliseconds = milliseconds
    }
}

/// Matches domain, address and CIDR indicators against the contact index (who contacted what, per
/// day, as network reports delivered it) and records the matches as network evidence: a C2 domain
/// published after the logs were read still finds the clients that contacted it, without reading
/// any log again.
public enum NetworkRetroHunt {
    /// The most rows one lookup turns into evidence.
    public static let maxRows = 200_000

    /// The indicator kinds the contact index can answer.
    public static func isNetwork(_ kind: IndicatorKind) -> Bool { [.domain, .ipv4, .ipv6, .cidr].contains(kind) }

    public static func run(_ indicators: [Indicator], store: any FleetStore, at now: Date = Date()) async throws -> NetworkRetroHuntReport {
        let clock = ContinuousClock()
        let start = clock.now
        let wanted = indicators.filter { isNetwork($0.kind) }
        var report = NetworkRetroHuntReport()
        guard !wanted.isEmpty else { return report }
        let set = IndicatorSet(wanted)
        let domains = wanted.filter { $0.kind == .domain }.map(\.value)
        let networks = wanted.filter { $0.kind != .domain }.compactMap { IPNetwork($0.value) }
        report.domainIndicators = domains.count
        report.addressIndicators = networks.count
        var hits: [RetroHit] = []
        if !domains.isEmpty {
            let rows = try await store.contactNames(matching: domains, limit: maxRows)
            report.nameRows = rows.count
            report.truncated = report.truncated || rows.count >= maxRows
            for r in rows {
                guard let name = r.row.name, let indicator = set.matchDomain(name) else { continue }
                hits.append(.name(sensor: r.sensor, row: r.row, indicator: indicator))
            }
        }
        if !networks.isEmpty {
            let rows = try await store.contactServers(in: networks, limit: maxRows)
            report.serverRows = rows.count
            report.truncated = report.truncated || rows.count >= maxRows
            for r in rows {
                guard let server = r.row.server, let indicator = set.matchIP(server) else { continue }
                hits.append(.server(sensor: r.sensor, row: r.row, indicator: indicator))
            }
        }
        // Attribution to hosts happens when verdicts are computed, with the address book of that moment.
        let builder = NetworkEvidenceBuilder(addresses: AddressBook())
        let evidence = hits.map(builder.unattributed)
        report.evidence = evidence.count
        if !evidence.isEmpty { report.newEvidence = try await store.recordNetworkEvidence(evidence, at: now) }
        report.milliseconds = RetroHunt.milliseconds(clock.now - start)
        return report
    }
}
