import Foundation
import Testing
import VigilHunt
import VigilIndicators
import _VigilTestSupport

/// The hunt-side inputs of verdicts: the contact summary and the Zeek dhcp.log reader.
@Suite struct HuntInputTests {
    static let day0 = 1_680_048_000.0

    @Test func contactSummaryRowsAreDistinctPerDayClientAndNameWithFirstEvidence() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var dns = Scenario.header + "#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\tTTLs\n"
        // Out of time order on purpose: the evidence must be the earliest record, not the first line.
        dns += "\(Self.day0 + 500)\tD1\t10.0.0.1\t1\t10.0.0.53\t53\tudp\tWWW.Example.COM.\tA\tNOERROR\t-\t-\n"  // line 7
        dns += "\(Self.day0 + 100)\tD2\t10.0.0.1\t1\t10.0.0.53\t53\tudp\twww.example.com\tA\tNOERROR\t-\t-\n"  // line 8
        dns += "\(Self.day0 + 86_400 + 5)\tD3\t10.0.0.1\t1\t10.0.0.53\t53\tudp\twww.example.com\tA\tNOERROR\t-\t-\n"  // next day
        dns += "\(Self.day0 + 200)\tD4\t10.0.0.2\t1\t10.0.0.53\t53\tudp\twww.example.com\tA\tNOERROR\t-\t-\n"
        dns += "\(Self.day0 + 400)\tD6\t-\t1\t10.0.0.53\t53\tudp\twww.example.com\tA\tNOERROR\t-\t-\n"
        dns += "\(Self.day0 + 300)\tD5\t10.0.0.2\t1\t10.0.0.53\t53\tudp\t\(String(repeating: "a", count: 300))\tA\tNOERROR\t-\t-\n"
        var http = Scenario.header + "#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\n"
        http += "\(Self.day0 + 50)\tH1\t10.0.0.1\t2\t192.0.2.9\t80\tGET\twww.example.com\t/\n"
        http += "\(Self.day0 + 60)\tH2\t10.0.0.1\t2\t192.0.2.9\t80\tGET\t192.0.2.9:8080\t/\n"
        var conn = Scenario.header + "#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\torig_bytes\n"
        conn += "\(Self.day0 + 70)\tC1\t10.0.0.1\t3\t192.0.2.9\t80\t10\n"
        let files = [
            try Scenario.write(dns, "dns.log", in: dir), try Scenario.write(http, "http.log", in: dir), try Scenario.write(conn, "conn.log", in: dir),
        ]
        var options = HuntOptions(indicators: IndicatorSet())
        options.contactSummary = ContactSummaryOptions(sensor: "s1")
        let engine = HuntEngine(options: options)
        _ = try engine.run(paths: files.map(\.path))
        let s = try #require(engine.contactSummary)
        #expect(s.sensor == "s1")
        #expect(s.rejectedNames == 1)
        #expect(s.droppedContacts == 0)
        let first = try #require(s.names.first { $0.client == "10.0.0.1" && $0.day == "2023-03-29" && $0.name == "www.example.com" })
        #expect(first.count == 3)  // two DNS queries and one HTTP Host
        #expect(first.firstSeen == Self.day0 + 50)
        #expect(first.lastSeen == Self.day0 + 500)
        #expect(first.logs == ["dns", "http"])
        #expect(first.evidence == files[1].path + ":7")
        #expect(s.names.filter { $0.name == "www.example.com" }.count == 3)  // (day0, .1), (day0, .2), (day1, .1)
        #expect(s.names.contains { $0.day == "2023-03-30" && $0.client == "10.0.0.1" && $0.count == 1 })
        // An address in the Host header (with a port) and the connection make one server row.
        let server = try #require(s.servers.first { $0.server == "192.0.2.9" })
        #expect(server.count == 2)
        #expect(server.logs == ["conn", "http"])
        #expect(s.withoutClient == 1)  // the DNS row without id.orig_h
        let order = s.names.map { ($0.day, IPAddress($0.client)!, $0.name!) }
        #expect(zip(order, order.dropFirst()).allSatisfy { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) })
        #expect(s.windowStart == Self.day0 + 50)
        #expect(s.windowEnd == Self.day0 + 86_405)

    }

    @Test func contactSummaryNamesWithControlBytesOrBrokenUTF8StayStorableText() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var dns = Scenario.header + "#path\tdns\n#fields\tts\tid.orig_h\tquery\n"
        dns += "1.0\t10.0.0.1\tA\\x00B.test\n"  // a NUL inside
        dns += "2.0\t10.0.0.1\tx\\x5cy.test\n"  // a backslash
        dns += "3.0\t10.0.0.1\t\\xffbad.test\n"  // not UTF-8
        dns += "4.0\t10.0.0.1\tbücher.test\n"  // valid UTF-8 stays as is
        let file = try Scenario.write(dns, "dns.log", in: dir)
        var options = HuntOptions(indicators: IndicatorSet())
        options.contactSummary = ContactSummaryOptions(sensor: "s")
        let engine = HuntEngine(options: options)
        _ = try engine.run(paths: [file.path])
        let names = Set(try #require(engine.contactSummary).names.compactMap(\.name))
        #expect(names == ["a\\x00b.test", "x\\x5cy.test", "\\xffbad.test", "bücher.test"])
    }

    @Test func contactSummaryCountsWhatTheRowCapDrops() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var dns = Scenario.header + "#path\tdns\n#fields\tts\tid.orig_h\tquery\n"
        for i in 0..<100 { dns += "\(Self.day0 + Double(i))\t10.0.0.\(i % 7)\tname\(i % 20).test\n" }
        let file = try Scenario.write(dns, "dns.log", in: dir)
        var options = HuntOptions(indicators: IndicatorSet())
        options.contactSummary = ContactSummaryOptions(sensor: "s", maxRows: 10)
        let engine = HuntEngine(options: options)
        _ = try engine.run(paths: [file.path])
        let s = try #require(engine.contactSummary)
        #expect(s.names.count == 10)
        // Every record is either in a kept row or counted as dropped.
        #expect(s.names.reduce(0) { $0 + $1.count } + s.droppedContacts == 100)
        #expect(s.droppedContacts > 0)
    }

    @Test func huntWithoutTheOptionCollectsNoSummary() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Scenario.write(Scenario.header + "#path\tdns\n#fields\tts\tid.orig_h\tquery\n1.0\t10.0.0.1\ta.test\n", "dns.log", in: dir)
        let engine = HuntEngine(options: HuntOptions(indicators: IndicatorSet()))
        _ = try engine.run(paths: [file.path])
        #expect(engine.contactSummary == nil)
    }

    @Test func dhcpTSVLeasesWithEscapesRejectsAndNonLeases() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var tsv = Scenario.header + "#path\tdhcp\n#fields\tlease_time\tts\tmac\thost_name\tassigned_addr\tserver_addr\tmsg_types\n"
        tsv += "3600.000000\t\(Self.day0)\t02:00:00:00:00:AA\tlab\\x20pc\t10.0.0.5\t10.0.0.1\tREQUEST,ACK\n"  // line 7
        tsv += "-\t\(Self.day0 + 10)\t02:00:00:00:00:bb\t-\t-\t10.0.0.1\tDISCOVER\n"  // not a lease
        tsv += "60\tnot-a-time\t02:00:00:00:00:cc\tx\t10.0.0.6\t10.0.0.1\tACK\n"  // line 9: rejected
        tsv += "60\t\(Self.day0)\t02:00:00:00:00:cc\tx\t10.0.0.999\t10.0.0.1\tACK\n"  // line 10: rejected
        tsv += "60\t\(Self.day0)\tshort\n"  // line 11: rejected
        tsv += "-\t\(Self.day0 + 20)\t02:00:00:00:00:dd\tprinter\t10.0.0.7\t-\tACK\n"  // no lease time
        let file = try Scenario.write(tsv, "dhcp.log", in: dir)
        let r = try DHCPLogReader().read(path: file.path)
        #expect(r.rows == 5)
        #expect(r.withoutLease == 1)
        #expect(r.rejected == 3)
        #expect(r.diagnostics.map(\.line) == [9, 10, 11])
        #expect(r.leases.count == 2)
        let lab = try #require(r.leases.first)
        #expect(lab.address == "10.0.0.5")
        #expect(lab.hostName == "lab pc")
        #expect(lab.mac == "02:00:00:00:00:aa")
        #expect(lab.start == Self.day0)
        #expect(lab.end == Self.day0 + 3600)
        #expect(lab.server == "10.0.0.1")
        #expect(lab.evidence == file.path + ":7")
        #expect(r.leases[1].end == nil)
    }

    @Test func dhcpJSONLeases() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = """
            {"ts":"2023-03-29T12:00:00.000000Z","uids":["C1","C2"],"client_addr":"10.0.0.9","server_addr":"10.0.0.1","mac":"02:00:00:00:00:01","host_name":"host-\\u0062","assigned_addr":"10.0.0.9","lease_time":7200.0,"msg_types":["REQUEST","ACK"]}
            {"ts":1680091300.5,"mac":"02:00:00:00:00:02","client_fqdn":"kiosk.corp","assigned_addr":"fd00::9","lease_time":60}
            {"ts":1680091400.5,"mac":"02:00:00:00:00:03","msg_types":["DISCOVER"]}
            {"ts":1680091400.5,
            """
        let file = try Scenario.write(json + "\n", "dhcp.json", in: dir)
        let r = try DHCPLogReader().read(path: file.path)
        #expect(r.leases.count == 2)
        #expect(r.withoutLease == 1)
        #expect(r.rejected == 1)
        #expect(r.diagnostics.first?.line == 4)
        #expect(r.leases[0].hostName == "host-b")
        #expect(r.leases[0].start == Self.day0 + 43_200)
        #expect(r.leases[0].end == Self.day0 + 43_200 + 7200)
        #expect(r.leases[1].hostName == "kiosk.corp")
        #expect(r.leases[1].address == "fd00::9")
    }

    /// Host names and MACs are capped in UTF-8 bytes (the fleet server's limits), at a character
    /// boundary, after lowercasing; control characters come back as `\xNN`. Before, they were cut at
    /// 255 and 64 characters: a name of multi-byte characters passed the reader and the server then
    /// refused the whole report.
    @Test func dhcpFieldsAreCappedInUTF8BytesAtCharacterBoundaries() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let maxName = ReportFieldLimits.maxNameBytes, maxMAC = ReportFieldLimits.maxAddressBytes
        let clef = "\u{1D11E}"  // 4 bytes
        let decomposed = "e\u{301}"  // one character, 3 bytes
        let rows: [(mac: String, name: String)] = [
            ("02:00:00:00:00:01", String(repeating: clef, count: maxName / 4)),  // exactly at the limit: kept whole
            ("02:00:00:00:00:02", String(repeating: clef, count: maxName / 4 + 1)),  // 4 bytes over
            ("02:00:00:00:00:03", String(repeating: decomposed, count: 400)),  // never cut between e and its accent
            (String(repeating: "\u{130}", count: maxMAC / 2), "pc-3"),  // İ: 2 bytes, lowercased 3 (i + combining dot)
            (String(repeating: "\u{20AC}", count: 22), "pc-4"),  // € × 22 = 66 bytes
            ("02:00:00:00:00:05", "pc\\x00evil\\x0a"),  // NUL and a line feed, escaped by Zeek
        ]
        var tsv = Scenario.header + "#path\tdhcp\n#fields\tts\tmac\thost_name\tassigned_addr\tlease_time\n"
        for (i, r) in rows.enumerated() { tsv += "\(Self.day0 + Double(i))\t\(r.mac)\t\(r.name)\t10.0.0.\(i + 1)\t60\n" }
        let file = try Scenario.write(tsv, "dhcp.log", in: dir)
        let r = try DHCPLogReader().read(path: file.path)
        #expect(r.rejected == 0 && r.leases.count == rows.count)
        for lease in r.leases {
            #expect((lease.hostName ?? "").utf8.count <= maxName, "\(lease.evidence)")
            #expect((lease.mac ?? "").utf8.count <= maxMAC, "\(lease.evidence)")
            #expect(!(lease.hostName ?? "").utf8.contains(0) && !(lease.mac ?? "").utf8.contains(0))
        }
        #expect(r.leases[0].hostName == rows[0].name)
        #expect(r.leases[1].hostName == String(repeating: clef, count: maxName / 4))
        let cut = try #require(r.leases[2].hostName)
        #expect(cut.utf8.count == maxName / 3 * 3 && cut == String(repeating: decomposed, count: maxName / 3))
        #expect(cut.unicodeScalars.last == "\u{301}")
        let mac3 = try #require(r.leases[3].mac)
        #expect(mac3 == String(repeating: "i\u{307}", count: maxMAC / 3) && mac3.utf8.count == maxMAC / 3 * 3)
        #expect(r.leases[4].mac == String(repeating: "\u{20AC}", count: maxMAC / 3))
        #expect(r.leases[5].hostName == "pc\\x00evil\\x0a")
    }

    @Test func reportFieldsAreCutAtCharacterBoundaries() {
        let p = ReportFieldLimits.prefix
        #expect(p("abc", 3) == "abc" && p("abcd", 3) == "abc" && p("abc", 0) == "")
        #expect(p("\u{E9}\u{E9}", 3) == "\u{E9}")  // é is 2 bytes: never half of one
        #expect(p("a\u{1F600}", 4) == "a")
        // A family emoji is one character of 25 bytes: cut between its scalars when it alone is too long.
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"
        #expect(p(family, 25) == family && p("x" + family, 25) == "x")
        #expect(p(family, 12) == "\u{1F468}\u{200D}\u{1F469}" && p(family, 12).utf8.count == 11)
        #expect(ReportFieldLimits.storable("a\u{0}b\u{7F}", maxBytes: 100) == "a\\x00b\\x7f")
        #expect(ReportFieldLimits.storable("\u{0}\u{0}", maxBytes: 5) == "\\x00")
    }

    /// Contact names at the reader's 253-byte cap stay within the server's name limit however they
    /// are written: multi-byte letters that grow when lowercased, or control bytes escaped four times longer.
    @Test func contactNamesAtTheCapFitTheServerLimit() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let grows = String(repeating: "\u{130}", count: 126) + "a"  // 253 bytes; lowercased 379
        let controls = String(repeating: "\\x01", count: 253)  // Zeek's escape of 253 control bytes
        let over = String(repeating: "\u{20AC}", count: 85)  // 255 bytes: over the cap, counted
        var dns = Scenario.header + "#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\tTTLs\n"
        for (i, name) in [grows, controls, over].enumerated() {
            dns += "\(Self.day0 + Double(i))\tD\(i)\t10.0.0.1\t1\t10.0.0.53\t53\tudp\t\(name)\tA\tNOERROR\t-\t-\n"
        }
        let file = try Scenario.write(dns, "dns.log", in: dir)
        var options = HuntOptions(indicators: IndicatorSet())
        options.contactSummary = ContactSummaryOptions(sensor: "s")
        let engine = HuntEngine(options: options)
        _ = try engine.run(paths: [file.path])
        let summary = try #require(engine.contactSummary)
        #expect(summary.rejectedNames == 1)
        let names = summary.names.compactMap(\.name)
        #expect(names.count == 2)
        #expect(names.contains(grows.lowercased()) && grows.lowercased().utf8.count == 379)
        #expect(names.contains(String(repeating: "\\x01", count: 253)))
        #expect(names.allSatisfy { $0.utf8.count <= ReportFieldLimits.maxNameBytes && $0 == $0.lowercased() })
    }

    @Test func dhcpMissingFileThrows() {
        #expect(throws: LogReadError.self) { try DHCPLogReader().read(path: "/nonexistent/dhcp.log") }
    }
}
