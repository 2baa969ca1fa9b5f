import Foundation
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilHunt
import VigilVerdicts

// CONTRACT PLACEHOLDER: the network-evidence and verdict methods are being implemented on the
// `netstore` branch; until then they refuse.
extension SQLiteFleetStore {
    private func pending(_ what: String) -> FleetStoreError { .invalidInput("\(what) is not implemented yet") }
    public func applyNetworkReport(_ report: NetworkReport, receivedAt: Date) async throws -> NetworkReportOutcome { throw pending("applyNetworkReport") }
    public func contactNames(matching domains: [String], limit: Int) async throws -> [SensorContact] { throw pending("contactNames") }
    public func contactServers(in networks: [IPNetwork], limit: Int) async throws -> [SensorContact] { throw pending("contactServers") }
    public func coverageRows(clients: [String]?) async throws -> [CoverageRow] { throw pending("coverageRows") }
    public func contactCount() async throws -> Int { throw pending("contactCount") }
    public func pruneContacts(before day: String) async throws -> Int { throw pending("pruneContacts") }
    public func recordNetworkEvidence(_ evidence: [NetworkEvidence], at: Date) async throws -> Int { throw pending("recordNetworkEvidence") }
    public func networkEvidence(limit: Int) async throws -> [StoredNetworkEvidence] { throw pending("networkEvidence") }
    public func dhcpLeases() async throws -> [DHCPLease] { throw pending("dhcpLeases") }
    public func logCursor(source: String, fileIdentity: String) async throws -> LogCursor? { throw pending("logCursor") }
    public func logCursors(source: String) async throws -> [LogCursor] { throw pending("logCursors") }
    public func saveVerdicts(_ verdicts: [(hostID: Int64, verdict: HostVerdict)], at: Date) async throws -> [VerdictChange] { throw pending("saveVerdicts") }
    public func verdicts(state: VerdictState?, limit: Int, offset: Int) async throws -> [HostVerdictRecord] { throw pending("verdicts") }
    public func verdict(hostID: Int64) async throws -> HostVerdictRecord? { throw pending("verdict") }
    public func verdictChanges(hostID: Int64?, since: Date?, limit: Int) async throws -> [VerdictChange] { throw pending("verdictChanges") }
}
