import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

/// Each reason of Vigil's beacon ranking, alone, then together in the engine.
@Suite struct BeaconReasonTests {
    // MARK: prevalence

    @Test func prevalenceIsNeutralWithTooFewHosts() {
        let r = BeaconRanking.prevalence(hosts: 1, of: 1)
        #expect(r.name == "prevalence" && r.effect == 0)
        #expect(r.value == "1 of 1 internal host(s) (100 %)")
        #expect(BeaconRanking.prevalence(hosts: 3, of: 3).effect == 0)
    }

    @Test func prevalenceFollowsRITAsThresholds() {
        #expect(BeaconRanking.prevalence(hosts: 4, of: 4).effect == BeaconRanking.Effect.common)
        #expect(BeaconRanking.prevalence(hosts: 5, of: 10).effect == BeaconRanking.Effect.common)
        #expect(BeaconRanking.prevalence(hosts: 4, of: 10).effect == 0)
        #expect(BeaconRanking.prevalence(hosts: 1, of: 10).effect == 0)  // 10 %: neither
        #expect(BeaconRanking.prevalence(hosts: 1, of: 50).effect == BeaconRanking.Effect.rare)  // 2 %
        #expect(BeaconRanking.prevalence(hosts: 2, of: 99).effect == 0)  // 2.02 %
        #expect(BeaconRanking.prevalence(hosts: 1, of: 40).value == "1 of 40 internal host(s) (2.5 %)")
    }

    // MARK: known services

    @Test func knownServicesMatchWholeLabelsOnly() {
        let s = KnownServices.builtIn
        #expect(s.match("v10.events.data.microsoft.com")?.value == "events.data.microsoft.com")
        #expect(s.match("PICO.ESET.COM.")?.value == "eset.com")
        #expect(s.match("pollserver.lastpass.com")?.value == "pollserver.lastpass.com")  // nearest entry wins
        #expect(s.match("events.data.microsoft.com.example.net") == nil)
        #expect(s.match("notgrammarly.com") == nil)
        #expect(s.match("msedgepackageinfo.com") == nil)
        #expect(s.match("akamaicontainer.com") == nil)
        #expect(s.match("3cx.com") == nil && s.match("update.3cx.com") == nil)
        for e in s.entries { #expect(!e.source.isEmpty && !e.service.isEmpty, "\(e.value)") }
        let hit = BeaconRanking.knownService(name: "t8.dropbox.com", services: s)
        #expect(hit.effect == BeaconRanking.Effect.knownService && hit.value.hasPrefix("dropbox.com: "))
        #expect(BeaconRanking.knownService(name: "c2.example", services: s).effect == 0)
        #expect(BeaconRanking.knownService(name: nil, services: s).effect == 0)
    }

    @Test func aUserFileAddsAndRemovesEntriesAndReportsBadLines() {
        var s = KnownServices.builtIn
        let before = s.count
        let problems = s.apply(file: """
            \u{FEFF}# our agents
            *.agent.corp.example   Corp inventory agent, polls every 5 min
            203.0.113.0/24	backup provider
            telemetry.vendor.example
            !dropbox.com

            not a domain
            !never-listed.example
            """, source: "services.txt")
        #expect(s.match("a.agent.corp.example")?.service == "Corp inventory agent, polls every 5 min")
        #expect(s.match("a.agent.corp.example")?.source == "services.txt:2")
        #expect(s.match(address: IPAddress("91.228.167.171")!)?.value == "91.228.167.0/24")  // ESET's network, built in
        #expect(s.match("telemetry.vendor.example")?.service == "listed in services.txt")
        #expect(s.match("t8.dropbox.com") == nil)
        #expect(s.match(address: IPAddress("203.0.113.77")!)?.service == "backup provider")
        #expect(s.match(address: IPAddress("203.0.114.1")!) == nil)
        #expect(s.count == before + 2)
        #expect(problems.map(\.line) == [7, 8])
        #expect(problems.first?.description == "services.txt:7: 'not' is neither a domain nor a CIDR")
    }

    // MARK: first seen

    @Test func firstSeenInShortLogsIsShownWithoutEffect() {
        let start = 1_680_048_000.0
        let fromStart = BeaconRanking.firstSeen(destination: start + 120, hostStart: start, logsEnd: start + 86_400)
        #expect(fromStart.name == "first-seen" && fromStart.effect == 0)
        #expect(fromStart.value == "first seen 2 min after the host's first row, 23 h 58 min before the end (host's rows span 1 d 0 h)")
        let later = BeaconRanking.firstSeen(destination: start + 5 * 3600, hostStart: start, logsEnd: start + 6 * 86_400)
        #expect(later.effect == 0 && later.value.hasPrefix("first seen 5 h 0 min after"))
    }

    @Test func firstSeenInLongLogsUsesRITAsModifiers() {
        let end = 1_680_048_000.0
        let start = end - 60 * 86_400
        #expect(BeaconRanking.firstSeen(destination: end - 2 * 86_400, hostStart: start, logsEnd: end).effect == BeaconRanking.Effect.recentInLongLogs)
        #expect(BeaconRanking.firstSeen(destination: end - 45 * 86_400, hostStart: start, logsEnd: end).effect == BeaconRanking.Effect.established)
        #expect(BeaconRanking.firstSeen(destination: end - 10 * 86_400, hostStart: start, logsEnd: end).effect == 0)
    }

    // MARK: indicator

    @Test func indicatorMatch() {
        #expect(BeaconRanking.indicator(nil).effect == 0)
        let r = BeaconRanking.indicator((value: "akamaicontainer.com", rule: "exact domain", feeds: ["default", "sophos"]))
        #expect(r.effect == BeaconRanking.Effect.indicator)
        #expect(r.value == "akamaicontainer.com (exact domain; feeds: default, sophos)")
    }

    // MARK: brand impersonation

    /// The 21 published 3CX C2 names: those that borrow a brand are caught, with the right brand.
    @Test func threeCXLookAlikesAreCaught() {
        let expected: [String: String] = [
            "akamaicontainer.com": "Akamai", "akamaitechcloudservices.com": "Akamai", "azuredeploystore.com": "Microsoft",
            "azureonlinecloud.com": "Microsoft", "azureonlinestorage.com": "Microsoft", "msedgepackageinfo.com": "Microsoft",
            "msstorageazure.com": "Microsoft", "officeaddons.com": "Microsoft", "officestoragebox.com": "Microsoft",
            "visualstudiofactory.com": "Microsoft",
        ]
        for (name, brand) in expected {
            #expect(BrandImpersonation.check(name)?.brand == brand, "\(name)")
            #expect(BeaconRanking.impersonation(name: "cdn." + name, knownService: false).effect == BeaconRanking.Effect.impersonation, "\(name)")
        }
        // The 3CX names that borrow no brand.
        for name in ["dunamistrd.com", "glcloudservice.com", "journalide.org", "pbxsources.com", "qwepoi123098.com", "sbmsa.wiki", "zacharryblogs.com"] {
            #expect(BrandImpersonation.check(name) == nil, "\(name)")
        }
    }

    @Test func genuineBrandDomainsAreNotImpersonations() {
        for name in [
            "a1234.dscb.akamai.net", "e3913.dscx.akamaiedge.net", "www.microsoft.com", "login.microsoftonline.com", "portal.azure.com",
            "myapp.azurewebsites.net", "evoke-windowsservices-tas.msedge.net", "nexusrules.officeapps.live.com", "www.google.cz",
            "www.google.co.uk", "fonts.gstatic.com", "crl.sca1b.amazontrust.com", "www.libreoffice.org", "raw.githubusercontent.com",
            "www.3cx.com", "203.0.113.5", "localhost",
        ] {
            #expect(BrandImpersonation.check(name) == nil, "\(name)")
        }
    }

    @Test func brandInASubdomainOfAnotherDomainIsCaught() {
        let m = BrandImpersonation.check("login.microsoft.com.account-verify.example")
        #expect(m?.brand == "Microsoft" && m?.label == "microsoft" && m?.registeredDomain == "account-verify.example")
        #expect(BrandImpersonation.check("office.example.edu") == nil)  // `office` counts only in the registered label
        #expect(BrandImpersonation.check("www.officedepot.com")?.brand == "Microsoft")  // the documented false positive
        #expect(BrandImpersonation.registeredDomain("a.b.example.co.uk") == "example.co.uk")
        #expect(BrandImpersonation.registeredDomain("a.b.example.cz") == "example.cz")
    }

    @Test func knownServicesAreNotCheckedForImpersonation() {
        #expect(BeaconRanking.impersonation(name: "azureonlinestorage.com", knownService: true).effect == 0)
        #expect(BeaconRanking.impersonation(name: nil, knownService: false).effect == 0)
    }

    // MARK: the score

    @Test func vigilScoreAddsEffectsAndClamps() {
        let r = { (e: Double) in BeaconReason(name: "x", value: "", effect: e, explanation: "") }
        #expect(BeaconRanking.vigilScore(rita: 0.7, reasons: [r(-0.3), r(0.05)]) == 0.45)
        #expect(BeaconRanking.vigilScore(rita: 0.9, reasons: [r(0.5)]) == 1)
        #expect(BeaconRanking.vigilScore(rita: 0.2, reasons: [r(-0.3)]) == 0)
        #expect(BeaconRanking.vigilScore(rita: 0.612, reasons: []) == 0.612)
    }

    @Test func positiveReasonsNeverMakeAnIrregularPairABeacon() {
        #expect(BeaconRanking.isReported(rita: 0.6, vigil: 0.75, threshold: 0.5))
        #expect(!BeaconRanking.isReported(rita: 0.375, vigil: 0.525, threshold: 0.5))  // rare destination alone
        #expect(!BeaconRanking.isReported(rita: 0.9, vigil: 0.5 - 0.001, threshold: 0.5))  // lowered by a known service
        #expect(BeaconRanking.isReported(rita: 0.5, vigil: 0.5, threshold: 0.5))
    }

    /// An address pair (connections with no TLS record) is a known service when TLS rows showed a
    /// listed name on that address; the first-seen value counts from the host's first row.
    @Test func anAddressThatServedAKnownNameIsAKnownService() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let day0 = 1_680_048_000.0
        var ssl = PartialLogBeaconTests.sslHeader
        var conn = HuntFixtures.connHeader
        for i in 0..<96 {
            let t = day0 + 3600 + Double(i) * 900
            ssl += String(format: "%.6f", t + 0.1) + "\tT\(i)\t10.1.1.30\t50\(i)\t198.51.100.20\t443\tTLSv12\tpico.eset.com\tT\n"
            conn += String(format: "%.6f", t) + "\tT\(i)\t10.1.1.30\t50\(i)\t198.51.100.20\t443\ttcp\tssl\t0.3\t300\t200\tSF\t500\n"
            conn += String(format: "%.6f", t + 450) + "\tB\(i)\t10.1.1.30\t60\(i)\t198.51.100.20\t443\ttcp\t-\t0.1\t0\t0\tS0\t60\n"
        }
        conn += String(format: "%.6f", day0) + "\tX0\t10.1.1.30\t7000\t192.0.2.1\t80\ttcp\t-\t0.1\t0\t0\tS0\t60\n"
        let report = try HuntFixtures.hunt([try HuntFixtures.write(ssl, "ssl.log", in: dir), try HuntFixtures.write(conn, "conn.log", in: dir)])
        let address = try #require(report.beacons.first { $0.destination == "198.51.100.20" })
        #expect(address.connections == 96 && address.evidenceLogs == ["conn"])
        let known = address.reasons[1]
        #expect(known.name == "known-service" && known.effect == BeaconRanking.Effect.knownService)
        #expect(known.value.hasPrefix("198.51.100.20 served pico.eset.com in HTTP/TLS rows; eset.com: "))
        let named = try #require(report.beacons.first { $0.destination == "pico.eset.com" })
        #expect(named.evidenceLogs == ["conn", "tls"] && named.connections == 96)
        #expect(named.reasons[2].value.hasPrefix("first seen 1 h 0 min after the host's first row"))
    }

    /// In the engine: the same regular beacon to four destinations, ranked by the reasons.
    @Test func theEngineAttachesEveryReasonAndRanksByVigilScore() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let day0 = 1_680_048_000.0
        var ssl = PartialLogBeaconTests.sslHeader
        let names = ["pico.eset.com", "cdn.example.net", "msedgepackageinfo.com", "c2.badness.example"]
        var i = 0
        for (k, name) in names.enumerated() {
            var t = day0 + Double(k) * 7
            while t < day0 + 86_400 {
                ssl += String(format: "%.6f", t) + "\tS\(i)\t10.1.1.30\t50\(i % 1000)\t198.51.100.\(k + 1)\t443\tTLSv12\t\(name)\tT\n"
                i += 1
                t += 300 + Double(i % 3)
            }
        }
        let log = try HuntFixtures.write(ssl, "ssl.log", in: dir)
        let report = try HuntFixtures.hunt([log], indicators: HuntFixtures.indicators([(.domain, "badness.example")]))
        let byName = Dictionary(uniqueKeysWithValues: report.beacons.map { ($0.destination, $0) })
        for b in report.beacons {
            #expect(b.reasons.map(\.name) == ["prevalence", "known-service", "first-seen", "indicator", "brand-impersonation"])
            #expect(b.vigilScore == BeaconRanking.vigilScore(rita: b.ritaScore, reasons: b.reasons))
        }
        let eset = try #require(byName["pico.eset.com"]), plain = try #require(byName["cdn.example.net"])
        let lookAlike = try #require(byName["msedgepackageinfo.com"]), c2 = try #require(byName["c2.badness.example"])
        #expect(abs(eset.ritaScore - plain.ritaScore) < 0.02)  // same behaviour…
        #expect(eset.vigilScore < plain.vigilScore)  // …but a known service
        #expect(lookAlike.vigilScore > plain.vigilScore)
        #expect(c2.reasons[3].effect == BeaconRanking.Effect.indicator && c2.reasons[3].value.contains("badness.example"))
        #expect(c2.vigilScore == 1 && c2.vigilScore >= lookAlike.vigilScore)  // both may reach the cap
        #expect(report.beacons.last?.destination == "pico.eset.com")

        // A user file that removes ESET from the list puts it level with the plain name.
        var services = KnownServices.builtIn
        services.apply(file: "!eset.com\n", source: "mine.txt")
        let custom = try HuntFixtures.hunt([log]) { $0.knownServices = services }
        let esetAgain = try #require(custom.beacons.first { $0.destination == "pico.eset.com" })
        #expect(esetAgain.reasons[1].effect == 0 && esetAgain.vigilScore == esetAgain.ritaScore)
    }
}
