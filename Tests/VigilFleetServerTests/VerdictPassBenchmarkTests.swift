import Foundation
import Testing
import VigilCore
import VigilDefaults
import VigilFleetProtocol
import VigilFleetStore
import VigilIndicators
import VigilVerdicts

@testable import VigilFleetServer

/// The in-memory part of a verdict pass (join + engine) over a synthetic fleet: every host has an
/// agent address and a week of coverage rows from one sensor; 1 % hold a 3CX file, of which a fifth
/// contact a C2. `VIGIL_VERDICT_BENCH_HOSTS` sets the fleet size
/// (default 5,000 so the suite stays quick; docs/verdicts.md gives the 100,000-host figure).
@Suite("Verdict pass over a synthetic fleet")
struct VerdictPassBenchmarkTests {
    @Test("join and engine stay linear and decide every synthetic host right")
    func syntheticFleet() throws {
        let count = Int(ProcessInfo.processInfo.environment["VIGIL_VERDICT_BENCH_HOSTS"] ?? "") ?? 5000
        let day0 = 1_680_048_000.0
        let days = 7
        let asOf = day0 + Double(days) * 86_400 - 1
        let ffmpeg = "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896"
        let indicator = try #require(DefaultIndicators.indicatorSet.lookup(.sha256, ffmpeg))
        var inputs = VerdictService.Inputs()
        func address(_ i: Int) -> String { "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)" }
        for i in 0..<count {
            let name = "pc-\(i).corp"
            inputs.hosts.append(
                HostRecord(
                    id: Int64(i + 1), hostname: name, hostIdentifier: "id-\(i)", os: "windows", osVersion: "10", agentVersion: "0.1.0",
                    enrolledAt: Date(timeIntervalSince1970: day0), lastContact: Date(timeIntervalSince1970: asOf), keyRevoked: false,
                    addresses: [HostAddress(address: address(i), firstSeen: Date(timeIntervalSince1970: day0), lastSeen: Date(timeIntervalSince1970: asOf))]))
            for d in 0..<days {
                let start = day0 + Double(d) * 86_400
                inputs.coverageRows.append(
                    CoverageRow(sensor: "zeek-1", client: address(i), day: VerdictTime.iso(start).prefix(10).description, firstSeen: start + 300,
                                lastSeen: start + 86_000, rows: 40, evidenceFile: "/logs/conn.\(d).log", evidenceLine: i + 1))
            }
            if i % 100 == 0 {
                let finding = IndicatorFinding.hashHit(indicator, path: "C:\\3CX\\ffmpeg.dll", md5: nil, sha1: nil, sha256: ffmpeg)
                inputs.findings.append(
                    StoredFinding(id: Int64(i), hostID: Int64(i + 1), hostname: name, finding: finding, firstSeen: Date(timeIntervalSince1970: day0 + 3600),
                                  lastSeen: Date(timeIntervalSince1970: asOf)))
            }
            if i % 1000 == 0 || i % 1000 == 500 {
                inputs.network.append(
                    StoredNetworkEvidence(
                        id: Int64(i), evidence: NetworkEvidence(
                            kind: .indicatorContact, host: "", address: address(i), destination: "akamaicontainer.com", indicator: "akamaicontainer.com",
                            channel: "dns-query", sensor: "zeek-1", firstSeen: day0 + 7200, lastSeen: day0 + 9000, count: 3,
                            evidence: [LogReference(file: "/logs/dns.log", line: i + 1)]),
                        recordedAt: Date(timeIntervalSince1970: asOf)))
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        var report = VerdictRunReport()
        let context = VerdictService.join(inputs, options: VerdictServiceOptions(), indicators: DefaultIndicators.indicatorSet, report: &report)
        let joined = clock.now
        let (verdicts, _) = VerdictService.evaluate(context, rules: VerdictRules(asOf: asOf), report: &report)
        let end = clock.now
        print("verdict pass, \(count) hosts, \(inputs.coverageRows.count) coverage rows: join \(joined - start), engine \(end - joined), total \(end - start)")
        #expect(verdicts.count == count)
        // i % 1000 == 0: file and contact → active; other multiples of 100: file, covered → dormant;
        // i % 1000 == 500: file (500 is a multiple of 100) and contact → active too.
        let active = (0..<count).filter { $0 % 1000 == 0 || $0 % 1000 == 500 }.count
        let dormant = (0..<count).filter { $0 % 100 == 0 }.count - active
        #expect(report.states["active"] == active)
        #expect(report.states["dormant"] == dormant)
        #expect(report.states["clean"] == count - active - dormant)
        #expect(report.unattributedEvidence == 0 && report.unattributedCoverageRows == 0)
    }
}
