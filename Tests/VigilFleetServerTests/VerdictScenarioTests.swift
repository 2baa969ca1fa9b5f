import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import VigilCore
import VigilDefaults
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetServer
import VigilFleetStore
import VigilHunt
import VigilIndicators
import VigilNotify
import VigilVerdicts
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback receivers for the notifiers: an HTTP endpoint that answers 204 and keeps each body, and a
/// UDP socket that keeps each datagram. Each runs on its own thread with blocking POSIX calls.
final class LoopbackCollector: Sendable {
    let port: UInt16
    private let fd: Int32
    private let received = Mutex<[[UInt8]]>([])
    private let stop = Atomic<Bool>(false)

    init(udp: Bool) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else { throw CocoaError(.fileWriteUnknown) }
        if !udp { listen(fd, 16) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in
            if udp { self.receiveDatagrams() } else { self.serveHTTP() }
            close(self.fd)
        }
        thread.start()
    }

    /// Ends the receiving thread (it closes the socket).
    func shutdown() { stop.store(true, ordering: .relaxed) }

    var messages: [[UInt8]] { received.withLock { $0 } }

    func waitFor(_ count: Int, seconds: Double = 10) async -> [[UInt8]] {
        let deadline = Date().addingTimeInterval(seconds)
        while messages.count < count, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return messages
    }

    private static func readable(_ fd: Int32, _ ms: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, ms) == 1
    }

    private func receiveDatagrams() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !stop.load(ordering: .relaxed) {
            guard Self.readable(fd, 100) else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received.withLock { $0.append(Array(buffer.prefix(n))) } }
        }
    }

    private func serveHTTP() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !stop.load(ordering: .relaxed) {
            guard Self.readable(fd, 100) else { continue }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            var pending: [UInt8] = []
            while Self.readable(c, 2000) {
                let n = recv(c, &buffer, buffer.count, 0)
                if n <= 0 { break }
                pending += buffer.prefix(n)
                // Every complete request (head + Content-Length body) gets a 204.
                while let end = Self.headEnd(pending) {
                    let head = String(decoding: pending[..<end], as: UTF8.self).lowercased()
                    let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                    guard pending.count >= end + 4 + length else { break }
                    let body = Array(pending[(end + 4)..<(end + 4 + length)])
                    received.withLock { $0.append(body) }
                    pending.removeFirst(end + 4 + length)
                    let reply = Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)
                    _ = reply.withUnsafeBytes { send(c, $0.baseAddress!, $0.count, 0) }
                }
            }
            close(c)
        }
    }

    private static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}

/// One generated day of Zeek logs and the fleet's hosts, pushed through the real SQLite store and the
/// server's verdict service:
///
/// - host-a.corp (10.1.0.10, agent) has the 3CX files from 02:00 and beacons over HTTP to a 3CX C2
///   domain from 03:00 → active;
/// - host-b.corp has the files from 06:00; 10.1.0.21 (agent) in the morning, 10.1.0.50 by DHCP from
///   noon; no C2 → dormant;
/// - host-e.corp held 10.1.0.50 by DHCP until noon and resolved a 3CX C2 name at 10:00 → contact-only
///   (the contact must not land on host-b, which holds the address later);
/// - host-c.corp (10.1.0.30, mapping file) resolves a name no feed knows yet → clean;
/// - host-d.corp (10.2.0.40) has the files and no sensor sees it → unknown-activity;
/// - host-f.corp has no bad file but 3CX Desktop App 18.12.416 for Windows → exposed;
/// - 10.1.0.200 is the guest Wi-Fi's NAT address (mapping file `@nat`) and 10.9.9.9 an address no
///   agent, lease or mapping line covers: both resolve a 3CX C2 name, and neither contact may land on
///   a host (the verdict pass lists them as unattributed, with the reason).
enum FleetScenario {
    static let day0 = 1_680_048_000.0  // 2023-03-29T00:00:00Z
    static let asOf = day0 + 86_399
    static let sensor = "zeek-core-1"
    static let c2 = "akamaicontainer.com"
    static let c2E = "msstorageazure.com"
    static let ffmpeg = "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896"
    static let header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"

    static func ts(_ t: Double) -> String { String(format: "%.6f", t) }

    struct Logs {
        var dns, http, conn, dhcp: URL
    }

    static func generate(in dir: URL) throws -> Logs {
        var dnsRows: [(Double, String)] = []
        func lookup(_ t: Double, _ client: String, _ name: String) {
            dnsRows.append((t, "\(client)\t5353\t10.1.0.1\t53\tudp\t\(name)\tA\tNOERROR\t192.0.2.7\t60"))
        }
        for h in 0..<24 {
            let base = day0 + Double(h) * 3600
            if h < 12 {
                lookup(base + 600, "10.1.0.21", "intranet.corp.test")
                lookup(base + 900, "10.1.0.50", "mail.corp.test")
            } else {
                lookup(base + 600, "10.1.0.50", "wiki.corp.test")
            }
            lookup(base + 1200, "10.1.0.30", "intranet.corp.test")
            lookup(base + 1500, "10.1.0.10", "intranet.corp.test")
        }
        lookup(day0 + 10 * 3600, "10.1.0.50", c2E)
        lookup(day0 + 9 * 3600, "10.1.0.200", "news.example.test")
        lookup(day0 + 14 * 3600, "10.1.0.200", c2E)
        lookup(day0 + 16 * 3600, "10.9.9.9", c2)
        lookup(day0 + 15 * 3600, "10.1.0.30", "update.newc2.test")
        dnsRows.sort { $0.0 < $1.0 }
        var dns = header + "#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\tTTLs\n"
        for (i, r) in dnsRows.enumerated() { dns += ts(r.0) + "\tD\(i)\t" + r.1 + "\n" }

        var rng = SeededRandom(seed: 13)
        var http = header + "#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\trequest_body_len\n"
        var conn = header + "#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_ip_bytes\n"
        var t = day0 + 3 * 3600
        var n = 0
        while t < day0 + 20 * 3600 {
            http += ts(t) + "\tH\(n)\t10.1.0.10\t5\(n % 1000)\t203.0.113.10\t80\t1\tGET\t\(c2)\t/api/ping\t0\n"
            conn += ts(t) + "\tH\(n)\t10.1.0.10\t5\(n % 1000)\t203.0.113.10\t80\ttcp\thttp\t0.3\t420\t900\tSF\t\(600 + Int.random(in: -5...5, using: &rng))\n"
            t += 600 + Double.random(in: -30...30, using: &rng)
            n += 1
        }
        var dhcp = header + "#path\tdhcp\n#fields\tts\tuids\tclient_addr\tserver_addr\tmac\thost_name\tclient_fqdn\tdomain\trequested_addr\tassigned_addr\tlease_time\tclient_message\tserver_message\tmsg_types\tduration\n"
        dhcp += ts(day0 + 5) + "\tCd1\t-\t10.1.0.1\t02:00:00:00:00:0e\thost-e\t-\tcorp\t10.1.0.50\t10.1.0.50\t86400.000000\t-\t-\tREQUEST,ACK\t0.01\n"
        dhcp += ts(day0 + 43_200) + "\tCd2\t-\t10.1.0.1\t02:00:00:00:00:0b\thost-b\t-\tcorp\t10.1.0.50\t10.1.0.50\t86400.000000\t-\t-\tREQUEST,ACK\t0.02\n"
        func write(_ text: String, _ name: String) throws -> URL { try TestSupport.write(Array(text.utf8), to: name, in: dir) }
        return Logs(dns: try write(dns, "dns.log"), http: try write(http, "http.log"), conn: try write(conn, "conn.log"), dhcp: try write(dhcp, "dhcp.log"))
    }

    /// The network report `vigil hunt --report-to` would send for these logs.
    static func report(_ logs: Logs) throws -> NetworkReport {
        var options = HuntOptions(indicators: DefaultIndicators.indicatorSet)
        options.contactSummary = ContactSummaryOptions(sensor: sensor)
        let engine = HuntEngine(options: options)
        let hunt = try engine.run(paths: [logs.dns.path, logs.http.path, logs.conn.path])
        let summary = try #require(engine.contactSummary)
        let leases = try DHCPLogReader().read(path: logs.dhcp.path)
        return NetworkReport(
            sensor: sensor, reportID: UUID().uuidString, generatedAt: Date(timeIntervalSince1970: asOf), contacts: summary, hits: hunt.hits,
            beacons: hunt.beacons.filter { $0.suppressedBecause == nil }, leases: leases.leases)
    }

    static func agent(_ name: String, os: String = "windows", addresses: [String]) -> AgentFacts {
        AgentFacts(hostname: name, hostIdentifier: "id-\(name)", os: os, osVersion: "10", agentVersion: "0.1.0", addresses: addresses)
    }

    static let mapping = "# scenario\n10.1.0.30   host-c.corp\n10.1.0.999  broken-line\n10.1.0.200  @nat   # guest Wi-Fi\n"
}

@Suite("Verdicts on the server: SQLite and PostgreSQL stores, verdict service, routes, notifiers")
struct VerdictScenarioTests {
    struct Seeded {
        var ids: [String: Int64] = [:]
        var logs: FleetScenario.Logs
    }

    /// Enrols the hosts at their historical times, records the 3CX findings and the exposed
    /// version, and applies the network report.
    static func seed(_ store: any FleetStore, dir: URL, applyReport: Bool = true) async throws -> Seeded {
        let day0 = FleetScenario.day0
        func at(_ h: Double) -> Date { Date(timeIntervalSince1970: day0 + h * 3600) }
        var ids: [String: Int64] = [:]
        for (name, address, until) in [
            ("host-a.corp", "10.1.0.10", 23.9), ("host-b.corp", "10.1.0.21", 11.9), ("host-c.corp", "", 23.9),
            ("host-d.corp", "10.2.0.40", 23.9), ("host-e.corp", "", 23.9), ("host-f.corp", "", 23.9),
        ] {
            let facts = FleetScenario.agent(name, addresses: address.isEmpty ? [] : [address])
            let host = try await store.enrollHost(agent: facts, keyHash: Data((0..<32).map { _ in UInt8.random(in: 0...255) }), at: at(0))
            try await store.recordContact(hostID: host.id, agent: facts, at: at(until))
            ids[name] = host.id
        }
        let indicator = try #require(DefaultIndicators.indicatorSet.lookup(.sha256, FleetScenario.ffmpeg))
        for (name, hour) in [("host-a.corp", 2.0), ("host-b.corp", 6.0), ("host-d.corp", 1.0)] {
            let path = "C:\\Users\\\(name)\\AppData\\Local\\Programs\\3CXDesktopApp\\app\\ffmpeg.dll"
            let finding = IndicatorFinding.hashHit(indicator, path: path, md5: nil, sha1: nil, sha256: FleetScenario.ffmpeg)
            _ = try await store.recordFindings([HostFinding(hostID: ids[name]!, finding: finding)], at: at(hour))
        }
        // host-f: the affected version by its version information, not a known-bad file.
        let app = InventoryFile(
            path: "C:\\Users\\f\\AppData\\Local\\Programs\\3CXDesktopApp\\3CXDesktopApp.exe", sha256: randomSHA256(), size: 1000,
            modified: 1_680_000_000, productName: "3CX Desktop App", version: "18.12.416")
        _ = try await store.applyBatch(
            hostID: ids["host-f.corp"]!, batch: batch(agent: FleetScenario.agent("host-f.corp", addresses: []), files: [app]), serverFindings: [],
            receivedAt: at(1))
        let logs = try FleetScenario.generate(in: dir)
        if applyReport {
            let outcome = try await store.applyNetworkReport(try FleetScenario.report(logs), receivedAt: at(24))
            #expect(!outcome.duplicate && outcome.contactRows > 0 && outcome.evidence > 0 && outcome.leases == 2)
        }
        return Seeded(ids: ids, logs: logs)
    }

    @Test("every state with reasons citing file path + hash and log file:line; changes reach a webhook and UDP syslog",
          arguments: StoreBackend.allCases)
    func scenario(_ backend: StoreBackend) async throws {
        let webhook = try LoopbackCollector(udp: false)
        let syslog = try LoopbackCollector(udp: true)
        let notifiers: [any VerdictNotifier] = [
            try WebhookNotifier(url: "http://127.0.0.1:\(webhook.port)/vigil", secret: Array("k".utf8)),
            SyslogNotifier(target: SyslogTarget(transport: .udp, host: "127.0.0.1", port: syslog.port), payload: .cef, version: "0.1.0"),
        ]
        // No hook given: network evidence changes recompute verdicts through the server's verdict service.
        let fx = try await FleetFixture({ configuration in
            configuration.verdicts.mapping = MappingFile(text: FleetScenario.mapping, path: "hosts.map")
            configuration.verdictNotifiers = notifiers
        }, networkEvidenceChanged: nil, backend: backend)
        defer { Task { await fx.finish() } }
        // The mapping file's bad line is reported with file and line.
        #expect(fx.server.configuration.verdicts.mapping.diagnostics.map { "\($0.path):\($0.line ?? 0)" } == ["hosts.map:3"])
        let seeded = try await Self.seed(fx.store, dir: fx.directory)

        let report = try await fx.server.verdicts.recompute(at: Date(timeIntervalSince1970: FleetScenario.asOf))
        #expect(report.hosts == 6)
        #expect(report.changes == 6)
        let records = try await fx.store.verdicts(state: nil, limit: 100, offset: 0)
        let byName = Dictionary(uniqueKeysWithValues: records.map { ($0.hostname, $0.verdict) })
        #expect(byName["host-a.corp"]?.state == .active)
        #expect(byName["host-b.corp"]?.state == .dormant)
        #expect(byName["host-c.corp"]?.state == .clean)
        #expect(byName["host-d.corp"]?.state == .unknownActivity)
        #expect(byName["host-e.corp"]?.state == .contactOnly)
        #expect(byName["host-f.corp"]?.state == .exposed)

        // Reasons cite their evidence: the file with its path and hash, the log with its file and line.
        let a = try #require(byName["host-a.corp"])
        let activity = try #require(a.reasons.first { $0.code == "beacon-after-file" || $0.code == "c2-contact-after-file" })
        #expect(activity.evidence.contains { $0.contains("ffmpeg.dll") && $0.contains(FleetScenario.ffmpeg) })
        // The file's citation names the indicator by its publisher's description.
        #expect(activity.evidence.contains { $0.contains("indicator: WIN: ffmpeg.dll") })
        #expect(activity.evidence.contains { $0.contains(seeded.logs.http.path + ":") || $0.contains(seeded.logs.dns.path + ":") || $0.contains(seeded.logs.conn.path + ":") })
        #expect(a.evidence.contains { $0.kind == "log" && ($0.line ?? 0) > 0 })
        // The C2 lookup from the DHCP address at 10:00 is host-e's, never host-b's.
        let e = try #require(byName["host-e.corp"])
        #expect(e.reasons.contains { $0.code == "contact-without-files" && $0.evidence.contains { $0.contains(seeded.logs.dns.path + ":") } })
        #expect(byName["host-b.corp"]!.reasons.allSatisfy { !["c2-contact-after-file", "beacon-after-file", "contact-before-file"].contains($0.code) })
        #expect(byName["host-b.corp"]!.reasons.contains { $0.code == "covered-without-contact" })
        #expect(byName["host-b.corp"]!.coverage.contains { $0.sensor == FleetScenario.sensor })
        let d = try #require(byName["host-d.corp"])
        #expect(d.reasons.contains { $0.code == "coverage-missing" } && !d.missingCoverage.isEmpty)
        #expect(byName["host-f.corp"]!.reasons.contains { $0.code == "affected-version" && $0.evidence.contains { $0.contains("3CXDesktopApp.exe") } })

        // The contact index's coverage rows: one per (sensor, client, UTC day), spanning the client's
        // first to last contact of the day, counting its distinct contact rows; times survive the store exactly.
        let coverage = try await fx.store.coverageRows(clients: nil)
        #expect(coverage.map(\.client) == ["10.1.0.10", "10.1.0.200", "10.1.0.21", "10.1.0.30", "10.1.0.50", "10.9.9.9"])
        #expect(coverage.allSatisfy { $0.sensor == FleetScenario.sensor && $0.day == "2023-03-29" && $0.evidenceFile == seeded.logs.dns.path })
        let e50 = try #require(coverage.first { $0.client == "10.1.0.50" })
        #expect(e50.firstSeen == FleetScenario.day0 + 900 && e50.lastSeen == FleetScenario.day0 + 23 * 3600 + 600)
        #expect(e50.rows == 3)  // mail.corp.test, wiki.corp.test and the C2 name
        #expect(e50.evidenceLine == 8)  // six header lines, then 10.1.0.21's lookup at 00:10 and this one at 00:15
        // The DHCP leases as the reader saw them, the open-ended one included.
        let leases = try DHCPLogReader().read(path: seeded.logs.dhcp.path).leases
        #expect(try await fx.store.dhcpLeases() == leases.sorted { ($0.start, $0.address) < ($1.start, $1.address) })
        #expect(leases.count == 2 && leases.allSatisfy { $0.end != nil })

        // What could not be tied to a host is listed with the reason, never guessed: the NAT address
        // by its mapping line, the unknown address as unknown; both C2 lookups stay unattributed.
        let unattributed = fx.server.verdicts.lastUnattributed
        #expect(report.unattributedEvidence == 2 && report.unattributedCoverageRows == 2)
        #expect(unattributed.coverageRows.map(\.row.client).sorted() == ["10.1.0.200", "10.9.9.9"])
        #expect(unattributed.coverageRows.contains { $0.row.client == "10.1.0.200" && $0.reason == .sharedAddress(kind: .nat, evidence: "hosts.map:4") })
        #expect(unattributed.coverageRows.contains { $0.row.client == "10.9.9.9" && $0.reason == .unknownAddress })
        #expect(Set(unattributed.evidence.map { "\($0.evidence.address) \($0.evidence.destination)" }) == ["10.1.0.200 \(FleetScenario.c2E)", "10.9.9.9 \(FleetScenario.c2)"])
        #expect(unattributed.evidence.allSatisfy { $0.evidence.host.isEmpty && !$0.evidence.evidence.isEmpty })
        #expect(unattributed.moreEvidence == 0 && unattributed.moreCoverageRows == 0)

        // Both notifiers got all six first verdicts.
        let bodies = await webhook.waitFor(6)
        #expect(bodies.count == 6)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let changes = try bodies.map { try decoder.decode(VerdictChange.self, from: Data($0)) }
        #expect(Set(changes.map(\.hostname)) == Set(byName.keys))
        #expect(changes.allSatisfy { $0.from == nil })
        let datagrams = await syslog.waitFor(6)
        #expect(datagrams.count == 6)
        #expect(datagrams.contains { String(decoding: $0, as: UTF8.self).contains("|verdict-active|Host verdict changed to active|10|dhost=host-a.corp ") })

        // A second pass with the same evidence changes nothing and notifies nothing.
        let again = try await fx.server.verdicts.recompute(at: Date(timeIntervalSince1970: FleetScenario.asOf + 60))
        #expect(again.changes == 0)
        try await Task.sleep(for: .milliseconds(200))
        #expect(webhook.messages.count == 6)

        // The routes.
        try await fx.withClient { client in
            let list = try await client.execute(uri: FleetRoutes.verdicts + "?state=active", method: .get, headers: bearer(fx.viewerToken))
            #expect(list.status == .ok)
            let active = try decodeBody([HostVerdictRecord].self, list)
            #expect(active.map(\.hostname) == ["host-a.corp"])
            let bad = try await client.execute(uri: FleetRoutes.verdicts + "?state=evil", method: .get, headers: bearer(fx.viewerToken))
            #expect(bad.status == .badRequest)

            let detailResponse = try await client.execute(uri: "/api/v1/hosts/HOST-A.corp/verdict", method: .get, headers: bearer(fx.viewerToken))
            #expect(detailResponse.status == .ok)
            let detail = try decodeBody(HostVerdictDetail.self, detailResponse)
            #expect(detail.current.verdict.state == .active)
            let kinds = detail.timeline.map(\.kind)
            #expect(kinds.contains("file-appeared") && kinds.contains("beacon-start") && kinds.contains("verdict-change"))
            #expect(detail.history.count == 1 && detail.history.first?.to == .active)
            // By host identifier and by id too.
            let byIdentifier = try await client.execute(uri: "/api/v1/hosts/id-host-a.corp/verdict", method: .get, headers: bearer(fx.viewerToken))
            #expect(byIdentifier.status == .ok)
            let byID = try await client.execute(uri: "/api/v1/hosts/\(seeded.ids["host-d.corp"]!)/verdict", method: .get, headers: bearer(fx.viewerToken))
            #expect(try decodeBody(HostVerdictDetail.self, byID).current.hostname == "host-d.corp")
            let unknown = try await client.execute(uri: "/api/v1/hosts/nobody/verdict", method: .get, headers: bearer(fx.viewerToken))
            #expect(unknown.status == .notFound)
            let anonymous = try await client.execute(uri: FleetRoutes.verdicts, method: .get)
            #expect(anonymous.status == .unauthorized)

            let changeList = try await client.execute(uri: FleetRoutes.verdictChanges + "?since=0", method: .get, headers: bearer(fx.viewerToken))
            #expect(try decodeBody([VerdictChange].self, changeList).count == 6)
            let future = try await client.execute(uri: FleetRoutes.verdictChanges + "?since=2100-01-01T00:00:00Z", method: .get, headers: bearer(fx.viewerToken))
            #expect(try decodeBody([VerdictChange].self, future).isEmpty)
        }
        for n in notifiers { await n.shutdown(timeout: .seconds(2)) }
        webhook.shutdown()
        syslog.shutdown()
        #expect(notifiers.allSatisfy { $0.statistics().delivered == 6 && $0.statistics().dropped == 0 && $0.statistics().failed == 0 })

        try await Self.commandLine(fx)

        // Retro-hunt of network history: a C2 domain published after the logs were read flips host-c
        // without reading any log again (the logs are gone): the feed import hunts the contact index,
        // announces the new evidence, and the verdict service recomputes.
        try FileManager.default.removeItem(at: seeded.logs.dns)
        #expect(try await fx.store.verdict(hostID: seeded.ids["host-c.corp"]!)?.verdict.state == .clean)
        let imported = try await fx.server.importFeed(name: "late-c2", text: "newc2.test\n", format: .plain, fileName: nil)
        #expect((imported.networkRetroHunt?.newEvidence ?? 0) >= 1)
        let c = try #require(try await fx.store.verdict(hostID: seeded.ids["host-c.corp"]!))
        #expect(c.verdict.state == .contactOnly)
        #expect(c.verdict.reasons.contains { $0.code == "contact-without-files" && $0.text.contains("newc2.test") && $0.evidence.contains { $0.contains(seeded.logs.dns.path + ":") } })
        let history = try await fx.store.verdictChanges(hostID: seeded.ids["host-c.corp"]!, since: nil, limit: 10)
        #expect(history.map(\.to) == [.clean, .contactOnly])
    }

    /// `vigil fleet verdicts` and `vigil fleet host` against the server over HTTP: formats and exit
    /// status. (Starting the listener recomputes as of now, so only states that cannot change with
    /// the evaluation time are checked here.)
    static func commandLine(_ fx: FleetFixture) async throws {
        guard TestSupport.vigilExecutable != nil else {
            print("skipped the fleet verdicts command checks: the vigil binary is not built")
            return
        }
        // A host whose name carries a terminal escape (a title change) and a line break.
        let hostile = "evil\u{1b}]0;pwned\u{07}\nFAKE: clean"
        _ = try await fx.store.enrollHost(
            agent: FleetScenario.agent(hostile, addresses: []), keyHash: Data((0..<32).map { _ in UInt8.random(in: 0...255) }), at: Date())
        let (urls, continuation) = AsyncStream<String>.makeStream()
        let server = Task {
            try await fx.server.run(try FleetListenOptions(listen: "127.0.0.1:0", tlsCertificatePath: nil, tlsKeyPath: nil, allowInsecureHTTP: false)) {
                continuation.yield($0)
            }
        }
        defer { server.cancel() }
        var iterator = urls.makeAsyncIterator()
        let url = try #require(await iterator.next())
        let env = ["VIGIL_FLEET_TOKEN": fx.viewerToken, "VIGIL_FLEET_SERVER": url]
        await fx.server.verdicts.waitUntilIdle()

        let table = try await TestSupport.runVigilOffPool(["fleet", "verdicts"], environment: env)
        #expect(table.status == 1, "\(table.stdout)\(table.stderr)")
        #expect(table.stdout.contains("host-a.corp") && table.stdout.contains("active") && table.stdout.contains("7 host(s)"))
        // The hostile name is printed escaped: no ESC, BEL or forged line reaches the terminal.
        #expect(!table.stdout.contains("\u{1b}") && !table.stdout.contains("\u{07}") && !table.stdout.contains("\nFAKE"))
        #expect(table.stdout.contains(#"evil\x1b]0;pwned\x07\nFAKE: clean"#))
        let clean = try await TestSupport.runVigilOffPool(["fleet", "verdicts", "--state", "clean", "--format", "csv"], environment: env)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let lines = clean.stdout.components(separatedBy: "\r\n")
        #expect(lines.first == "host_id,hostname,state,since,computed_at,reasons,evidence,coverage,missing_coverage")
        #expect(clean.stdout.contains(",host-c.corp,clean,"))
        #expect(!clean.stdout.contains("host-a.corp"))

        let detail = try await TestSupport.runVigilOffPool(["fleet", "host", "HOST-A.corp"], environment: env)
        let csv = try await TestSupport.runVigilOffPool(["fleet", "host", "host-d.corp", "--format", "csv"], environment: env)
        #expect(csv.stdout.hasPrefix("hostname,state,kind,time,code,text,evidence\r\n"))
        // Multi-line cells are quoted (RFC 4180).
        #expect(csv.stdout.contains("\"compromised-file\ncoverage-missing\""))
        #expect(detail.status == 1)
        #expect(detail.stdout.hasPrefix("host-a.corp (host "))
        #expect(detail.stdout.contains("ACTIVE since") && detail.stdout.contains("Timeline:") && detail.stdout.contains("file-appeared"))
        #expect(detail.stdout.contains(FleetScenario.ffmpeg))
        let json = try await TestSupport.runVigilOffPool(["fleet", "host", "host-e.corp", "--format", "json"], environment: env)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(HostVerdictDetail.self, from: Data(json.stdout.utf8)).current.verdict.state == .contactOnly)
        let missing = try await TestSupport.runVigilOffPool(["fleet", "host", "nobody"], environment: env)
        #expect(missing.status == 2 && missing.stderr.contains("no host named nobody"))

        let dir = try TestSupport.makeTemporaryDirectory("vigil-verdict-sarif")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sarif = try await TestSupport.runVigilOffPool(["fleet", "verdicts", "--format", "sarif"], environment: env)
        #expect(sarif.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let results = try #require(((log["runs"] as? [[String: Any]])?.first?["results"]) as? [[String: Any]])
        // One result per host that is not clean: a, b or d (states as of now), e, f; never c.
        #expect(results.count == 5)
        #expect(results.contains { ($0["ruleId"] as? String) == "verdict.active" })
        let file = try TestSupport.write(Array(sarif.stdout.utf8), to: "verdicts.sarif", in: dir)
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/validate-sarif.py")
        let checked = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "--fetch", file.path])
        if checked.status == 77 {
            print("skipped SARIF schema validation: \(checked.stderr)")
        } else {
            #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        }
    }

    @Test("a network report through the route recomputes verdicts and reports the changes", arguments: StoreBackend.allCases)
    func reportRouteRecomputes(_ backend: StoreBackend) async throws {
        // A loaded test machine may need longer than the default 10 s for the pass.
        let fx = try await FleetFixture({ $0.verdictWait = .seconds(120) }, networkEvidenceChanged: nil, backend: backend)
        defer { Task { await fx.finish() } }
        let seeded = try await Self.seed(fx.store, dir: fx.directory, applyReport: false)
        let body = ByteBuffer(bytes: try gzip(try FleetJSON.encoder().encode(try FleetScenario.report(seeded.logs))))
        try await fx.withClient { client in
            var headers = bearer(fx.analystToken, gzip: true)
            headers[.contentType] = "application/json"
            let response = try await client.execute(uri: FleetRoutes.networkReports, method: .post, headers: headers, body: body)
            #expect(response.status == .ok)
            let ack = try decodeBody(NetworkReportAcknowledgement.self, response)
            // Every host gets its first verdict in the pass that includes the report.
            #expect(!ack.duplicate && ack.verdictChanges == 6)
        }
        let records = try await fx.store.verdicts(state: nil, limit: 100, offset: 0)
        #expect(records.first { $0.hostname == "host-a.corp" }?.verdict.state == .active)
        #expect(records.first { $0.hostname == "host-e.corp" }?.verdict.state == .contactOnly)
    }

    @Test("requests during a pass coalesce into one more pass", arguments: StoreBackend.allCases)
    func coalescing(_ backend: StoreBackend) async throws {
        let fx = try await FleetFixture(backend: backend)
        defer { Task { await fx.finish() } }
        _ = try await Self.seed(fx.store, dir: fx.directory)
        let service = fx.server.verdicts
        // A caller that needs the outcome (the network-report route) waits for a pass after its request.
        let first = await service.recomputeAndWait()
        #expect(first?.changes == 6)
        #expect(service.passes == 1)
        for _ in 0..<50 { service.requestRecompute() }
        await service.waitUntilIdle()
        // One pass started at once, the other 49 requests coalesced into at most one more.
        #expect(service.passes >= 2 && service.passes <= 3)
        #expect(!service.isBusy)
        #expect(try await fx.store.verdicts(state: nil, limit: 100, offset: 0).count == 6)
        // Nothing changed since the first pass.
        #expect(try await fx.store.verdictChanges(hostID: nil, since: nil, limit: 100).count == 6)
    }
}

/// The scenario once on each back end, from the same log files: what each store hands back and what
/// the verdict service makes of it must be the same, down to the order of reasons and evidence.
@Suite("Verdicts: SQLite and PostgreSQL agree")
struct VerdictBackendAgreementTests {
    struct Outcome {
        var verdicts: [String: HostVerdict] = [:]
        var coverage: [CoverageRow] = []
        var leases: [DHCPLease] = []
        var evidence: [NetworkEvidence] = []
        var names: Set<SensorContact> = []
        var servers: Set<SensorContact> = []
        var unattributedRows: [UnattributedContact] = []
        var unattributedEvidence: [UnattributedEvidence] = []
        var report = VerdictRunReport()
        var statesAfterRetroHunt: [String: VerdictState] = [:]
        var retroEvidence: Set<NetworkEvidence> = []
    }

    @Test("the same evidence gives the same coverage, leases, evidence, unattributed contacts and verdicts on both back ends",
          .enabled(if: StoreBackend.postgresURL != nil,
                   "VIGIL_TEST_POSTGRES_URL is not set: nothing to compare SQLite with (scripts/test.sh starts a private PostgreSQL)"))
    func sameOnBoth() async throws {
        let logs = try TestSupport.makeTemporaryDirectory("vigil-verdict-agree")
        defer { try? FileManager.default.removeItem(at: logs) }
        var outcomes: [StoreBackend: Outcome] = [:]
        for backend in StoreBackend.allCases {
            let fx = try await FleetFixture({ $0.verdicts.mapping = MappingFile(text: FleetScenario.mapping, path: "hosts.map") },
                                            networkEvidenceChanged: nil, backend: backend)
            var o = Outcome()
            do {
                _ = try await VerdictScenarioTests.seed(fx.store, dir: logs)
                o.report = try await fx.server.verdicts.recompute(at: Date(timeIntervalSince1970: FleetScenario.asOf))
                for r in try await fx.store.verdicts(state: nil, limit: 100, offset: 0) { o.verdicts[r.hostname] = r.verdict }
                o.coverage = try await fx.store.coverageRows(clients: nil)
                o.leases = try await fx.store.dhcpLeases()
                o.evidence = try await fx.store.networkEvidence(limit: 1000).map(\.evidence)
                o.names = Set(try await fx.store.contactNames(matching: ["test", "com"], limit: 10_000))
                o.servers = Set(try await fx.store.contactServers(in: [IPNetwork("0.0.0.0/0")!, IPNetwork("::/0")!], limit: 10_000))
                let unattributed = fx.server.verdicts.lastUnattributed
                o.unattributedRows = unattributed.coverageRows
                o.unattributedEvidence = unattributed.evidence
                _ = try await fx.server.importFeed(name: "late-c2", text: "newc2.test\n", format: .plain, fileName: nil)
                await fx.server.verdicts.waitUntilIdle()
                for r in try await fx.store.verdicts(state: nil, limit: 100, offset: 0) { o.statesAfterRetroHunt[r.hostname] = r.verdict.state }
                o.retroEvidence = Set(try await fx.store.networkEvidence(limit: 1000).map(\.evidence))
            } catch {
                await fx.finish()
                throw error
            }
            await fx.finish()
            outcomes[backend] = o
        }
        let a = try #require(outcomes[.sqlite]), b = try #require(outcomes[.postgres])
        #expect(a.verdicts.count == 6 && a.verdicts.values.contains { $0.state == .active })
        for (host, verdict) in a.verdicts { #expect(b.verdicts[host] == verdict, "\(host)") }
        #expect(a.verdicts.keys.sorted() == b.verdicts.keys.sorted())
        #expect(!a.coverage.isEmpty && a.coverage == b.coverage)
        #expect(a.leases.count == 2 && a.leases == b.leases)
        #expect(a.evidence.count >= 4 && a.evidence == b.evidence)
        #expect(!a.names.isEmpty && a.names == b.names)
        #expect(!a.servers.isEmpty && a.servers == b.servers)
        #expect(a.unattributedRows.count == 2 && a.unattributedRows == b.unattributedRows)
        #expect(a.unattributedEvidence.count == 2 && a.unattributedEvidence == b.unattributedEvidence)
        var ra = a.report, rb = b.report
        ra.milliseconds = 0; ra.engineMilliseconds = 0; rb.milliseconds = 0; rb.engineMilliseconds = 0
        #expect(ra == rb)
        #expect(a.statesAfterRetroHunt["host-c.corp"] == .contactOnly && a.statesAfterRetroHunt == b.statesAfterRetroHunt)
        #expect(a.retroEvidence.count == a.evidence.count + 1 && a.retroEvidence == b.retroEvidence)
    }
}
