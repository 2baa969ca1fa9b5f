import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import VigilConsole
import VigilCore
import VigilFleetProtocol
import VigilFleetServer
import VigilFleetStore
import VigilVerdicts

/// A stored verdict as the verdict engine would write it (decoded from its JSON form).
func consoleVerdict(_ host: String, _ state: VerdictState, evidence: [String] = [], missing: Bool = false) -> HostVerdict {
    let cites = evidence.map { "\"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"" }.joined(separator: ",")
    let json = """
        {"host":"\(host)","state":"\(state.rawValue)",
         "reasons":[{"code":"compromised-file","text":"1 compromised file(s) on record","evidence":[\(cites)]},
                    {"code":"c2-contact-after-file","text":"contact with C2 <evil>.example after the file appeared","evidence":["dns.log:12"]}],
         "evidence":[],
         "coverage":[{"sensor":"zeek-branch","host":"\(host)","period":{"start":1780000000,"end":1780086400},"rows":42,"firstEvidence":"conn.log:3"}],
         "requiredCoverage":{"start":1779990000,"end":1780090000},
         "missingCoverage":[\(missing ? #"{"start":1780086400,"end":1780090000}"# : "")],
         "asOf":1780090000}
        """
    return try! JSONDecoder().decode(HostVerdict.self, from: Data(json.utf8))
}

@Suite("Web console: verdicts")
struct ConsoleVerdictTests {
    @Test("daily counts are rebuilt backwards from the current counts through the window's changes")
    func dailyCounts() {
        let day = 86_400.0
        let now = Date(timeIntervalSince1970: 100 * day + 3600)  // day 100, 01:00
        func change(_ host: Int64, _ from: VerdictState?, _ to: VerdictState, _ at: Double) -> VerdictChange {
            VerdictChange(hostID: host, hostname: "h\(host)", from: from, to: to, at: Date(timeIntervalSince1970: at), reasons: [])
        }
        // Host 1: first verdict clean on day 98, active on day 99; host 2: first verdict dormant on day 100.
        let changes = [
            change(1, nil, .clean, 98 * day + 10), change(1, .clean, .active, 99 * day + 500), change(2, nil, .dormant, 100 * day + 60),
        ]
        let tallies = VerdictChangeTally.tally(changes)
        #expect(tallies.map(\.day) == [98, 99, 100] && tallies.allSatisfy { $0.count == 1 })
        let counts = Console.dailyVerdictCounts(current: [.active: 1, .dormant: 1, .clean: 3], tallies: tallies, days: 4, now: now)
        #expect(counts.map(\.day.timeIntervalSince1970) == [97 * day, 98 * day, 99 * day, 100 * day])
        #expect(counts[3].counts == [.active: 1, .dormant: 1, .clean: 3], "today: the current counts")
        #expect(counts[2].counts == [.active: 1, .dormant: 0, .clean: 3], "end of day 99: host 2 had no verdict yet")
        #expect(counts[1].counts == [.active: 0, .dormant: 0, .clean: 4], "end of day 98: host 1 was clean")
        #expect(counts[0].counts == [.active: 0, .dormant: 0, .clean: 3], "end of day 97: host 1 had no verdict")
    }

    @Test("overview counts hosts per verdict with links to the filtered list and a chart; the host page shows reasons, evidence, coverage, history and the timeline")
    func verdictPages() async throws {
        let fx = try await ConsoleFixture { $0.pageSize = 2 }
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            // Straight into the store: no batch arrives, so the server's own verdict pass stays out of the way.
            var ids: [Int64] = []
            for i in 0..<4 {
                let host = try await fx.store.enrollHost(agent: AgentFacts(
                    hostname: "pc-\(i)", hostIdentifier: "pc-\(i)", os: "windows", osVersion: "10", agentVersion: "1", addresses: ["10.0.0.\(i)"]),
                    keyHash: Data(repeating: UInt8(i + 1), count: 32), at: Date())
                ids.append(host.id)
            }
            _ = try await fx.store.recordFindings([HostFinding(hostID: ids[0], finding: Finding(
                check: "ioc.hash", title: "known-bad SHA-256", severity: .critical, path: "C:/3CX/ffmpeg.dll", explanation: "listed",
                attack: ["T1195.002"], indicator: known3CXSHA256))], at: Date().addingTimeInterval(-3 * 86_400))
            let now = Date()
            _ = try await fx.store.saveVerdicts([
                (ids[0], consoleVerdict("pc-0", .unknownActivity)), (ids[1], consoleVerdict("pc-1", .clean)),
                (ids[2], consoleVerdict("pc-2", .clean)), (ids[3], consoleVerdict("pc-3", .clean)),
            ], at: now.addingTimeInterval(-2 * 86_400))
            _ = try await fx.store.saveVerdicts([(ids[0], consoleVerdict("pc-0", .active, evidence: ["C:/3CX/ffmpeg.dll (sha256 7986…)"], missing: true))],
                                                at: now.addingTimeInterval(-3600))
            #expect(try await fx.store.verdictCounts() == [.active: 1, .clean: 3])
            let since = now.addingTimeInterval(-5 * 86_400)
            let tallies = try await fx.store.verdictChangeTallies(since: since)
            #expect(tallies.reduce(0) { $0 + $1.count } == 5)
            #expect(Set(tallies) == Set(VerdictChangeTally.tally(try await fx.store.verdictChanges(hostID: nil, since: since, limit: 100))),
                    "the grouping query agrees with tallying the changes")

            let viewer = try await signIn(client, "vic")
            let overview = text(try await viewer.get(client, "/"))
            #expect(overview.contains(#"href="/hosts?verdict=active""#) && overview.contains(#"<span class="num">1</span> <span class="label">active</span>"#))
            #expect(overview.contains(#"<span class="num">3</span> <span class="label">clean</span>"#))
            #expect(overview.contains(#"<title id="verdict-chart-t">Hosts per verdict, last 14 days</title>"#))
            // Two days ago pc-0 turned unknown-activity and the others clean; today it is active.
            #expect(overview.contains(": 1 unknown-activity</title>") && overview.contains(": 1 active</title>"))
            #expect(overview.contains(": 3 clean</title>"))

            // The verdict column and filter of the host list; keyset pages of 2 in host id order.
            let all = text(try await viewer.get(client, "/hosts"))
            #expect(all.contains(#"<span class="verdict verdict-active">active</span>"#))
            let clean = text(try await viewer.get(client, "/hosts?verdict=clean"))
            #expect(clean.contains(">pc-1</a>") && clean.contains(">pc-2</a>") && !clean.contains(">pc-3</a>") && !clean.contains(">pc-0</a>"))
            #expect(clean.contains(#"href="/hosts?verdict=clean&amp;after=\#(ids[2])""#))
            let second = text(try await viewer.get(client, "/hosts?verdict=clean&after=\(ids[2])"))
            #expect(second.contains(">pc-3</a>") && !second.contains(">pc-1</a>"))
            let active = text(try await viewer.get(client, "/hosts?verdict=active"))
            #expect(active.contains(">pc-0</a>") && !active.contains(">pc-1</a>"))
            #expect(active.contains(#"<option value="active" selected>"#))

            // The host page: verdict, reasons with their citations, coverage, missing period, history, chart.
            let host = text(try await viewer.get(client, "/hosts/\(ids[0])"))
            #expect(host.contains(#"<span class="verdict verdict-active">active</span>"#))
            #expect(host.contains("c2-contact-after-file") && host.contains("contact with C2 &lt;evil&gt;.example"))
            #expect(host.contains("<li>C:/3CX/ffmpeg.dll (sha256 7986…)</li>") && host.contains("<li>dns.log:12</li>"))
            #expect(host.contains("<td>zeek-branch</td>") && host.contains("conn.log:3"))
            #expect(host.contains("Not covered: 2026-05-") || host.contains("Not covered: "))
            #expect(host.contains(#"id="host-timeline-t""#))
            #expect(host.contains("verdict unknown-activity → active</title>"), "the verdict change is a point of the timeline")
            #expect(host.contains("C:/3CX/ffmpeg.dll (ioc.hash) first seen"), "the compromised file appears on the timeline")
            #expect(!host.contains("<script"))
            // A host without a verdict says so.
            _ = try await fx.store.enrollHost(agent: AgentFacts(hostname: "new", hostIdentifier: "new", os: "linux", osVersion: "1", agentVersion: "1", addresses: []),
                                              keyHash: Data(repeating: 7, count: 32), at: now)
            let newHost = try #require(try await fx.store.hostPage(HostPageQuery(search: "new", limit: 5)).first)
            #expect(text(try await viewer.get(client, "/hosts/\(newHost.id)")).contains("No verdict computed for this host yet."))
        }
    }
}
