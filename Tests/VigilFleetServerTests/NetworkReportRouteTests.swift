import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilFleetProtocol
import VigilFleetServer
import VigilFleetStore
import VigilHunt
import VigilVerdicts

/// Records what the server announced through its network-evidence hook.
actor HookLog {
    var changes: [NetworkEvidenceChange] = []
    func add(_ c: NetworkEvidenceChange) { changes.append(c) }
}

func contactSummary(names: [ContactRow] = [], servers: [ContactRow] = []) -> ContactSummary {
    var s = ContactSummary(sensor: "zeek-branch", maxRows: 1_000)
    s.names = names
    s.servers = servers
    return s
}

let reportDay = "2026-03-29"
let reportTime = 1_774_780_000.0  // 2026-03-29T10:26:40Z

func networkReport(_ id: String = UUID().uuidString, names: [ContactRow] = [], servers: [ContactRow] = [], leases: [DHCPLease] = []) -> NetworkReport {
    NetworkReport(sensor: "zeek-branch", reportID: id, generatedAt: Date(timeIntervalSince1970: reportTime + 3600),
                  contacts: contactSummary(names: names, servers: servers), leases: leases)
}

func gzipReport(_ r: NetworkReport) throws -> ByteBuffer {
    ByteBuffer(bytes: try gzip(try FleetJSON.encoder().encode(r)))
}

@Suite("Fleet server: network reports and the network retro-hunt, on SQLite and PostgreSQL")
struct NetworkReportRouteTests {
    @Test("an analyst's gzip report is applied once; a resend is a duplicate; the hook runs once", arguments: StoreBackend.allCases)
    func applyAndDuplicate(_ backend: StoreBackend) async throws {
        let log = HookLog()
        let fx = try await FleetFixture(networkEvidenceChanged: { change in await log.add(change); return 2 }, backend: backend)
        defer { Task { await fx.finish() } }
        let lease = DHCPLease(address: "10.1.0.20", mac: "00:11:22:33:44:55", hostName: "pc-20", start: reportTime, end: reportTime + 3600,
                              server: "10.1.0.1", evidenceFile: "dhcp.log", evidenceLine: 9)
        let report = networkReport(
            "hunt-1",
            names: [ContactRow(day: reportDay, client: "10.1.0.20", name: "update.example.com", count: 4, firstSeen: reportTime,
                               lastSeen: reportTime + 60, logs: ["dns"], evidenceFile: "dns.log", evidenceLine: 12)],
            servers: [ContactRow(day: reportDay, client: "10.1.0.20", server: "198.51.100.7", count: 2, firstSeen: reportTime,
                                 lastSeen: reportTime + 5, logs: ["conn"], evidenceFile: "conn.log", evidenceLine: 3)],
            leases: [lease])
        try await fx.withClient { client in
            let first = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.analystToken, gzip: true),
                                                 body: try gzipReport(report))
            #expect(first.status == .ok)
            let ack = try decodeBody(NetworkReportAcknowledgement.self, first)
            #expect(ack == NetworkReportAcknowledgement(reportID: "hunt-1", duplicate: false, contactRows: 2, evidence: 0, leases: 1, verdictChanges: 2))
            // Identity encoding works too; the same report again changes nothing.
            let again = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.adminToken),
                                                 body: ByteBuffer(bytes: try FleetJSON.encoder().encode(report)))
            #expect(again.status == .ok)
            let dup = try decodeBody(NetworkReportAcknowledgement.self, again)
            #expect(dup.duplicate && dup.contactRows == 0 && dup.verdictChanges == 0)
        }
        #expect(await log.changes == [.report(sensor: "zeek-branch", reportID: "hunt-1")])
        #expect(try await fx.store.contactCount() == 2)
        #expect(try await fx.store.dhcpLeases() == [lease])
        #expect(try await fx.store.contactNames(matching: ["example.com"], limit: 10).first?.row.count == 4)
    }

    @Test("viewers get 403, no token 401, a bad report 400 naming the problem, an oversized one 413", arguments: StoreBackend.allCases)
    func refusals(_ backend: StoreBackend) async throws {
        let fx = try await FleetFixture({ $0.limits.maxNetworkReportExpanded = 4_000 }, backend: backend)
        defer { Task { await fx.finish() } }
        let good = networkReport(names: [ContactRow(day: reportDay, client: "10.1.0.20", name: "a.example", count: 1, firstSeen: reportTime,
                                                    lastSeen: reportTime, logs: ["dns"], evidenceFile: "dns.log", evidenceLine: 1)])
        try await fx.withClient { client in
            let viewer = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.viewerToken, gzip: true),
                                                  body: try gzipReport(good))
            #expect(viewer.status == .forbidden)
            let anonymous = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: [:], body: try gzipReport(good))
            #expect(anonymous.status == .unauthorized)

            let cases: [(NetworkReport, String)] = [
                (networkReport(names: [ContactRow(day: "2026-13-01", client: "10.1.0.20", name: "a.example", count: 1, firstSeen: reportTime,
                                                  lastSeen: reportTime, logs: ["dns"], evidenceFile: "dns.log", evidenceLine: 1)]), "is not YYYY-MM-DD"),
                (networkReport(servers: [ContactRow(day: reportDay, client: "10.1.0.20", server: "not-an-ip", count: 1, firstSeen: reportTime,
                                                    lastSeen: reportTime, logs: ["conn"], evidenceFile: "conn.log", evidenceLine: 1)]), "is not an IP address"),
                (networkReport(names: [ContactRow(day: reportDay, client: "10.1.0.20", name: "a.example", count: 1, firstSeen: reportTime,
                                                  lastSeen: reportTime, logs: ["ftp"], evidenceFile: "dns.log", evidenceLine: 1)]), "unknown log type"),
            ]
            for (report, message) in cases {
                let r = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.analystToken, gzip: true),
                                                 body: try gzipReport(report))
                #expect(r.status == .badRequest)
                let error = try decodeBody(APIError.self, r)
                #expect(error.code == "malformed")
                #expect(error.message.contains(message), "\(error.message)")
            }
            let garbage = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.analystToken, gzip: true),
                                                   body: ByteBuffer(string: "not gzip"))
            #expect(garbage.status == .badRequest)
            let big = networkReport(names: (0..<100).map {
                ContactRow(day: reportDay, client: "10.1.0.20", name: "n\($0).example", count: 1, firstSeen: reportTime, lastSeen: reportTime,
                           logs: ["dns"], evidenceFile: "dns.log", evidenceLine: $0 + 1)
            })
            let tooBig = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.analystToken, gzip: true),
                                                  body: try gzipReport(big))
            #expect(tooBig.status == .contentTooLarge)
        }
        #expect(try await fx.store.contactCount() == 0)
    }

    @Test("a domain and a CIDR published after a report was applied become evidence for the right client, without resending the report",
          arguments: StoreBackend.allCases)
    func retroHuntOfContactIndex(_ backend: StoreBackend) async throws {
        let log = HookLog()
        let fx = try await FleetFixture(networkEvidenceChanged: { change in await log.add(change); return 0 }, backend: backend)
        defer { Task { await fx.finish() } }
        let report = networkReport(
            "before-advisory",
            names: [
                ContactRow(day: reportDay, client: "10.1.0.31", name: "cdn.c2-late.test", count: 3, firstSeen: reportTime, lastSeen: reportTime + 900,
                           logs: ["dns", "tls"], evidenceFile: "/logs/dns.log", evidenceLine: 4711),
                ContactRow(day: reportDay, client: "10.1.0.32", name: "notc2-late.test", count: 1, firstSeen: reportTime, lastSeen: reportTime,
                           logs: ["dns"], evidenceFile: "/logs/dns.log", evidenceLine: 4712),
            ],
            servers: [ContactRow(day: reportDay, client: "10.1.0.33", server: "203.0.113.66", count: 7, firstSeen: reportTime, lastSeen: reportTime + 60,
                                 logs: ["conn"], evidenceFile: "/logs/conn.log", evidenceLine: 88)])
        try await fx.withClient { client in
            let r = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.analystToken, gzip: true),
                                             body: try gzipReport(report))
            #expect(r.status == .ok)
            #expect(try await fx.store.networkEvidence(limit: 10).isEmpty)

            let feed = "# advisory published later\nc2-late.test\n203.0.113.64/28\n"
            let posted = try await client.execute(uri: FleetRoutes.feeds + "?name=late&format=plain", method: .post, headers: bearer(fx.analystToken),
                                                  body: ByteBuffer(string: feed))
            #expect(posted.status == .created)
            let result = try decodeBody(FeedImportResponse.self, posted)
            #expect(result.newNetworkIndicators == 2)
            let hunt = try #require(result.networkRetroHunt)
            #expect(hunt.domainIndicators == 1 && hunt.addressIndicators == 1)
            #expect(hunt.nameRows == 1 && hunt.serverRows == 1 && !hunt.truncated)
            #expect(hunt.newEvidence == 2)
        }
        let evidence = try await fx.store.networkEvidence(limit: 10).map(\.evidence)
        #expect(evidence.count == 2)
        let name = try #require(evidence.first { $0.destination == "cdn.c2-late.test" })
        #expect(name.address == "10.1.0.31")
        #expect(name.indicator == "c2-late.test")
        #expect(name.channel == "contact-index name (dns, tls)")
        #expect(name.sensor == "zeek-branch")
        #expect(name.feeds == ["late"] && name.campaigns == ["late"])
        #expect(name.evidence == [LogReference(file: "/logs/dns.log", line: 4711)])
        #expect(name.firstSeen == reportTime && name.lastSeen == reportTime + 900 && name.count == 3)
        let server = try #require(evidence.first { $0.destination == "203.0.113.66" })
        #expect(server.address == "10.1.0.33")
        #expect(server.channel == "contact-index address (conn)")
        #expect(server.evidence == [LogReference(file: "/logs/conn.log", line: 88)])
        #expect(!evidence.contains { $0.address == "10.1.0.32" })
        let changes = await log.changes
        #expect(changes.contains(.retroHunt(feed: "late", newEvidence: 2)))
    }

    /// What a sender copies from logs can be longer, in bytes, than the server takes, or hold a NUL
    /// no database text column accepts; one such field used to cost the whole report. The senders
    /// (`vigil hunt --report-to`, the log follower) fit the report first: control characters
    /// escaped, long values cut at a character boundary, and the report is stored whole.
    @Test("fields over the byte limits are cut at a character boundary by the sender, and the report is stored whole", arguments: StoreBackend.allCases)
    func fittedReportIsStoredWhole(_ backend: StoreBackend) async throws {
        let fx = try await FleetFixture(networkEvidenceChanged: { _ in 0 }, backend: backend)
        defer { Task { await fx.finish() } }
        let logs = try FleetScenario.generate(in: fx.directory)
        var report = try FleetScenario.report(logs)
        try #require(!report.hits.isEmpty && !report.beacons.isEmpty && !report.leases.isEmpty && !report.contacts.names.isEmpty)
        let euros = String(repeating: "\u{20AC}", count: 2_000)  // 6,000 bytes, 2,000 characters
        report.hits[0].observed = "cdn\u{0}" + euros
        report.beacons[0].destination = euros
        report.leases[0].mac = String(repeating: "\u{130}", count: 40)  // 40 characters, 80 bytes
        report.leases[0].hostName = "host-e\u{0}" + String(repeating: "\u{1D11E}", count: 300)
        report.contacts.names[0].evidenceFile = "/" + String(repeating: "\u{E9}", count: 2_100)
        #expect(throws: FleetStoreError.self) { try NetworkReportCheck.validate(report) }

        let (fitted, shortened) = report.fittedToLimits()
        #expect(shortened == 5)
        try NetworkReportCheck.validate(fitted)
        #expect(fitted.hits[0].observed == "cdn\\x00" + String(repeating: "\u{20AC}", count: (ReportFieldLimits.maxPathBytes - 7) / 3))
        #expect(fitted.beacons[0].destination == String(repeating: "\u{20AC}", count: ReportFieldLimits.maxPathBytes / 3))
        #expect(fitted.leases[0].mac == String(repeating: "\u{130}", count: ReportFieldLimits.maxAddressBytes / 2))
        #expect(fitted.leases[0].hostName == "host-e\\x00" + String(repeating: "\u{1D11E}", count: (ReportFieldLimits.maxNameBytes - 10) / 4))
        #expect(fitted.contacts.names[0].evidenceFile.utf8.count == ReportFieldLimits.maxPathBytes - 1)
        // Fields within the limits are untouched, and fitting twice changes nothing.
        #expect(fitted.contacts.names.dropFirst().map(\.evidenceFile) == report.contacts.names.dropFirst().map(\.evidenceFile))
        #expect(fitted.fittedToLimits().shortened == 0)

        let unfitted = report
        try await fx.withClient { client in
            let refused = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.analystToken, gzip: true),
                                                   body: try gzipReport(unfitted))
            #expect(refused.status == .badRequest)
            let r = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: bearer(fx.analystToken, gzip: true),
                                             body: try gzipReport(fitted))
            #expect(r.status == .ok)
            let ack = try decodeBody(NetworkReportAcknowledgement.self, r)
            #expect(!ack.duplicate && ack.leases == fitted.leases.count && ack.contactRows == fitted.contacts.names.count + fitted.contacts.servers.count)
        }
        // The multi-byte values come back from the store byte for byte.
        let leases = try await fx.store.dhcpLeases()
        #expect(leases.contains(fitted.leases[0]))
        #expect(Set(leases) == Set(fitted.leases))
        let evidence = try await fx.store.networkEvidence(limit: 100).map(\.evidence)
        #expect(evidence.contains { $0.destination == fitted.hits[0].observed })
        #expect(evidence.contains { $0.destination == fitted.beacons[0].destination && $0.kind == .beacon })
        let rows = try await fx.store.contactNames(matching: [try #require(fitted.contacts.names[0].name)], limit: 10)
        #expect(rows.contains { $0.row.evidenceFile == fitted.contacts.names[0].evidenceFile })
    }
}
