import Foundation
import Hummingbird
import Logging
import VigilFleetProtocol
import VigilFleetStore

/// What changed the server's network evidence.
public enum NetworkEvidenceChange: Sendable, Hashable {
    /// A network report was applied (`POST /api/v1/network-reports`, or the log follower).
    case report(sensor: String, reportID: String)
    /// A feed's new domain or address indicators matched stored contacts (retro-hunt of the contact index).
    case retroHunt(feed: String, newEvidence: Int)

    /// The default hook: nothing to recompute.
    public static let ignore: NetworkEvidenceChanged = { _ in 0 }
}

/// The one place where "network evidence changed, recompute verdicts" is announced. The server calls
/// it after the change is committed; it returns how many hosts' verdicts changed (reported back to
/// the sender). An error is logged and does not undo the change: the evidence is stored, and the
/// next change recomputes again.
public typealias NetworkEvidenceChanged = @Sendable (NetworkEvidenceChange) async throws -> Int

extension FleetServer {
    /// `POST /api/v1/network-reports`: a gzip JSON ``NetworkReport``, checked against
    /// ``NetworkReportLimits`` (400 naming the first offending item), applied in one transaction.
    func receiveNetworkReport(_ request: Request, user: UserRecord) async throws -> Response {
        let expanded = try await expandedBody(
            request, cap: limits.maxNetworkReportBody, expandedCap: limits.maxNetworkReportExpanded, what: "the network report")
        let report = try decode(NetworkReport.self, from: expanded, what: "the network report")
        let ack = try await applyNetworkReport(report)
        return try json(ack)
    }

    /// Checks and applies a network report, then announces the change (when it was not a duplicate).
    /// The code path of the route, usable by in-process senders (the log follower).
    public func applyNetworkReport(_ report: NetworkReport, at now: Date = Date()) async throws -> NetworkReportAcknowledgement {
        do {
            try NetworkReportCheck.validate(report)
        } catch FleetStoreError.invalidInput(let why) {
            throw FleetHTTPError.malformed("network report refused: \(why)")
        }
        let outcome = try await store.applyNetworkReport(report, receivedAt: now)
        var changes = 0
        if !outcome.duplicate {
            changes = await announce(.report(sensor: report.sensor, reportID: report.reportID))
        }
        return NetworkReportAcknowledgement(
            reportID: report.reportID, duplicate: outcome.duplicate, contactRows: outcome.contactRows, evidence: outcome.evidence,
            leases: outcome.leases, verdictChanges: changes)
    }

    /// Runs the ``networkEvidenceChanged`` hook; a failure is logged, not thrown.
    func announce(_ change: NetworkEvidenceChange) async -> Int {
        do {
            return try await networkEvidenceChanged(change)
        } catch {
            FleetServer.logger.error("recomputing verdicts after \(change) failed: \(error)")
            return 0
        }
    }

    static let logger = Logger(label: "vigil.fleet.server")
}
