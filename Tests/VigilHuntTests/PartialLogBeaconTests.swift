import Foundation
import Testing
import _VigilTestSupport
@testable import VigilHunt

/// Beacons in partial logs: HTTP, TLS and proxy rows with no connection record behind them.
@Suite struct PartialLogBeaconTests {
    static let day0 = 1_680_048_000.0  // 2023-03-29T00:00:00Z
    static let c2 = "203.0.113.50"

    static let httpHeader = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\thttp
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\trequest_body_len\tresponse_body_len\tstatus_code
        #types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tcount\tcount\tcount

        """

    static let sslHeader = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tssl
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tserver_name\testablished
        #types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tbool

        """

    /// A day of http.log only: a 120 s beacon (± 3 s) to a bare address, `Host:` being the address
    /// (with `:8080` on every third request), from 00:01 to 24:00; a few browsing requests to names,
    /// all in the first ten minutes (they alone would shrink the window to those minutes).
    static func httpOnlyDay(in dir: URL) throws -> URL {
        var rng = SeededRandom(seed: 120)
        var rows: [(Double, String)] = []
        var t = day0 + 60
        var n = 0
        while t < day0 + 86_400 {
            let host = n % 3 == 0 ? "\(c2):8080" : c2
            rows.append((t, "10.1.1.20\t4\(n % 9000 + 1000)\t\(c2)\t8080\t1\tPOST\t\(host)\t/gate.php\t\(180 + Int.random(in: 0...4, using: &rng))\t64\t200"))
            n += 1
            t += 120 + Double.random(in: -3...3, using: &rng)
        }
        for i in 0..<40 {
            let time = day0 + Double.random(in: 0..<600, using: &rng)
            rows.append((time, "10.1.1.\(i % 5 + 21)\t5\(i)\t192.0.2.\(i % 7 + 1)\t80\t1\tGET\twww.site\(i % 7).example\t/\t0\t1000\t200"))
        }
        rows.sort { $0.0 < $1.0 }
        var text = httpHeader
        for (i, r) in rows.enumerated() { text += String(format: "%.6f", r.0) + "\tH\(i)\t" + r.1 + "\n" }
        return try HuntFixtures.write(text, "http.log", in: dir)
    }

    @Test func httpOnlyBeaconToABareAddressIsReportedOverTheWholeDay() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try Self.httpOnlyDay(in: dir)
        let report = try HuntFixtures.hunt([log]) { $0.minimumBeaconScore = HuntOptions.defaultMinimumBeaconScore }
        let beacon = try #require(report.beacons.first { $0.destination == Self.c2 })
        #expect(beacon.source == "10.1.1.20")
        #expect(beacon.destinationKind == "address")  // `host:8080` and `host` are one pair
        #expect(beacon.connections == 720)
        #expect(beacon.evidenceLogs == ["http"])
        #expect(beacon.ritaScore > 0.9 && beacon.scores.score == beacon.ritaScore)
        #expect(beacon.vigilScore >= HuntOptions.defaultMinimumBeaconScore)
        #expect(report.beacons.first?.destination == Self.c2)
        // The window spans every row read: the whole day, not the ten minutes of named requests.
        #expect((report.windowStartISO ?? "").hasPrefix("2023-03-29T00:0"))
        #expect((report.windowEndISO ?? "").hasPrefix("2023-03-29T23:5"))
        #expect(report.notes.contains { $0.contains("No connection records") })
    }

    /// With conn.log given, an HTTP row naming an address is not a second row: the connection is
    /// counted once under (client, address), and both logs are named as evidence.
    @Test func withConnectionRecordsAnAddressHostIsCountedOnce() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var http = Self.httpHeader
        var conn = HuntFixtures.connHeader
        for i in 0..<48 {
            let t = Self.day0 + Double(i) * 1800
            http += String(format: "%.6f", t + 0.2) + "\tU\(i)\t10.1.1.20\t40\(i)\t\(Self.c2)\t80\t1\tGET\t\(Self.c2)\t/p\t0\t10\t200\n"
            conn += String(format: "%.6f", t) + "\tU\(i)\t10.1.1.20\t40\(i)\t\(Self.c2)\t80\ttcp\thttp\t0.3\t300\t200\tSF\t500\n"
        }
        let paths = [try HuntFixtures.write(http, "http.log", in: dir), try HuntFixtures.write(conn, "conn.log", in: dir)]
        let report = try HuntFixtures.hunt(paths)
        let beacon = try #require(report.beacons.first { $0.destination == Self.c2 })
        #expect(beacon.connections == 48)
        #expect(beacon.evidenceLogs == ["conn", "http"])
        #expect(report.beacons.filter { $0.destination == Self.c2 }.count == 1)
    }

    /// TLS sessions without SNI and no conn.log: counted under the server address.
    @Test func tlsWithoutSNIAndNoConnLogUsesTheServerAddress() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var ssl = Self.sslHeader
        for i in 0..<96 {
            let t = Self.day0 + Double(i) * 900
            ssl += String(format: "%.6f", t) + "\tS\(i)\t10.1.1.30\t50\(i)\t198.51.100.9\t443\tTLSv12\t-\tT\n"
            ssl += String(format: "%.6f", t + 5) + "\tN\(i)\t10.1.1.30\t60\(i)\t198.51.100.10\t443\tTLSv12\tcdn.example.net\tT\n"
        }
        let report = try HuntFixtures.hunt([try HuntFixtures.write(ssl, "ssl.log", in: dir)])
        let bare = try #require(report.beacons.first { $0.destination == "198.51.100.9" })
        #expect(bare.destinationKind == "address" && bare.connections == 96 && bare.evidenceLogs == ["tls"])
        let named = try #require(report.beacons.first { $0.destination == "cdn.example.net" })
        #expect(named.connections == 96 && named.serverAddresses == ["198.51.100.10"])
        #expect(!report.beacons.contains { $0.destination == "198.51.100.10" })
    }

    /// A Squid log (proxy rows) with an address as the URL host.
    @Test func proxyRowsToAnAddressBeacon() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = ""
        for i in 0..<100 {
            let t = Self.day0 + Double(i) * 600
            text += String(format: "%.3f", t) + "    120 10.1.1.40 TCP_MISS/200 512 GET http://\(Self.c2)/c.php - HIER_DIRECT/\(Self.c2) text/html\n"
        }
        let report = try HuntFixtures.hunt([try HuntFixtures.write(text, "access.log", in: dir)])
        let beacon = try #require(report.beacons.first { $0.destination == Self.c2 })
        #expect(beacon.proxied && beacon.destinationKind == "address" && beacon.connections == 100)
        #expect(beacon.evidenceLogs == ["proxy"])
    }

    /// Zeek logs every request of a kept-alive connection under one uid; the last row with a Host
    /// counts (RITA), and a later row without a Host does not take the connection away from its name.
    @Test func aRowWithoutHostNeverReplacesANamedRowOfTheSameConnection() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var http = Self.httpHeader
        for i in 0..<48 {
            let t = Self.day0 + Double(i) * 1800
            http += String(format: "%.6f", t) + "\tK\(i)\t10.1.1.20\t40\(i)\t198.51.100.30\t80\t1\tGET\tupdates.vendor.example\t/v\t0\t10\t200\n"
            http += String(format: "%.6f", t + 1) + "\tK\(i)\t10.1.1.20\t40\(i)\t198.51.100.30\t80\t2\tGET\t-\t/w\t0\t10\t400\n"
        }
        let report = try HuntFixtures.hunt([try HuntFixtures.write(http, "http.log", in: dir)])
        let named = try #require(report.beacons.first { $0.destination == "updates.vendor.example" })
        #expect(named.connections == 48)
        #expect(!report.beacons.contains { $0.destination == "198.51.100.30" })
    }

    @Test func hostAddressParsing() {
        func parse(_ s: String) -> String? { Array(s.utf8).withUnsafeBytes { BeaconStore.hostAddress($0)?.description } }
        #expect(parse("203.0.113.5") == "203.0.113.5")
        #expect(parse("203.0.113.5:8080") == "203.0.113.5")
        #expect(parse("[2001:db8::1]:443") == "2001:db8::1")
        #expect(parse("2001:db8::1") == "2001:db8::1")
        #expect(parse("evil.example") == nil)
        #expect(parse("evil.example:443") == nil)
        #expect(parse("") == nil)
        #expect(parse("[") == nil)
    }
}
