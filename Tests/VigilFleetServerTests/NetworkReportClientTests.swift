import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import VigilFleetClient
import VigilFleetProtocol
import VigilFleetServer
import VigilGzip
import VigilHunt

/// A stand-in server that answers 503 (with `Retry-After: 0`) a given number of times, then
/// acknowledges; it records the report ids it saw.
final class FlakyReportServer: Sendable {
    let failures: Int
    let status: HTTPResponse.Status
    let seen = Mutex<[String]>([])

    init(failures: Int, status: HTTPResponse.Status = .serviceUnavailable) {
        self.failures = failures
        self.status = status
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post(RouterPath(FleetRoutes.networkReports)) { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let json = try GzipDecoder.gunzip(Array(body.readableBytesView), maxOutput: 1 << 24)
            let report = try FleetJSON.decoder().decode(NetworkReport.self, from: Data(json))
            let attempt = self.seen.withLock { $0.append(report.reportID); return $0.count }
            if attempt <= self.failures {
                let error = try FleetJSON.encoder().encode(APIError(code: "unavailable", message: "database down"))
                return Response(status: self.status, headers: [.retryAfter: "0", .contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: error)))
            }
            let ack = NetworkReportAcknowledgement(reportID: report.reportID, duplicate: attempt > 1, contactRows: report.contacts.names.count,
                                                   evidence: 0, leases: 0, verdictChanges: 0)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try FleetJSON.encoder().encode(ack))))
        }
        return router
    }
}

@Suite("Fleet client: network reports")
struct NetworkReportClientTests {
    func report() -> NetworkReport {
        networkReport("client-\(UUID().uuidString)", names: [
            ContactRow(day: reportDay, client: "10.1.0.20", name: "a.example", count: 1, firstSeen: reportTime, lastSeen: reportTime, logs: ["dns"],
                       evidenceFile: "dns.log", evidenceLine: 1),
        ])
    }

    @Test("503 is retried with the same report id until the server acknowledges")
    func retriesOn503() async throws {
        let server = FlakyReportServer(failures: 2)
        let r = report()
        let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let fleet = try FleetClient(endpoint: FleetServerEndpoint(baseURL: "http://127.0.0.1:\(client.port!)"), token: "vigil_ut_test")
            let ack = try await fleet.sendNetworkReport(r, attempts: 5, initialDelay: .milliseconds(10))
            await fleet.shutdown()
            #expect(ack.reportID == r.reportID)
            #expect(ack.contactRows == 1)
        }
        #expect(server.seen.withLock { $0 } == [r.reportID, r.reportID, r.reportID])
    }

    @Test("a refusal (400) is not retried, and retries stop after the given attempts")
    func refusalsAndGivingUp() async throws {
        let refusing = FlakyReportServer(failures: 10, status: .badRequest)
        let app = Application(router: refusing.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let fleet = try FleetClient(endpoint: FleetServerEndpoint(baseURL: "http://127.0.0.1:\(client.port!)"), token: "vigil_ut_test")
            await #expect(throws: FleetClientError.self) { _ = try await fleet.sendNetworkReport(report(), attempts: 5, initialDelay: .milliseconds(10)) }
            await fleet.shutdown()
        }
        #expect(refusing.seen.withLock { $0.count } == 1)
        let down = FlakyReportServer(failures: 10)
        let app2 = Application(router: down.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app2.test(.live) { client in
            let fleet = try FleetClient(endpoint: FleetServerEndpoint(baseURL: "http://127.0.0.1:\(client.port!)"), token: "vigil_ut_test")
            do {
                _ = try await fleet.sendNetworkReport(report(), attempts: 3, initialDelay: .milliseconds(10))
                Issue.record("a server that keeps answering 503 was reported as success")
            } catch let error as FleetClientError {
                #expect(error.status == 503)
                #expect(error.isRetryable)
            }
            await fleet.shutdown()
        }
        #expect(down.seen.withLock { $0.count } == 3)
    }
}
