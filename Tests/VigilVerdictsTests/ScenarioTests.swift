import Foundation
import Testing
import VigilCore
import VigilDefaults
import VigilHunt
import VigilIndicators
import _VigilTestSupport

@testable import VigilVerdicts

/// The issue's scenario end to end: generated Zeek logs → the real hunt engine with a contact summary
/// → DHCP leases, agent reports and the mapping file → attribution, coverage, verdicts, timelines,
/// and a retro-hunt that flips host-c without reading any log again.
@Suite struct ScenarioTests {
    struct Run {
        var logs: Scenario.Logs
        var report: HuntReport
        var summary: ContactSummary
        var book: AddressBook
        var coverage: Coverage
        var network: NetworkEvidenceBuilder.Result
        var dir: URL
    }

    static func run() throws -> Run {
        let dir = try TestSupport.makeTemporaryDirectory()
        let logs = try Scenario.generate(in: dir)
        var options = HuntOptions(indicators: DefaultIndicators.indicatorSet)
        options.contactSummary = ContactSummaryOptions(sensor: Scenario.sensor)
        let engine = HuntEngine(options: options)
        let report = try engine.run(paths: logs.all.map(\.path))
        let summary = try #require(engine.contactSummary)
        let leases = try DHCPLogReader().read(path: logs.dhcp.path)
        #expect(leases.rejected == 0)
        let mapping = MappingFile(text: try String(contentsOf: logs.mapping, encoding: .utf8), path: logs.mapping.path)
        #expect(mapping.diagnostics.isEmpty)
        let book = AddressBook(agents: Scenario.agents, leases: leases.leases, mapping: mapping)
        let coverage = Coverage(summaries: [summary], addresses: book, maxGap: 2 * 3600)
        let network = NetworkEvidenceBuilder(addresses: book).evidence(from: report, sensor: Scenario.sensor)
        return Run(logs: logs, report: report, summary: summary, book: book, coverage: coverage, network: network, dir: dir)
    }

    static func hosts(_ run: Run) -> [HostEvidence] {
        [
            HostEvidence(host: "host-a.corp", files: Scenario.files(firstSeen: Scenario.day0 + 2 * 3600, host: "a"), network: run.network.byHost["host-a.corp"] ?? []),
            HostEvidence(host: "host-b.corp", files: Scenario.files(firstSeen: Scenario.day0 + 6 * 3600, host: "b"), network: run.network.byHost["host-b.corp"] ?? []),
            HostEvidence(host: "host-c.corp", network: run.network.byHost["host-c.corp"] ?? []),
            HostEvidence(host: "host-d.corp", files: Scenario.files(firstSeen: Scenario.day0 + 3600, host: "d"), network: run.network.byHost["host-d.corp"] ?? []),
            HostEvidence(host: "host-e.corp", network: run.network.byHost["host-e.corp"] ?? []),
        ]
    }

    static func verdicts(_ run: Run, hosts: [HostEvidence]) -> [String: HostVerdict] {
        var rules = VerdictRules(asOf: Scenario.asOf)
        rules.coverageTolerance = 2 * 3600
        return Dictionary(uniqueKeysWithValues: hosts.map { ($0.host, VerdictEngine.verdict(for: $0, coverage: run.coverage, rules: rules)) })
    }

    @Test func theDHCPAddressIsAttributedToEachHolderOnItsSideOfNoon() throws {
        let run = try Self.run()
        defer { try? FileManager.default.removeItem(at: run.dir) }
        #expect(run.book.attribute("10.1.0.50", at: Scenario.day0 + 11 * 3600).host == "host-e.corp")
        #expect(run.book.attribute("10.1.0.50", at: Scenario.day0 + 13 * 3600).host == "host-b.corp")
        // After noon the claim rests on host-b's lease line (line 8 of dhcp.log: 6 header lines, host-e's lease, then host-b's).
        if case .host(_, let source, let evidence) = run.book.attribute("10.1.0.50", at: Scenario.day0 + 20 * 3600) {
            #expect(source == .dhcp)
            #expect(evidence == run.logs.dhcp.path + ":8")
        } else {
            Issue.record("10.1.0.50 at 20:00 not attributed")
        }
        #expect(run.book.attribute("10.1.0.254", at: Scenario.day0 + 5 * 3600) == .unattributed(.sharedAddress(kind: .nat, evidence: run.logs.mapping.path + ":3")))
        #expect(run.book.attribute("10.9.9.9", at: Scenario.day0) == .unattributed(.unknownAddress))
        // The C2 lookup from 10.1.0.50 at 10:00 is host-e's, never host-b's.
        #expect(run.network.byHost["host-e.corp"]?.map(\.destination) == [Scenario.c2E])
        #expect(run.network.byHost["host-b.corp"] == nil)
        // The NAT contact is reported as unattributed with its reason.
        let nat = run.network.unattributed.filter { $0.evidence.address == "10.1.0.254" }
        #expect(nat.count == 1)
        #expect(nat.first?.evidence.destination == Scenario.c2)
    }

    @Test func theFourHostsGetTheIssuesVerdictsWithCitedEvidence() throws {
        let run = try Self.run()
        defer { try? FileManager.default.removeItem(at: run.dir) }
        let v = Self.verdicts(run, hosts: Self.hosts(run))
        #expect(v["host-a.corp"]?.state == .active)
        #expect(v["host-b.corp"]?.state == .dormant)
        #expect(v["host-c.corp"]?.state == .clean)
        #expect(v["host-d.corp"]?.state == .unknownActivity)
        #expect(v["host-e.corp"]?.state == .contactOnly)

        // host-a: a beacon and C2 contact, after the files, citing http.log lines and the files' hashes.
        let a = try #require(v["host-a.corp"])
        let beacon = try #require(a.reasons.first { $0.code == "beacon-after-file" })
        #expect(beacon.evidence.contains { $0.contains(run.logs.http.path + ":") || $0.contains(run.logs.conn.path + ":") })
        let hashes = Scenario.files(firstSeen: 0, host: "a").map(\.sha256)
        #expect(beacon.evidence.contains { e in hashes.contains { e.contains("sha256 " + $0) } })
        let contacts = a.reasons.filter { $0.code == "c2-contact-after-file" && $0.text.contains(Scenario.c2) }
        #expect(contacts.count == 2)  // the DNS query and the HTTP Host
        #expect(contacts.contains { $0.evidence.contains { $0.contains("http-host") && $0.contains(run.logs.http.path + ":") } })
        #expect(contacts.contains { $0.evidence.contains { $0.contains("dns-query") && $0.contains(run.logs.dns.path + ":") } })
        #expect(a.evidence.contains { $0.kind == "log" && $0.path == run.logs.http.path && ($0.line ?? 0) > 6 })

        // host-b: covered from before its files appeared to the end of the day, by one sensor.
        let b = try #require(v["host-b.corp"])
        #expect(b.missingCoverage.isEmpty)
        #expect(b.coverage.allSatisfy { $0.sensor == Scenario.sensor })
        #expect(b.coverage.contains { $0.period.start <= Scenario.day0 + 6 * 3600 && $0.period.end >= Scenario.day0 + 23 * 3600 })
        #expect(b.reasons.contains { $0.code == "covered-without-contact" && $0.evidence.contains { $0.contains(run.logs.dns.path + ":") } })

        // host-d: the whole period since its files appeared is missing.
        let d = try #require(v["host-d.corp"])
        #expect(d.missingCoverage == [Period(start: Scenario.day0 + 3600, end: Scenario.asOf)])
        #expect(d.reasons.contains { $0.code == "coverage-missing" && $0.text.contains("2023-03-29T01:00:00Z") && $0.evidence.first?.contains("sha256 ") == true })

        // host-e: contact-only, citing the dns.log line of the lookup.
        let e = try #require(v["host-e.corp"])
        let line = try #require(e.reasons.first { $0.code == "contact-without-files" })
        let dnsLines = try String(contentsOf: run.logs.dns, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let cited = try #require(line.evidence.first.flatMap { $0.components(separatedBy: ", at ").last }.flatMap(LogReference.init))
        #expect(cited.file == run.logs.dns.path)
        #expect(dnsLines[cited.line - 1].contains(Scenario.c2E))
        #expect(dnsLines[cited.line - 1].contains("10.1.0.50"))

        // Every reason of a non-clean verdict cites something.
        for verdict in v.values where verdict.state != .clean { #expect(verdict.reasons.allSatisfy { !$0.evidence.isEmpty }, "\(verdict.host)") }
    }

    @Test func aC2DomainPublishedAfterTheLogsWereReadFlipsHostC() throws {
        let run = try Self.run()
        // The logs are gone: only the contact summary (as a server would store it, JSON) remains.
        let stored = try JSONEncoder().encode(run.summary)
        try FileManager.default.removeItem(at: run.dir)
        let summary = try JSONDecoder().decode(ContactSummary.self, from: stored)

        let hosts = Self.hosts(run)
        let before = Self.verdicts(run, hosts: hosts)
        #expect(before["host-c.corp"]?.state == .clean)

        let published = IndicatorSet([Indicator(kind: .domain, value: Scenario.lateC2, provenance: [Provenance(feed: "late-feed", description: "new C2")])])
        let matches = RetroHunt.match([summary], indicators: published)
        #expect(matches.count == 1)
        #expect(matches.first?.row.client == "10.1.0.30")
        #expect(matches.first?.observed == "update." + Scenario.lateC2)
        let retro = NetworkEvidenceBuilder(addresses: run.book).evidence(from: matches)
        #expect(Array(retro.byHost.keys) == ["host-c.corp"])

        var c = hosts.first { $0.host == "host-c.corp" }!
        c.network += retro.byHost["host-c.corp"] ?? []
        var rules = VerdictRules(asOf: Scenario.asOf + 86_400)
        rules.coverageTolerance = 2 * 3600
        let after = VerdictEngine.verdict(for: c, coverage: run.coverage, rules: rules)
        #expect(after.state == .contactOnly)
        let reason = try #require(after.reasons.first { $0.code == "contact-without-files" })
        #expect(reason.evidence.first?.contains(run.logs.dns.path + ":") == true)

        let timeline = Timeline.build(for: c, verdict: after, previous: PreviousVerdict(state: .clean, decidedAt: Scenario.asOf))
        #expect(timeline.map(\.kind) == ["first-c2-contact", "last-c2-contact", "verdict-change"])
        #expect(timeline.last?.text == "verdict clean → contact-only")
        #expect(timeline.first?.time == Scenario.day0 + 15 * 3600)
    }

    @Test func retroHuntWithTheLiveIndicatorsFindsWhatTheLiveHuntFound() throws {
        let run = try Self.run()
        defer { try? FileManager.default.removeItem(at: run.dir) }
        let retro = RetroHunt.match([run.summary], indicators: DefaultIndicators.indicatorSet)
        let live = Set(run.report.hits.map { "\($0.host) \($0.observed)" })
        let again = Set(retro.map { "\($0.row.client) \($0.observed)" })
        #expect(again == live)
        #expect(again.count == 3)  // host-a, host-e and the NAT
    }

    @Test func hostATimelineOrdersFilesContactsAndTheBeacon() throws {
        let run = try Self.run()
        defer { try? FileManager.default.removeItem(at: run.dir) }
        let a = Self.hosts(run)[0]
        let verdict = Self.verdicts(run, hosts: [a])["host-a.corp"]!
        let timeline = Timeline.build(for: a, verdict: verdict, previous: PreviousVerdict(state: .dormant, decidedAt: Scenario.day0))
        let kinds = timeline.map(\.kind)
        #expect(kinds.first == "file-appeared")
        #expect(kinds.contains("beacon-start") && kinds.contains("beacon-end"))
        let firstContact = try #require(timeline.first { $0.kind == "first-c2-contact" })
        #expect(firstContact.time == Scenario.day0 + 3 * 3600 - 30)
        #expect(kinds.last == "verdict-change")
        #expect(zip(timeline, timeline.dropFirst()).allSatisfy { $0.time <= $1.time })
    }
}
