import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

/// RITA's and zed's public Zeek logs in the reference data set (GPL / CC-BY-SA: read in place, never copied).
@Suite(.enabled(if: TestSupport.sharedData != nil, Comment(rawValue: TestSupport.sharedDataMissing)))
struct SharedDataTests {
    static func data(_ path: String) -> URL { TestSupport.sharedData!.appendingPathComponent("network").appendingPathComponent(path) }

    static func beacon(_ r: HuntReport, _ src: String, _ dst: String) -> BeaconResult? {
        (r.beacons + r.suppressedBeacons).first { $0.source == src && $0.destination == dst }
    }

    /// RITA integration/beacons_test.go TestProxyBeacons: RITA accepts ±0.05.
    @Test func ritaProxyBeacons() throws {
        let r = try HuntFixtures.hunt([Self.data("rita/proxy")])
        let evil = try #require(Self.beacon(r, "10.136.0.18", "www.honestimnotevil.com"))
        #expect(evil.connections == 357)
        #expect(evil.proxied && evil.proxies == ["10.136.0.16"])
        #expect(abs(evil.scores.score - 0.979) <= 0.005)  // we get 0.980
        #expect(abs(evil.scores.timestamp - 0.921) <= 0.005)
        #expect(abs(evil.scores.dataSize - 0.995) <= 0.01)
        #expect(evil.scores.duration == 1 && evil.scores.histogram == 1)
        let google = try #require(Self.beacon(r, "10.136.0.18", "www.google.com"))
        #expect(google.connections == 6)
        #expect(google.scores.score == 0.586)
        #expect(google.scores.timestamp == 0.48 && google.scores.dataSize == 0.865 && google.scores.duration == 1 && google.scores.histogram == 0)
        #expect(r.beacons.first?.destination == "www.honestimnotevil.com")
        #expect(r.files.allSatisfy { $0.unparsed == 0 })
    }

    /// integration_rolling: 10.0.0.238 → 75.75.75.75 beacon 0.673 with 1,160 connections, and the
    /// proxied 10.0.0.111 → safebrowsing.googleapis.com 0.624.
    @Test func ritaProxyRollingBeacon() throws {
        let r = try HuntFixtures.hunt([Self.data("rita/proxy_rolling")])
        let dns = try #require(Self.beacon(r, "10.0.0.238", "75.75.75.75"))
        #expect(dns.connections == 1160)
        #expect(dns.scores.score == 0.673)  // exactly RITA's value
        // SSDP multicast (239.255.255.250) is periodic but local: never a beacon candidate.
        #expect(!(r.beacons + r.suppressedBeacons).contains { $0.destination == "239.255.255.250" })
        // The proxied pair is found and listed as suppressed (Safe Browsing is allow-listed).
        let sb = try #require(r.suppressedBeacons.first { $0.destination == "safebrowsing.googleapis.com" })
        #expect(sb.proxied && sb.source == "10.0.0.111" && sb.suppressedBecause != nil)
        #expect(sb.scores.score == 0.624)  // exactly RITA's value
        #expect(sb.connections == 46)
    }

    /// dnscat2-ja3-strobe-agent: only http.log is available, so the data-size component cannot use
    /// conn.log bytes; timestamp, histogram and duration match RITA's expectations.
    @Test func ritaDnscat2HTTPBeacons() throws {
        let r = try HuntFixtures.hunt([Self.data("rita/dnscat2-ja3-strobe-agent/http.log.gz")])
        let alexa = try #require(Self.beacon(r, "10.55.100.109", "www.alexa.com"))
        #expect(abs(alexa.scores.score - 0.896) <= 0.05)
        #expect(alexa.scores.timestamp == 1 && alexa.scores.histogram == 1 && alexa.scores.duration == 1)
        let tile = try #require(Self.beacon(r, "10.55.100.111", "tile-service.weather.microsoft.com"))
        #expect(tile.scores.timestamp == 1 && tile.scores.histogram == 1 && tile.scores.duration == 1)
        #expect(r.records["http"] == 27204)
        #expect(r.diagnostics.isEmpty)  // its header says `#separator \t`, not `\x09`
    }

    @Test func unknownFieldsAndJSONEdgeCasesParse() throws {
        let r = try HuntFixtures.hunt([Self.data("rita/has_unknown_field"), Self.data("rita/json_with_all_fields")])
        #expect(r.diagnostics.isEmpty)
        #expect(r.records["http"] == 5 + 10 + 20)
        #expect(r.records["dns"] == 34 + 34)
        #expect(r.records["connection"] == 29 + 59)
        #expect(r.records["tls"] == 10 + 20)
    }

    /// The zed sample data: the same records in Zeek TSV and json-streaming JSON give identical results.
    @Test func zedTSVAndJSONAgree() throws {
        let set = HuntFixtures.indicators([(.domain, "wrccdc.org"), (.ipv4, "134.71.3.16")])
        let tsv = try HuntFixtures.hunt([Self.data("zed/zeek-default/dns.log.gz"), Self.data("zed/zeek-default/ssl.log.gz")], indicators: set)
        let json = try HuntFixtures.hunt([Self.data("zed/zeek-json/dns.json.gz"), Self.data("zed/zeek-json/ssl.json.gz")], indicators: set)
        #expect(tsv.records == json.records)
        #expect(tsv.records["dns"] == 53615 && tsv.records["tls"] == 49474)
        #expect(tsv.diagnostics.isEmpty && json.diagnostics.isEmpty)
        #expect(!tsv.beacons.isEmpty)
        #expect(tsv.beacons.map { [$0.source, $0.destination] } == json.beacons.map { [$0.source, $0.destination] })
        #expect(tsv.beacons.map(\.scores) == json.beacons.map(\.scores))
        func strip(_ hits: [IndicatorHit]) -> [String] { hits.map { "\($0.host) \($0.channel) \($0.observed) \($0.count) \($0.firstSeen)" }.sorted() }
        #expect(!tsv.hits.isEmpty)
        #expect(strip(tsv.hits) == strip(json.hits))
    }
}
