import Foundation
import Testing
import VigilDefaults
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

/// A generated day of a small network: normal DNS with the 3CX C2 lookups mixed in (upper case,
/// trailing dots, subdomains, look-alikes that must NOT match), and connections with one jittered
/// beacon hidden among random traffic.
@Suite struct GeneratedDayTests {
    static let day0 = 1_680_048_000.0  // 2023-03-29T00:00:00Z
    static let beaconSource = "10.20.5.23"
    static let beaconDestination = "198.51.100.77"

    /// The C2 lookups put into the log: (client, name as logged, normalised name, indicator).
    static let c2Lookups: [(String, String, String, String)] = [
        ("10.20.1.10", "AKAMAICONTAINER.COM", "akamaicontainer.com", "akamaicontainer.com"),
        ("10.20.1.11", "msstorageazure.com.", "msstorageazure.com", "msstorageazure.com"),
        ("10.20.1.12", "cdn.PBXSources.com", "cdn.pbxsources.com", "pbxsources.com"),
        ("10.20.1.13", "Www.JournalIde.Org.", "www.journalide.org", "www.journalide.org"),
        ("10.20.1.14", "api.v2.sbmsa.wiki", "api.v2.sbmsa.wiki", "sbmsa.wiki"),
        ("10.20.5.23", "officeaddons.com", "officeaddons.com", "officeaddons.com"),
    ]
    /// Look-alikes that a substring search would flag and a field-correct match must not.
    static let lookAlikes = ["akamaicontainer.com.example.net", "notpbxsources.com", "sbmsa.wikipedia.org", "journalide.org.uk", "xofficeaddons.com"]

    static func generate(in dir: URL) throws -> (dns: URL, conn: URL) {
        var rng = SeededRandom(seed: 20230329)
        var dns = HuntFixtures.dnsHeader
        let normal = ["www.example.com", "mail.example.org", "updates.vendor.test", "cdn.shop.test", "api.service.test", "intranet.corp.test"]
        var lines: [(Double, String)] = []
        for i in 0..<4000 {
            let t = day0 + Double.random(in: 0..<86400, using: &rng)
            let host = "10.20.\(Int.random(in: 1...9, using: &rng)).\(Int.random(in: 2...200, using: &rng))"
            let name = i % 50 == 0 ? lookAlikes[(i / 50) % lookAlikes.count] : normal[Int.random(in: 0..<normal.count, using: &rng)]
            lines.append((t, "\(host)\t5353\t10.20.0.1\t53\tudp\t\(name)\tA\tNOERROR\t192.0.2.\(i % 250 + 1)\t60"))
        }
        for (k, lookup) in c2Lookups.enumerated() {
            for j in 0..<(k + 1) {  // lookup k appears k+1 times
                let t = day0 + 3600 * Double(k + 1) + Double(j) * 900
                lines.append((t, "\(lookup.0)\t5353\t10.20.0.1\t53\tudp\t\(lookup.1)\tA\tNOERROR\t203.0.113.\(k + 1)\t60"))
            }
        }
        lines.sort { $0.0 < $1.0 }
        for (i, line) in lines.enumerated() { dns += String(format: "%.6f", line.0) + "\tD\(i)\t" + line.1 + "\n" }

        var conn = HuntFixtures.connHeader
        var rows: [(Double, String)] = []
        // Random traffic: 60 hosts × 40 connections to 300 destinations, some repeated pairs.
        for i in 0..<2400 {
            let t = day0 + Double.random(in: 0..<86400, using: &rng)
            let src = "10.20.\(i % 6 + 1).\(i % 60 + 2)"
            let dst = "192.0.2.\(Int.random(in: 1...30, using: &rng))"
            rows.append((t, "\(src)\t4\(i % 1000)\t\(dst)\t443\ttcp\tssl\t0.5\t\(Int.random(in: 200...90000, using: &rng))\t1000\tSF\t\(Int.random(in: 300...90000, using: &rng))"))
        }
        // The beacon: every 600 s ± 10 % jitter, 1500 ± 20 bytes, all day.
        var t = day0 + 17
        while t < day0 + 86400 {
            rows.append((t, "\(beaconSource)\t50000\t\(beaconDestination)\t443\ttcp\tssl\t0.2\t1200\t800\tSF\t\(1500 + Int.random(in: -20...20, using: &rng))"))
            t += 600 + Double.random(in: -60...60, using: &rng)
        }
        rows.sort { $0.0 < $1.0 }
        for (i, row) in rows.enumerated() { conn += String(format: "%.6f", row.0) + "\tC\(i)\t" + row.1 + "\n" }
        return (try HuntFixtures.write(dns, "dns.log", in: dir), try HuntFixtures.write(conn, "conn.log", in: dir))
    }

    @Test func everyC2LookupIsFoundAndTheBeaconRanksFirst() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (dns, conn) = try Self.generate(in: dir)
        let gz = try HuntFixtures.gzip(dns)
        let report = try HuntFixtures.hunt([gz, conn], indicators: DefaultIndicators.indicatorSet) { $0.minimumBeaconScore = 0.5 }
        #expect(report.records["dns"] == 4000 + 21)
        let queryHits = report.hits.filter { $0.channel == .dnsQuery }
        for (k, lookup) in Self.c2Lookups.enumerated() {
            let hit = queryHits.first { $0.host == lookup.0 && $0.observed == lookup.2 }
            #expect(hit?.indicator == lookup.3, "\(lookup.1)")
            #expect(hit?.count == k + 1, "\(lookup.1)")
            #expect(hit?.feeds == ["default"])
            #expect(hit?.evidence.first?.hasPrefix(gz.path + ":") == true)
        }
        #expect(queryHits.count == Self.c2Lookups.count)
        for lookAlike in Self.lookAlikes { #expect(!report.hits.contains { $0.observed == lookAlike }) }
        let first = try #require(report.beacons.first)
        #expect(first.source == Self.beaconSource)
        #expect(first.destination == Self.beaconDestination)
        #expect(first.scores.score > 0.9)
        #expect(report.beacons.dropFirst().allSatisfy { $0.scores.score < first.scores.score })
    }
}
