import Foundation
import Testing
import VigilCore
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

/// Hunt results as findings (``HuntFindings``) and the address matcher hunt uses per record.
@Suite struct HuntFindingsTests {
    /// Hunt's per-record address lookup (``IndicatorMatcher/matchAddress(_:)``, the set's prefix
    /// tables) against a brute-force scan over every network with ``IPNetwork/contains(_:)``: the
    /// most specific network must win, for IPv4 and IPv6 alike.
    @Test func addressMatcherAgreesWithLinearScan() {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var values: [(IndicatorKind, String)] = []
        var networks: [(IPNetwork, String)] = []
        for i in 0..<400 {
            let text: String
            if i % 2 == 0 {
                let bits = Int(next() % 33)
                let v4 = UInt32(truncatingIfNeeded: next()) & 0x00FF_FFFF | 0xC000_0000  // 192.0.0.0/8 keeps overlaps likely
                text = Normalizer.normalizeCIDR(Normalizer.formatIPv4(v4) + "/\(bits)")!
            } else {
                let bits = Int(next() % 129)
                let a = IPAddress(high: 0x2001_0db8_0000_0000 | (next() & 0xffff), low: next())
                text = Normalizer.normalizeCIDR(a.description + "/\(bits)")!
            }
            guard !networks.contains(where: { $0.1 == text }), let n = IPNetwork(text) else { continue }
            values.append((.cidr, text))
            networks.append((n, text))
        }
        let matcher = IndicatorMatcher(HuntFixtures.indicators(values))
        #expect(matcher.hasAddressIndicators)
        var hits = 0
        for q in 0..<20_000 {
            let (base, _) = networks[Int(next() % UInt64(networks.count))]
            var ip = base.address
            // Random host bits, sometimes anywhere at all.
            if base.address.isIPv4 {
                ip = IPAddress(v4: (base.address.v4 ?? 0) ^ (q % 5 == 0 ? UInt32(truncatingIfNeeded: next()) : UInt32(truncatingIfNeeded: next()) & 0xFF))
            } else {
                ip = IPAddress(high: base.address.high ^ (q % 5 == 0 ? next() : 0), low: base.address.low ^ next())
            }
            let expected = networks.filter { $0.0.contains(ip) }.max { $0.0.bits < $1.0.bits }?.1
            let got = matcher.matchAddress(ip)
            #expect(got?.indicator.value == expected, "\(ip)")
            if let got { #expect(got.rule == "inside \(got.indicator.value)") }
            if expected != nil { hits += 1 }
        }
        #expect(hits > 4_000)
        #expect(!IndicatorMatcher(HuntFixtures.indicators([(.domain, "evil.example")])).hasAddressIndicators)
    }

    @Test func hitsBecomeFindingsWithCheckSeverityAttackAndLocation() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dns = try HuntFixtures.write(
            HuntFixtures.dnsHeader
                + "1680000000\tC1\t10.0.0.5\t1\t10.0.0.1\t53\tudp\twww.evil.example\tA\tNOERROR\t203.0.113.9\t60\n"
                + "1680000060\tC2\t10.0.0.5\t1\t10.0.0.1\t53\tudp\twww.evil.example\tA\tNOERROR\t-\t-\n",
            "dns.log", in: dir)
        let report = try HuntFixtures.hunt(
            [dns], indicators: HuntFixtures.indicators([(.domain, "evil.example"), (.ipv4, "203.0.113.9")]))
        let findings = report.findings
        let query = try #require(findings.first { $0.check == "net.ioc.domain" })
        #expect(query.severity == .high)
        #expect(query.attack == ["T1071"])
        #expect(query.path == dns.path)
        #expect(query.line == 8)
        #expect(query.indicator == "evil.example")
        #expect(query.evidence["client"] == .string("10.0.0.5"))
        #expect(query.evidence["name"] == .string("www.evil.example"))
        #expect(query.evidence["count"] == .int(2))
        #expect(query.evidence["first_seen"] == .string("2023-03-28T10:40:00Z"))
        #expect(query.evidence["last_seen"] == .string("2023-03-28T10:41:00Z"))
        #expect(query.explanation.contains("subdomain of evil.example"))
        let answer = try #require(findings.first { $0.check == "net.ioc.ip" })
        #expect(answer.severity == .medium)  // only a DNS answer held the address
        #expect(answer.evidence["server"] == .string("203.0.113.9"))
        #expect(findings.count == report.hits.count)
    }

    @Test func severitiesAndChecksPerChannelAndKind() {
        #expect(HuntFindings.check(for: .domain) == "net.ioc.domain")
        #expect(HuntFindings.check(for: .cidr) == "net.ioc.ip")
        #expect(HuntFindings.check(for: .ipv6) == "net.ioc.ip")
        #expect(HuntFindings.check(for: .url) == "net.ioc.url")
        #expect(HuntFindings.severity(for: .httpURL) == .critical)
        #expect(HuntFindings.severity(for: .tlsSNI) == .high)
        #expect(HuntFindings.severity(for: .dnsAnswer) == .medium)
        #expect(HuntFindings.attack(for: .tlsSNI) == ["T1071.001", "T1573"])
        #expect(HuntFindings.severity(suricata: 1) == .high)
        #expect(HuntFindings.severity(suricata: 9) == .info)
        #expect(HuntFindings.splitLocation("/var/log/a:b/conn.log:42") == ("/var/log/a:b/conn.log", 42))
        #expect(HuntFindings.splitLocation("no-line") == ("no-line", nil))
    }

    @Test func beaconsBecomeFindingsRankedWithScores() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var conn = HuntFixtures.connHeader
        for i in 0..<200 {
            conn += "\(1_680_000_000 + i * 60).000000\tC\(i)\t10.0.0.7\t50000\t198.51.100.20\t443\ttcp\tssl\t1.0\t300\t4000\tSF\t340\n"
        }
        let file = try HuntFixtures.write(conn, "conn.log", in: dir)
        let report = try HuntFixtures.hunt([file])
        let beacon = try #require(report.findings.first { $0.check == "net.beacon" })
        let result = try #require(report.beacons.first)
        #expect(beacon.title.hasPrefix("10.0.0.7 beacons to 198.51.100.20"))
        #expect(beacon.score == Int((result.scores.score * 100).rounded()))
        #expect(beacon.severity == HuntFindings.severity(for: result))
        #expect(beacon.evidence["server"] == .string("198.51.100.20"))
        #expect(beacon.evidence["connections"] == .int(200))
        #expect(beacon.evidence["score"] == .double(result.scores.score))
        #expect(beacon.path == file.path)
        #expect(beacon.line != nil)
        #expect(beacon.attack == ["T1071"])
    }
}
