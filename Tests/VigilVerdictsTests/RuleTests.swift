import Testing
import VigilCore
import VigilHunt
import VigilIndicators

@testable import VigilVerdicts

@Suite struct AttributionTests {
    static let t0 = 1_680_048_000.0

    @Test func mappingFileEntriesAndErrorsWithLines() {
        let text = """
            # comment
            10.0.0.0/24     lab-net
            10.0.0.7        printer.corp   2023-03-29  2023-03-30T00:00:00Z
            10.0.0.8        kiosk          -           2023-03-29T12:00:00+02:00
            192.0.2.1       @nat
            192.0.2.2       @proxy  1680048000 -
            not-an-address  host
            10.0.0.9        host           yesterday   -
            10.0.0.10       host           2023-03-30  2023-03-29
            10.0.0.11       @router
            10.0.0.12
            """
        let m = MappingFile(text: text, path: "hosts.map")
        #expect(m.entries.count == 5)
        #expect(m.diagnostics.map(\.line) == [7, 8, 9, 10, 11])
        #expect(m.entries[1].period == Period(start: Self.t0, end: Self.t0 + 86_400))
        #expect(m.entries[2].period == Period(start: -.infinity, end: Self.t0 + 10 * 3600))
        #expect(m.entries[3].target == .shared(.nat))
        #expect(m.entries[4].period == Period(start: Self.t0, end: .infinity))
        #expect(m.entries[0].evidence == "hosts.map:2")
    }

    @Test func precedenceNATThenDynamicThenMostSpecificStatic() {
        let mapping = MappingFile(text: "10.0.0.0/16 office-net\n10.0.5.0/24 lab-net\n10.0.5.0/24 other-net\n10.0.9.9 @proxy\n10.0.1.1 static-host\n", path: "m")
        let book = AddressBook(
            agents: [
                AgentAddress(host: "laptop.corp", address: "10.0.1.1", firstSeen: Self.t0, lastSeen: Self.t0 + 100),
                AgentAddress(host: "dup-1", address: "10.0.2.2", firstSeen: Self.t0, lastSeen: Self.t0 + 100),
                AgentAddress(host: "dup-2", address: "10.0.2.2", firstSeen: Self.t0 + 50, lastSeen: Self.t0 + 200),
                AgentAddress(host: "proxy-box", address: "10.0.9.9", firstSeen: Self.t0, lastSeen: Self.t0 + 100),
            ], mapping: mapping)
        // The agent's report beats the static line while it lasts; afterwards the static line holds.
        #expect(book.attribute("10.0.1.1", at: Self.t0 + 10).host == "laptop.corp")
        #expect(book.attribute("10.0.1.1", at: Self.t0 + 1000).host == "static-host")
        #expect(book.attribute("10.0.2.2", at: Self.t0 + 10).host == "dup-1")
        #expect(book.attribute("10.0.2.2", at: Self.t0 + 60) == .unattributed(.ambiguous(hosts: ["dup-1", "dup-2"])))
        #expect(book.attribute("10.0.9.9", at: Self.t0 + 10) == .unattributed(.sharedAddress(kind: .proxy, evidence: "m:4")))
        #expect(book.attribute("10.0.3.3", at: Self.t0).host == "office-net")
        #expect(book.attribute("10.0.5.3", at: Self.t0) == .unattributed(.ambiguous(hosts: ["lab-net", "other-net"])))
        #expect(book.attribute("10.1.0.1", at: Self.t0) == .unattributed(.unknownAddress))
        #expect(book.attribute("garbage", at: Self.t0) == .unattributed(.invalidAddress))
    }

    @Test func leasesEndWhenTheAddressMovesAndShortNamesAlias() {
        func lease(_ mac: String, _ name: String?, _ start: Double, _ end: Double?, _ line: Int) -> DHCPLease {
            DHCPLease(address: "10.0.0.50", mac: mac, hostName: name, start: start, end: end, evidenceFile: "dhcp.log", evidenceLine: line)
        }
        let book = AddressBook(
            agents: [AgentAddress(host: "ws-1.corp.example", address: "10.9.9.1", firstSeen: 0, lastSeen: 1)],
            leases: [
                lease("aa", "WS-1", Self.t0, Self.t0 + 86_400, 1),
                lease("aa", "WS-1", Self.t0 + 3600, Self.t0 + 90_000, 2),  // a renewal, same holder
                lease("bb", nil, Self.t0 + 43_200, nil, 3),  // another device takes it at noon, no lease time
                lease("cc", "ws-3", Self.t0 + 80_000, Self.t0 + 80_100, 4),
            ], aliases: ["BB": "phone-7"])
        #expect(book.attribute("10.0.0.50", at: Self.t0 + 100).host == "ws-1.corp.example")
        #expect(book.attribute("10.0.0.50", at: Self.t0 + 43_199).host == "ws-1.corp.example")
        #expect(book.attribute("10.0.0.50", at: Self.t0 + 43_201).host == "phone-7")
        #expect(book.attribute("10.0.0.50", at: Self.t0 + 80_050).host == "ws-3")
        // A lease without a lease time ends at the next lease of the address.
        #expect(book.attribute("10.0.0.50", at: Self.t0 + 80_200) == .unattributed(.unknownAddress))
        #expect(book.attribute("10.0.0.50", at: Self.t0 - 1) == .unattributed(.unknownAddress))
    }

    @Test func largeMappingFilesAreIndexedNotScanned() {
        var text = "10.0.0.0/8 corp-net\n"
        for i in 0..<50_000 { text += "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255) host-\(i)\n" }
        let book = AddressBook(mapping: MappingFile(text: text, path: "big.map"))
        let clock = ContinuousClock()
        let start = clock.now
        for i in stride(from: 0, to: 50_000, by: 7) {
            #expect(book.attribute("10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)", at: Self.t0).host == "host-\(i)")
        }
        #expect(book.attribute("10.200.0.1", at: Self.t0).host == "corp-net")
        #expect(clock.now - start < .seconds(10))
    }

    @Test func timesParseAndPrint() {
        #expect(VerdictTime.parse("2023-03-29") == Self.t0)
        #expect(VerdictTime.parse("2023-03-29T01:02:03Z") == Self.t0 + 3723)
        #expect(VerdictTime.parse("2023-03-29T01:02:03.5-01:00") == Self.t0 + 3723.5 + 3600)
        #expect(VerdictTime.parse("1680048000") == Self.t0)
        for bad in ["2023-13-01", "2023-03-29T25:00", "2023-03-29X", "", "yesterday", "2023-03-29T01:02:03+0100"] { #expect(VerdictTime.parse(bad) == nil, "\(bad)") }
        #expect(VerdictTime.iso(Self.t0 + 3723) == "2023-03-29T01:02:03Z")
        #expect(LogReference("/a:b/c.log:12") == LogReference(file: "/a:b/c.log", line: 12))
        #expect(LogReference("c.log") == nil)
    }
}

@Suite struct CoverageTests {
    static let t0 = 1_680_048_000.0

    static func row(_ client: String, _ name: String, _ first: Double, _ last: Double, line: Int) -> ContactRow {
        ContactRow(day: "2023-03-29", client: client, name: name, count: 2, firstSeen: first, lastSeen: last, logs: ["dns"], evidenceFile: "dns.log", evidenceLine: line)
    }

    @Test func windowsMergeWithinTheGapAndMissingPeriodsAreExact() {
        var s1 = ContactSummary(sensor: "zeek-1", maxRows: 10)
        s1.names = [
            Self.row("10.0.0.1", "a", Self.t0 + 0, Self.t0 + 3600, line: 5),
            Self.row("10.0.0.1", "b", Self.t0 + 5000, Self.t0 + 7200, line: 6),
            Self.row("10.0.0.1", "c", Self.t0 + 30_000, Self.t0 + 40_000, line: 7),
            Self.row("10.0.0.2", "a", Self.t0 + 100, Self.t0 + 200, line: 8),  // address moves in between: points only
            Self.row("10.7.7.7", "a", Self.t0, Self.t0, line: 9),  // nobody's
        ]
        var s2 = ContactSummary(sensor: "proxy-1", maxRows: 10)
        s2.names = [Self.row("10.0.0.1", "x", Self.t0 + 20_000, Self.t0 + 21_000, line: 3)]
        let book = AddressBook(agents: [
            AgentAddress(host: "h1", address: "10.0.0.1", firstSeen: Self.t0, lastSeen: Self.t0 + 86_400),
            AgentAddress(host: "h2", address: "10.0.0.2", firstSeen: Self.t0, lastSeen: Self.t0 + 150),
            AgentAddress(host: "h3", address: "10.0.0.2", firstSeen: Self.t0 + 151, lastSeen: Self.t0 + 86_400),
        ])
        let c = Coverage(summaries: [s1, s2], addresses: book, maxGap: 3600)
        let h1 = c.windows(for: "H1")
        #expect(h1.map(\.sensor) == ["proxy-1", "zeek-1", "zeek-1"])
        #expect(h1[1].period == Period(start: Self.t0, end: Self.t0 + 7200))
        #expect(h1[1].rows == 2)
        #expect(h1[1].firstEvidence == "dns.log:5")
        #expect(c.windows(for: "h2").map(\.period) == [Period(start: Self.t0 + 100, end: Self.t0 + 100)])
        #expect(c.windows(for: "h3").map(\.period) == [Period(start: Self.t0 + 200, end: Self.t0 + 200)])
        #expect(c.unattributed.count == 1)
        #expect(c.unattributed.first?.reason == .unknownAddress)
        // h1 is covered 0–7200, 20000–21000, 30000–40000: over 0–50000 with 1 h tolerance the gaps
        // 7200–20000, 21000–30000 and 40000–50000 are missing.
        let missing = c.missing(for: "h1", over: Period(start: Self.t0, end: Self.t0 + 50_000), tolerance: 3600)
        #expect(missing == [Period(start: Self.t0 + 7200, end: Self.t0 + 20_000), Period(start: Self.t0 + 21_000, end: Self.t0 + 30_000), Period(start: Self.t0 + 40_000, end: Self.t0 + 50_000)])
        #expect(c.missing(for: "h1", over: Period(start: Self.t0, end: Self.t0 + 50_000), tolerance: 13_000).isEmpty)
        #expect(c.missing(for: "nobody", over: Period(start: Self.t0, end: Self.t0 + 10), tolerance: 3600) == [Period(start: Self.t0, end: Self.t0 + 10)])
    }
}

@Suite struct VerdictRuleTests {
    static let t0 = 1_680_048_000.0

    static func file(_ firstSeen: Double, kind: FileCheckKind = .hash, severity: Severity = .critical, campaigns: [String] = ["3cx"]) -> FileFinding {
        FileFinding(path: "/opt/app/lib.so", sha256: String(repeating: "ab", count: 32), check: "test", kind: kind, severity: severity, firstSeen: firstSeen, campaigns: campaigns)
    }

    static func contact(_ t: Double, kind: NetworkEvidenceKind = .indicatorContact, campaigns: [String] = ["3cx"]) -> NetworkEvidence {
        NetworkEvidence(
            kind: kind, host: "h", address: "10.0.0.1", destination: "c2.test", indicator: kind == .beacon ? nil : "c2.test", campaigns: campaigns,
            channel: "dns-query", firstSeen: t, lastSeen: t, count: 1, evidence: [LogReference(file: "dns.log", line: 9)])
    }

    static func covered(_ host: String, from: Double, to: Double) -> Coverage {
        var s = ContactSummary(sensor: "zeek", maxRows: 10)
        s.names = [ContactRow(day: "d", client: "10.0.0.1", name: "x", count: 1, firstSeen: from, lastSeen: to, logs: ["dns"], evidenceFile: "dns.log", evidenceLine: 7)]
        return Coverage(summaries: [s], addresses: AddressBook(agents: [AgentAddress(host: host, address: "10.0.0.1", firstSeen: from - 1, lastSeen: to + 1)]))
    }

    let rules: VerdictRules = {
        var r = VerdictRules(asOf: VerdictRuleTests.t0 + 86_400)
        r.coverageTolerance = 3600
        return r
    }()

    @Test func contactBeforeTheFileIsNotActivity() {
        let cov = Self.covered("h", from: Self.t0, to: Self.t0 + 86_400)
        let v = VerdictEngine.verdict(for: HostEvidence(host: "h", files: [Self.file(Self.t0 + 100)], network: [Self.contact(Self.t0 + 50)]), coverage: cov, rules: rules)
        #expect(v.state == .dormant)
        #expect(v.reasons.contains { $0.code == "contact-before-file" && $0.evidence == [Self.contact(Self.t0 + 50).citation] })
        let later = VerdictEngine.verdict(for: HostEvidence(host: "h", files: [Self.file(Self.t0 + 100)], network: [Self.contact(Self.t0 + 150)]), coverage: cov, rules: rules)
        #expect(later.state == .active)
    }

    @Test func anotherCampaignsC2IsNotActivityButABeaconIs() {
        let cov = Self.covered("h", from: Self.t0, to: Self.t0 + 86_400)
        let other = VerdictEngine.verdict(
            for: HostEvidence(host: "h", files: [Self.file(Self.t0)], network: [Self.contact(Self.t0 + 10, campaigns: ["other"])]), coverage: cov, rules: rules)
        #expect(other.state == .dormant)
        let beacon = VerdictEngine.verdict(
            for: HostEvidence(host: "h", files: [Self.file(Self.t0)], network: [Self.contact(Self.t0 + 10, kind: .beacon, campaigns: [])]), coverage: cov, rules: rules)
        #expect(beacon.state == .active)
        #expect(beacon.reasons.contains { $0.code == "beacon-after-file" })
    }

    @Test func partialCoverageIsUnknownActivityNamingTheGap() {
        let cov = Self.covered("h", from: Self.t0 + 40_000, to: Self.t0 + 86_400)
        let v = VerdictEngine.verdict(for: HostEvidence(host: "h", files: [Self.file(Self.t0)]), coverage: cov, rules: rules)
        #expect(v.state == .unknownActivity)
        #expect(v.missingCoverage == [Period(start: Self.t0, end: Self.t0 + 40_000)])
        #expect(v.reasons.contains { $0.code == "coverage-missing" && $0.evidence.last?.contains("dns.log:7") == true })
    }

    @Test func lowSeverityStructuralFindingsAreNotCompromises() {
        let cov = Self.covered("h", from: Self.t0, to: Self.t0 + 86_400)
        let low = VerdictEngine.verdict(for: HostEvidence(host: "h", files: [Self.file(Self.t0, kind: .structural, severity: .medium)]), coverage: cov, rules: rules)
        #expect(low.state == .clean)
        #expect(low.reasons.contains { $0.code == "minor-file-finding" })
        let high = VerdictEngine.verdict(for: HostEvidence(host: "h", files: [Self.file(Self.t0, kind: .structural, severity: .high)]), coverage: cov, rules: rules)
        #expect(high.state == .dormant)
    }

    @Test func affectedVersionsMakeExposedHosts() {
        let table = AffectedVersions.builtIn
        #expect(table.match(VersionFact(product: "3CX Desktop App", version: "18.12.416", path: "C:\\Program Files\\3CXDesktopApp\\3CXDesktopApp.exe")) != nil)
        #expect(table.match(VersionFact(product: "3CXDesktopApp", version: "18.12.407", path: "x", platform: "Windows")) != nil)
        #expect(table.match(VersionFact(product: "3CX Desktop App", version: "18.12.402", path: "C:\\x\\3CXDesktopApp.exe")) == nil)
        #expect(table.match(VersionFact(product: "3CX Desktop App", version: "18.12.402", path: "/Applications/3CX Desktop App.app/Contents/Info.plist")) != nil)
        #expect(table.match(VersionFact(product: "3CX Desktop App", version: "18.11.1213", path: "/Applications/3CX Desktop App.app")) != nil)
        #expect(table.match(VersionFact(product: "3CX Desktop App", version: "18.11.1197", path: "/Applications/3CX Desktop App.app")) == nil)
        #expect(table.match(VersionFact(product: "3CX Desktop App", version: "18.12.422", path: "/Applications/3CX Desktop App.app")) == nil)
        #expect(table.match(VersionFact(product: "Other App", version: "18.12.416", path: "/x")) == nil)
        #expect(table.match(VersionFact(product: "3CX Desktop App", version: "18.12.x", path: "/x")) == nil)
        #expect(DottedVersion("18.12") == DottedVersion("18.12.0"))

        let fact = VersionFact(product: "3CX Desktop App", version: "18.12.416", path: "/Applications/3CX Desktop App.app")
        let cov = Self.covered("h", from: Self.t0, to: Self.t0 + 86_400)
        let exposed = VerdictEngine.verdict(for: HostEvidence(host: "h", versions: [fact]), coverage: cov, rules: rules)
        #expect(exposed.state == .exposed)
        #expect(exposed.reasons.first?.code == "affected-version")
        #expect(exposed.reasons.first?.evidence == ["/Applications/3CX Desktop App.app (version 18.12.416)"])
        // With the known-bad file the state is about the file, not the version.
        let withFile = VerdictEngine.verdict(for: HostEvidence(host: "h", files: [Self.file(Self.t0)], versions: [fact]), coverage: cov, rules: rules)
        #expect(withFile.state == .dormant)
        // A custom table.
        var custom = AffectedVersions(entries: [])
        custom.entries.append(.init(products: ["Other App"], platform: nil, lowest: DottedVersion("1.0")!, highest: DottedVersion("1.2")!, campaign: "x", source: "test"))
        #expect(custom.match(VersionFact(product: "other-app", version: "1.1.9", path: "/x")) != nil)
    }
}
