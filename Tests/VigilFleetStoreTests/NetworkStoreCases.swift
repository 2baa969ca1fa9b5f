import Foundation
import Testing
import VigilCore
import VigilFleetPostgres
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetStore
import VigilHunt
import VigilVerdicts

// Network evidence, the contact index and verdicts: cases of the conformance suite, run on both
// back ends.

func nameRow(_ day: String, _ client: String, _ name: String, count: Int = 1, first: Double, last: Double? = nil,
             logs: [String] = ["dns"], file: String = "dns.log", line: Int = 1) -> ContactRow {
    ContactRow(day: day, client: client, name: name, count: count, firstSeen: first, lastSeen: last ?? first, logs: logs,
               evidenceFile: file, evidenceLine: line)
}

func serverRow(_ day: String, _ client: String, _ server: String, count: Int = 1, first: Double, last: Double? = nil,
               logs: [String] = ["conn"], file: String = "conn.log", line: Int = 1) -> ContactRow {
    ContactRow(day: day, client: client, server: server, count: count, firstSeen: first, lastSeen: last ?? first, logs: logs,
               evidenceFile: file, evidenceLine: line)
}

func report(_ id: String, sensor: String = "zeek-1", names: [ContactRow] = [], servers: [ContactRow] = [], hits: [IndicatorHit] = [],
            beacons: [BeaconResult] = [], leases: [DHCPLease] = [], cursor: LogCursor? = nil) -> NetworkReport {
    var summary = ContactSummary(sensor: sensor, maxRows: 1_000_000)
    summary.names = names
    summary.servers = servers
    return NetworkReport(sensor: sensor, reportID: id, generatedAt: t0, contacts: summary, hits: hits, beacons: beacons, leases: leases,
                         cursor: cursor)
}

/// 2026-05-28 (t0's day) at `seconds` past t0.
let day0 = "2026-05-28"
func ts(_ seconds: Double) -> Double { t0.timeIntervalSince1970 + seconds }

func hit(client: String, observed: String, indicator: String, first: Double, last: Double, count: Int, evidence: [String]) -> IndicatorHit {
    let json = """
        {"indicator":"\(indicator)","kind":"domain","rule":"subdomain of \(indicator)","observed":"\(observed)","channel":"dns-query",
         "host":"\(client)","firstSeen":\(first),"lastSeen":\(last),"firstSeenISO":"x","lastSeenISO":"y","count":\(count),
         "evidence":[\(evidence.map { "\"\($0)\"" }.joined(separator: ","))],"feeds":["test-feed"],
         "provenance":[{"feed":"test-feed","tags":["campaign:3cx"]}]}
        """
    return try! JSONDecoder().decode(IndicatorHit.self, from: Data(json.utf8))
}

func verdict(_ host: String, _ state: VerdictState, reasons: [String]) -> HostVerdict {
    let json = """
        {"host":"\(host)","state":"\(state.rawValue)","reasons":[\(reasons.map { "{\"code\":\"\($0)\",\"text\":\"t\",\"evidence\":[]}" }.joined(separator: ","))],
         "evidence":[],"coverage":[],"missingCoverage":[],"asOf":1780000000}
        """
    return try! JSONDecoder().decode(HostVerdict.self, from: Data(json.utf8))
}

extension Cases {
    static func contactMerge(_ store: any FleetStore) async throws {
        let first = report("r1", names: [
            nameRow(day0, "10.0.0.5", "a.evil.com", count: 3, first: ts(100), last: ts(200), logs: ["dns"], file: "dns.log", line: 7),
            nameRow(day0, "10.0.0.6", "www.example.org", count: 1, first: ts(50), file: "dns.log", line: 2),
        ], servers: [serverRow(day0, "10.0.0.5", "203.0.113.9", count: 2, first: ts(10), last: ts(20), file: "conn.log", line: 4)])
        let o1 = try await store.applyNetworkReport(first, receivedAt: at(1))
        #expect(o1 == NetworkReportOutcome(duplicate: false, contactRows: 3, evidence: 0, leases: 0))
        // Same (sensor, day, client, name) again: an earlier record (new evidence), a later one, another log type.
        let second = report("r2", names: [
            nameRow(day0, "10.0.0.5", "a.evil.com", count: 4, first: ts(40), last: ts(150), logs: ["http"], file: "http.log", line: 11),
            nameRow(day0, "10.0.0.5", "a.evil.com", count: 1, first: ts(300), logs: ["tls"], file: "ssl.log", line: 3),
        ], servers: [serverRow(day0, "10.0.0.5", "203.0.113.9", count: 5, first: ts(15), last: ts(90), file: "conn.log", line: 9)])
        let o2 = try await store.applyNetworkReport(second, receivedAt: at(2))
        #expect(o2.contactRows == 2)  // the two name rows of the report are one row
        #expect(try await store.contactCount() == 3)
        let names = try await store.contactNames(matching: ["evil.com"], limit: 100)
        #expect(names.count == 1)
        let row = try #require(names.first?.row)
        #expect(names.first?.sensor == "zeek-1")
        #expect(row.name == "a.evil.com")
        #expect(row.client == "10.0.0.5")
        #expect(row.day == day0)
        #expect(row.count == 3 + 4 + 1)
        #expect(row.firstSeen == ts(40))
        #expect(row.lastSeen == ts(300))
        #expect(row.logs == ["dns", "http", "tls"])
        #expect(row.evidenceFile == "http.log" && row.evidenceLine == 11)
        let servers = try await store.contactServers(in: [IPNetwork("203.0.113.0/24")!], limit: 100)
        #expect(servers.count == 1)
        #expect(servers.first?.row.server == "203.0.113.9")
        #expect(servers.first?.row.count == 7)
        #expect(servers.first?.row.firstSeen == ts(10) && servers.first?.row.lastSeen == ts(90))
        #expect(servers.first?.row.evidenceLine == 4)  // the stored row had the earlier record
        // Another sensor is another row.
        _ = try await store.applyNetworkReport(report("r1", sensor: "zeek-2", names: [nameRow(day0, "10.0.0.5", "a.evil.com", first: ts(1))]),
                                               receivedAt: at(3))
        #expect(try await store.contactNames(matching: ["evil.com"], limit: 100).map(\.sensor).sorted() == ["zeek-1", "zeek-2"])
        // Coverage: per sensor, client and day, with distinct contact rows counted once.
        let coverage = try await store.coverageRows(clients: ["10.0.0.5"])
        #expect(coverage.count == 2)
        let z1 = try #require(coverage.first { $0.sensor == "zeek-1" })
        #expect(z1.rows == 2)  // a.evil.com and 203.0.113.9
        #expect(z1.firstSeen == ts(10) && z1.lastSeen == ts(300))
        #expect(z1.evidenceFile == "conn.log" && z1.evidenceLine == 4)
        #expect(try await store.coverageRows(clients: nil).count == 3)
        #expect(try await store.coverageRows(clients: ["192.0.2.1"]).isEmpty)
    }

    static func networkReportIdempotent(_ store: any FleetStore) async throws {
        let lease = DHCPLease(address: "10.0.0.7", mac: "aa:bb:cc:dd:ee:ff", hostName: "pc7", start: ts(0), end: ts(3600), server: "10.0.0.1",
                              evidenceFile: "dhcp.log", evidenceLine: 5)
        let h = hit(client: "10.0.0.5", observed: "a.evil.com", indicator: "evil.com", first: ts(100), last: ts(200), count: 3,
                    evidence: ["dns.log:7", "dns.log:9"])
        let cursor = LogCursor(source: "/logs", fileIdentity: "dev1:ino5:abc", path: "/logs/dns.log", offset: 4096, lines: 40, finished: false)
        let r = report("same", names: [nameRow(day0, "10.0.0.5", "a.evil.com", count: 3, first: ts(100), last: ts(200))],
                       hits: [h], leases: [lease], cursor: cursor)
        let o1 = try await store.applyNetworkReport(r, receivedAt: at(1))
        #expect(o1 == NetworkReportOutcome(duplicate: false, contactRows: 1, evidence: 1, leases: 1))
        var again = r
        again.cursor?.offset = 999_999  // a resent report must not move the cursor either
        let o2 = try await store.applyNetworkReport(again, receivedAt: at(2))
        #expect(o2 == NetworkReportOutcome(duplicate: true, contactRows: 0, evidence: 0, leases: 0))
        #expect(try await store.contactNames(matching: ["evil.com"], limit: 10).first?.row.count == 3)
        #expect(try await store.logCursor(source: "/logs", fileIdentity: "dev1:ino5:abc") == cursor)
        #expect(try await store.dhcpLeases() == [lease])
        let evidence = try await store.networkEvidence(limit: 10)
        #expect(evidence.count == 1)
        let e = try #require(evidence.first?.evidence)
        #expect(e.kind == .indicatorContact && e.host == "" && e.address == "10.0.0.5" && e.destination == "a.evil.com")
        #expect(e.indicator == "evil.com" && e.campaigns == ["3cx"] && e.feeds == ["test-feed"] && e.sensor == "zeek-1")
        #expect(e.evidence.map(\.description) == ["dns.log:7", "dns.log:9"])
        // The same lease in a later report (another hunt run over the same dhcp.log) is stored once.
        let o3 = try await store.applyNetworkReport(report("other", leases: [lease]), receivedAt: at(3))
        #expect(o3.leases == 0 && !o3.duplicate)
        #expect(try await store.dhcpLeases().count == 1)
    }

    static func contactNameSuffix(_ store: any FleetStore) async throws {
        let names = ["evil.com", "a.evil.com", "b.a.evil.com", "notevil.com", "evil.com.example", "evil-x.com", "evil.co", "com", "x.evil-x.com"]
        _ = try await store.applyNetworkReport(
            report("n", names: names.enumerated().map { nameRow(day0, "10.0.0.\($0.offset + 1)", $0.element, first: ts(Double($0.offset))) }),
            receivedAt: at(1))
        let found = try await store.contactNames(matching: ["evil.com"], limit: 100).compactMap(\.row.name).sorted()
        #expect(found == ["a.evil.com", "b.a.evil.com", "evil.com"])
        // Normalised input, overlapping domains give each row once.
        let overlap = try await store.contactNames(matching: ["EVIL.com.", "a.evil.com", "evil-x.com"], limit: 100).compactMap(\.row.name).sorted()
        #expect(overlap == ["a.evil.com", "b.a.evil.com", "evil-x.com", "evil.com", "x.evil-x.com"])
        #expect(try await store.contactNames(matching: ["b.a.evil.com"], limit: 100).compactMap(\.row.name) == ["b.a.evil.com"])
        #expect(try await store.contactNames(matching: ["vil.com", "", "."], limit: 100).isEmpty)
        #expect(try await store.contactNames(matching: ["evil.com"], limit: 2).count == 2)
        #expect(try await store.contactNames(matching: [], limit: 100).isEmpty)
        // Many wanted domains (more than one lookup chunk), one present.
        let many = (0..<1_200).map { "c2-\($0).example.net" } + ["evil.co"]
        #expect(try await store.contactNames(matching: many, limit: 100).compactMap(\.row.name) == ["evil.co"])
    }

    static func contactServerRanges(_ store: any FleetStore) async throws {
        let servers = ["198.51.100.0", "198.51.100.255", "198.51.101.0", "198.51.99.255", "10.1.2.3", "2001:db8::1", "2001:db8:0:ffff::9",
                       "2001:db9::1", "::ffff:192.0.2.7", "0.0.0.0", "255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
        _ = try await store.applyNetworkReport(
            report("s", servers: servers.enumerated().map { serverRow(day0, "10.0.0.\($0.offset + 1)", $0.element, first: ts(Double($0.offset))) }),
            receivedAt: at(1))
        func find(_ nets: [String], limit: Int = 100) async throws -> [String] {
            try await store.contactServers(in: nets.map { IPNetwork($0)! }, limit: limit).compactMap(\.row.server).sorted()
        }
        #expect(try await find(["198.51.100.0/24"]) == ["198.51.100.0", "198.51.100.255"])
        #expect(try await find(["198.51.100.0/23"]) == ["198.51.100.0", "198.51.100.255", "198.51.101.0"])
        #expect(try await find(["10.1.2.3"]) == ["10.1.2.3"])
        #expect(try await find(["2001:db8::/32"]) == ["2001:db8:0:ffff::9", "2001:db8::1"])
        #expect(try await find(["2001:db8::1/128"]) == ["2001:db8::1"])
        // The IPv4-mapped IPv6 form of an address is the address.
        #expect(try await find(["192.0.2.0/24"]) == ["192.0.2.7"])
        #expect(try await find(["0.0.0.0/0"]).count == 8)
        #expect(try await find(["::/0"]).count == servers.count)
        #expect(try await find(["ffff::/16"]) == ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"])
        #expect(try await find(["198.51.100.0/24", "198.51.100.0/25"]).count == 2)
        #expect(try await find(["::/0"], limit: 3).count == 3)
        #expect(try await find(["203.0.113.0/24"]).isEmpty)
    }

    static func contactPruning(_ store: any FleetStore) async throws {
        let days = ["2026-05-26", "2026-05-27", "2026-05-28"]
        for (i, day) in days.enumerated() {
            _ = try await store.applyNetworkReport(
                report("d\(i)", names: [nameRow(day, "10.0.0.1", "evil.com", first: ts(Double(i) * 86_400 - 2 * 86_400))],
                       servers: [serverRow(day, "10.0.0.1", "192.0.2.1", first: ts(Double(i) * 86_400 - 2 * 86_400))]),
                receivedAt: at(i))
        }
        #expect(try await store.contactCount() == 6)
        #expect(try await store.pruneContacts(before: "2026-05-28") == 4)
        #expect(try await store.contactCount() == 2)
        #expect(try await store.contactNames(matching: ["evil.com"], limit: 10).map(\.row.day) == ["2026-05-28"])
        #expect(try await store.coverageRows(clients: nil).map(\.day) == ["2026-05-28"])
        #expect(try await store.pruneContacts(before: "2026-05-28") == 0)
        await #expect(throws: FleetStoreError.self) { _ = try await store.pruneContacts(before: "28.05.2026") }
    }

    static func logCursors(_ store: any FleetStore) async throws {
        #expect(try await store.logCursor(source: "/logs", fileIdentity: "f1") == nil)
        var c1 = LogCursor(source: "/logs", fileIdentity: "f1", path: "/logs/conn.log", offset: 100, lines: 2, finished: false)
        let c2 = LogCursor(source: "/logs", fileIdentity: "f2", path: "/logs/dns.log", offset: 50, lines: 1, finished: false)
        let other = LogCursor(source: "/other", fileIdentity: "f1", path: "/other/conn.log", offset: 7, lines: 1, finished: true)
        _ = try await store.applyNetworkReport(report("c1", cursor: c1), receivedAt: at(1))
        _ = try await store.applyNetworkReport(report("c2", cursor: c2), receivedAt: at(2))
        _ = try await store.applyNetworkReport(report("c3", cursor: other), receivedAt: at(3))
        c1.offset = 900
        c1.lines = 12
        c1.finished = true
        c1.path = "/logs/conn.log.1"
        _ = try await store.applyNetworkReport(report("c4", cursor: c1), receivedAt: at(4))
        #expect(try await store.logCursor(source: "/logs", fileIdentity: "f1") == c1)
        #expect(try await store.logCursors(source: "/logs") == [c1, c2])
        #expect(try await store.logCursors(source: "/other") == [other])
        #expect(try await store.logCursors(source: "/none").isEmpty)
    }

    static func networkEvidenceMerge(_ store: any FleetStore) async throws {
        let e = NetworkEvidence(kind: .indicatorContact, host: "ignored", address: "10.0.0.5", destination: "a.evil.com", indicator: "evil.com",
                                campaigns: ["3cx"], feeds: ["f"], channel: "contact-index name (dns)", sensor: "zeek-1", firstSeen: ts(10),
                                lastSeen: ts(20), count: 2, evidence: [LogReference(file: "dns.log", line: 3)])
        #expect(try await store.recordNetworkEvidence([e], at: at(1)) == 1)
        var wider = e
        wider.lastSeen = ts(99)
        wider.count = 9
        #expect(try await store.recordNetworkEvidence([wider, e], at: at(2)) == 0)
        var other = e
        other.firstSeen = ts(5)
        var beacon = e
        beacon.kind = .beacon
        beacon.indicator = nil
        beacon.channel = "beacon"
        #expect(try await store.recordNetworkEvidence([other, beacon], at: at(3)) == 2)
        let stored = try await store.networkEvidence(limit: 10)
        #expect(stored.count == 3)
        #expect(stored.map(\.evidence.firstSeen) == [ts(5), ts(10), ts(10)])
        let merged = try #require(stored.first { $0.evidence.kind == .indicatorContact && $0.evidence.firstSeen == ts(10) })
        #expect(merged.evidence.lastSeen == ts(99) && merged.evidence.count == 9)
        #expect(merged.evidence.host == "")  // unattributed: the host is decided when verdicts are computed
        #expect(merged.evidence.evidence == [LogReference(file: "dns.log", line: 3)])
        #expect(try await store.networkEvidence(limit: 1).count == 1)
        // Ties on first seen come back in identity order on both back ends, whatever order they were
        // recorded in (the verdict pass lists a host's evidence in this order).
        var x = e, y = e
        x.firstSeen = ts(50)
        x.destination = "x.evil.com"
        y.firstSeen = ts(50)
        y.destination = "y.evil.com"
        let ordered = try PreparedEvidence(x).identity.lexicographicallyPrecedes(try PreparedEvidence(y).identity) ? [x, y] : [y, x]
        #expect(try await store.recordNetworkEvidence(ordered.reversed(), at: at(4)) == 2)
        let tie = try await store.networkEvidence(limit: 10).filter { $0.evidence.firstSeen == ts(50) }.map(\.evidence.destination)
        #expect(tie == ordered.map(\.destination))
    }

    static func hostileNetworkReport(_ store: any FleetStore) async throws {
        let bad: [(String, NetworkReport)] = [
            ("empty sensor", report("x", sensor: "")),
            ("empty report id", report("")),
            ("bad day", report("x", names: [nameRow("2026-02-30", "10.0.0.1", "a.com", first: 1)])),
            ("upper-case name", report("x", names: [nameRow(day0, "10.0.0.1", "A.com", first: 1)])),
            ("long name", report("x", names: [nameRow(day0, "10.0.0.1", String(repeating: "a", count: 2_000), first: 1)])),
            ("NUL in client", report("x", names: [nameRow(day0, "10.0.0.1\u{0}", "a.com", first: 1)])),
            ("unknown log", report("x", names: [nameRow(day0, "10.0.0.1", "a.com", first: 1, logs: ["smtp"])])),
            ("zero count", report("x", names: [nameRow(day0, "10.0.0.1", "a.com", count: 0, first: 1)])),
            ("server not an address", report("x", servers: [serverRow(day0, "10.0.0.1", "evil.com", first: 1)])),
            ("infinite time", report("x", servers: [serverRow(day0, "10.0.0.1", "192.0.2.1", first: .infinity)])),
        ]
        for (label, r) in bad {
            await #expect(throws: FleetStoreError.self, "\(label)") { _ = try await store.applyNetworkReport(r, receivedAt: at(1)) }
        }
        #expect(try await store.contactCount() == 0)
        // A refused report is not remembered as applied: fixed, it goes in under the same id.
        let fixed = report("x", names: [nameRow(day0, "10.0.0.1", "a.com", first: 1)])
        #expect(try await store.applyNetworkReport(fixed, receivedAt: at(2)).duplicate == false)
        // Hostile but valid text is stored and read back unchanged (parameterised SQL).
        let quote = "x'; drop table contact_name; --.com"
        _ = try await store.applyNetworkReport(report("q", names: [nameRow(day0, "10.0.0.1", quote, first: 2)]), receivedAt: at(3))
        #expect(try await store.contactNames(matching: ["com"], limit: 10).compactMap(\.row.name).sorted() == ["a.com", quote])
    }

    static func verdictHistory(_ store: any FleetStore) async throws {
        let a = try await enroll(store, "alpha"), b = try await enroll(store, "bravo")
        #expect(try await store.verdict(hostID: a.id) == nil)
        let c1 = try await store.saveVerdicts([(a.id, verdict("alpha", .unknownActivity, reasons: ["compromised-file", "coverage-missing"])),
                                               (b.id, verdict("bravo", .clean, reasons: ["nothing-found"]))], at: at(10))
        #expect(c1.count == 2)
        #expect(c1.contains(VerdictChange(hostID: a.id, hostname: "alpha", from: nil, to: .unknownActivity, at: at(10),
                                          reasons: ["compromised-file", "coverage-missing"])))
        // Same state again: no change, `since` kept, body and computed time replaced.
        let same = verdict("alpha", .unknownActivity, reasons: ["compromised-file", "coverage-missing", "minor-file-finding"])
        #expect(try await store.saveVerdicts([(a.id, same)], at: at(20)).isEmpty)
        let stored = try #require(try await store.verdict(hostID: a.id))
        #expect(stored.since == at(10) && stored.computedAt == at(20) && stored.verdict == same && stored.hostname == "alpha")
        // A change.
        let c3 = try await store.saveVerdicts([(a.id, verdict("alpha", .active, reasons: ["compromised-file", "c2-contact-after-file"]))], at: at(30))
        #expect(c3 == [VerdictChange(hostID: a.id, hostname: "alpha", from: .unknownActivity, to: .active, at: at(30),
                                     reasons: ["compromised-file", "c2-contact-after-file"])])
        #expect(try await store.verdict(hostID: a.id)?.since == at(30))
        #expect(try await store.verdicts(state: nil, limit: 10, offset: 0).map(\.hostname) == ["alpha", "bravo"])
        #expect(try await store.verdicts(state: .active, limit: 10, offset: 0).map(\.hostID) == [a.id])
        #expect(try await store.verdicts(state: .dormant, limit: 10, offset: 0).isEmpty)
        #expect(try await store.verdicts(state: nil, limit: 1, offset: 1).map(\.hostname) == ["bravo"])
        let history = try await store.verdictChanges(hostID: a.id, since: nil, limit: 10)
        #expect(history.map(\.to) == [.unknownActivity, .active])
        #expect(history.map(\.from) == [nil, .unknownActivity])
        #expect(try await store.verdictChanges(hostID: nil, since: at(15), limit: 10).map(\.hostID) == [a.id])
        #expect(try await store.verdictChanges(hostID: nil, since: nil, limit: 10).count == 3)
        await #expect(throws: FleetStoreError.self) { _ = try await store.saveVerdicts([(999_999, verdict("x", .clean, reasons: []))], at: at(40)) }
    }
}
