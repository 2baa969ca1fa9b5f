import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

@Suite struct ZeekReaderTests {
    let c2 = HuntFixtures.indicators([(.domain, "evil.example"), (.ipv4, "203.0.113.9"), (.cidr, "198.51.100.0/24"), (.url, "http://files.example/stage/")])

    @Test func tsvEscapesUnsetEmptyAndMultipleHeaderBlocks() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Block 1: dns with an escaped query, an unset query, an (empty) answer vector.
        // Block 2: a second header with another field order and an unknown extra column.
        let text = HuntFixtures.dnsHeader
            + "1680000000.1\tC1\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\tc2\\x2eEVIL.example\tA\tNOERROR\t203.0.113.9,cdn.evil.example\t60,60\n"
            + "1680000001.1\tC2\t10.0.0.6\t5353\t10.0.0.1\t53\tudp\t-\tA\tNOERROR\t(empty)\t(empty)\n"
            + "1680000002.1\tC3\t10.0.0.7\t5353\t10.0.0.1\t53\tudp\tgood.example\tA\tNOERROR\tx\\x2cevil.example\t60\n"
            + "#close\t2023-03-29-00-00-00\n"
            + "#separator \\x09\n#path\tdns\n#fields\tquery\tmystery\tts\tid.orig_h\n"
            + "sub.evil.example.\tzzz\t1680000100.5\t10.0.0.8\n"
            + "broken line without tabs\n"
        let url = try HuntFixtures.write(text, "dns.log", in: dir)
        let report = try HuntFixtures.hunt([url], indicators: c2)
        #expect(report.records["dns"] == 4)
        let byObserved = Dictionary(grouping: report.hits, by: \.observed)
        #expect(byObserved["c2.evil.example"]?.first?.host == "10.0.0.5")
        #expect(byObserved["c2.evil.example"]?.first?.rule == "subdomain of evil.example")
        #expect(byObserved["c2.evil.example"]?.first?.evidence == ["\(url.path):8"])
        #expect(byObserved["203.0.113.9"]?.first?.channel == .dnsAnswer)
        #expect(byObserved["cdn.evil.example"]?.first?.channel == .dnsAnswer)
        #expect(byObserved["sub.evil.example"]?.first?.host == "10.0.0.8")
        // `x\x2cevil.example` is ONE answer whose text contains a comma: not evil.example itself.
        #expect(byObserved["evil.example"] == nil)
        #expect(report.hits.count == 4)
        let unparsed = report.diagnostics.filter { $0.kind == "unparsed-line" }
        #expect(unparsed.map(\.line) == [16])
        #expect(unparsed.first?.path == url.path)
    }

    @Test func tsvAndJSONGiveTheSameResultsAndGzipIsTransparent() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var tsv = HuntFixtures.connHeader
        var json = ""
        for i in 0..<60 {
            let ts = 1_680_000_000.0 + Double(i) * 600 + Double(i % 3)
            tsv += "\(ts)\tC\(i)\t10.1.1.5\t4000\t203.0.113.9\t443\ttcp\tssl\t1.0\t100\t200\tSF\t\(900 + i % 2)\n"
            json += #"{"ts":\#(ts),"uid":"C\#(i)","id.orig_h":"10.1.1.5","id.orig_p":4000,"id.resp_h":"203.0.113.9","id.resp_p":443,"proto":"tcp","orig_bytes":100,"orig_ip_bytes":\#(900 + i % 2)}"# + "\n"
        }
        let t = try HuntFixtures.write(tsv, "conn.log", in: dir)
        let j = try HuntFixtures.write(json, "conn.json", in: dir)
        let gz = try HuntFixtures.gzip(t)
        try FileManager.default.moveItem(at: gz, to: dir.appendingPathComponent("conn.00:00:00-01:00:00.log.gz"))
        let rt = try HuntFixtures.hunt([t], indicators: c2)
        let rj = try HuntFixtures.hunt([j], indicators: c2)
        let rz = try HuntFixtures.hunt([dir.appendingPathComponent("conn.00:00:00-01:00:00.log.gz")], indicators: c2)
        for r in [rt, rj, rz] {
            #expect(r.records["connection"] == 60)
            #expect(r.hits.count == 1)
            #expect(r.hits.first?.count == 60)
            #expect(r.hits.first?.channel == .connectionDestination)
            #expect(r.beacons.count == 1)
        }
        #expect(rt.beacons.first?.scores == rj.beacons.first?.scores)
        #expect(rt.beacons.first?.scores == rz.beacons.first?.scores)
        #expect(rz.files.first?.format == "zeek-tsv")
    }

    @Test func corruptGzipIsReportedNotFatal() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03]
        bytes += Array(repeating: 0xff, count: 64)
        let bad = try TestSupport.write(bytes, to: "dns.log.gz", in: dir)
        let good = try HuntFixtures.write(HuntFixtures.dnsHeader + "1680000000\tC1\t10.0.0.5\t1\t10.0.0.1\t53\tudp\tevil.example\tA\tNOERROR\t-\t-\n", "dns.log", in: dir)
        let report = try HuntFixtures.hunt([dir], indicators: c2)
        #expect(report.hits.count == 1)
        #expect(report.diagnostics.contains { $0.path == bad.path && $0.kind == "unreadable" })
        _ = good
    }

    @Test func httpURLAndHostMatchingAndStrippedHeaderVariant() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The stripped `tsv=T` variant: one plain header row.
        let text = "ts\tuid\tid.orig_h\tid.resp_h\tid.resp_p\tmethod\thost\turi\n"
            + "1680000000\tC1\t10.0.0.5\t192.0.2.1\t80\tGET\tFILES.example\t/stage/x.ico\n"
            + "1680000001\tC2\t10.0.0.5\t192.0.2.1\t80\tGET\tfiles.example\t/other\n"
            + "1680000002\tC3\t10.0.0.6\t198.51.100.7\t80\tGET\t198.51.100.7\t/\n"
        let url = try HuntFixtures.write(text, "http.log", in: dir)
        let report = try HuntFixtures.hunt([url], indicators: c2)
        let urlHits = report.hits.filter { $0.channel == .httpURL }
        #expect(urlHits.count == 1)
        #expect(urlHits.first?.observed == "http://FILES.example/stage/x.ico")
        let addressHits = report.hits.filter { $0.channel == .httpHost }
        #expect(addressHits.map(\.indicator) == ["198.51.100.0/24"])
        #expect(addressHits.first?.rule == "inside 198.51.100.0/24")
    }
}

@Suite struct EVEReaderTests {
    @Test func dnsV2V3HttpTlsFlowAndAlerts() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = [
            // v2 query and answer (client is src in both).
            #"{"timestamp":"2023-03-29T10:00:00.000000+0000","flow_id":1,"event_type":"dns","src_ip":"192.168.1.129","src_port":5353,"dest_ip":"192.168.1.1","dest_port":53,"proto":"UDP","dns":{"type":"query","id":2,"rrname":"Www.Evil.Example","rrtype":"A","tx_id":0}}"#,
            #"{"timestamp":"2023-03-29T10:00:01.000000+0000","flow_id":1,"event_type":"dns","src_ip":"192.168.1.129","src_port":5353,"dest_ip":"192.168.1.1","dest_port":53,"proto":"UDP","dns":{"version":2,"type":"answer","id":2,"rrname":"www.google.com","rrtype":"A","answers":[{"rrname":"www.google.com","rrtype":"CNAME","rdata":"alias.evil.example"}],"grouped":{"A":["203.0.113.9"]}}}"#,
            // v3 response: src is the server, the client is dest.
            #"{"timestamp":"2023-03-29T10:00:02.000000+0000","flow_id":2,"event_type":"dns","src_ip":"192.168.1.1","src_port":53,"dest_ip":"192.168.1.77","dest_port":5353,"proto":"UDP","dns":{"version":3,"type":"response","tx_id":1,"id":0,"queries":[{"rrname":"v3.evil.example","rrtype":"A"}],"answers":[{"rrname":"v3.evil.example","rrtype":"A","ttl":60,"rdata":"192.0.2.44"}]}}"#,
            #"{"timestamp":"2023-03-29T10:00:03.000000+0000","flow_id":3,"event_type":"http","src_ip":"192.168.1.50","src_port":4000,"dest_ip":"192.0.2.80","dest_port":8080,"proto":"TCP","http":{"hostname":"dl.evil.example","http_port":8080,"url":"/a","http_method":"GET","length":10}}"#,
            #"{"timestamp":"2023-03-29T10:00:04.000000+0000","flow_id":4,"event_type":"tls","src_ip":"192.168.1.51","src_port":4000,"dest_ip":"192.0.2.81","dest_port":443,"proto":"TCP","tls":{"sni":"tls.evil.example","version":"TLS 1.2","ja3":{"hash":"x","string":"y"}}}"#,
            #"{"timestamp":"2023-03-29T10:00:05.000000+0000","flow_id":4,"event_type":"flow","src_ip":"192.168.1.51","src_port":4000,"dest_ip":"203.0.113.9","dest_port":443,"proto":"TCP","flow":{"pkts_toserver":3,"bytes_toserver":400,"start":"2023-03-29T10:00:04.000000+0000","end":"2023-03-29T10:00:05.000000+0000","state":"closed"}}"#,
            #"{"timestamp":"2023-03-29T10:00:06.000000+0000","flow_id":5,"event_type":"alert","src_ip":"192.168.1.52","src_port":4000,"dest_ip":"192.0.2.99","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2023033001,"rev":1,"signature":"3CX cookie","category":"Trojan","severity":1},"http":{"hostname":"alert.evil.example","url":"/"}}"#,
            #"{"timestamp":"2023-03-29T10:00:07.000000+0000","event_type":"stats","stats":{"uptime":1}}"#,
            #"{"timestamp":"not a time","event_type":"dns","dns":{"type":"query","rrname":"x.evil.example"}}"#,
        ]
        let url = try HuntFixtures.write(lines.joined(separator: "\n") + "\n", "eve.json", in: dir)
        let report = try HuntFixtures.hunt([url], indicators: HuntFixtures.indicators([(.domain, "evil.example"), (.ipv4, "203.0.113.9")]))
        #expect(report.files.first?.format == "suricata-eve")
        func hit(_ observed: String) -> IndicatorHit? { report.hits.first { $0.observed == observed } }
        #expect(hit("www.evil.example")?.host == "192.168.1.129")
        #expect(hit("alias.evil.example")?.channel == .dnsAnswer)
        #expect(hit("203.0.113.9")?.channel == .dnsAnswer)
        #expect(hit("v3.evil.example")?.host == "192.168.1.77")  // not the resolver 192.168.1.1
        #expect(hit("dl.evil.example")?.channel == .httpHost)
        #expect(hit("tls.evil.example")?.channel == .tlsSNI)
        #expect(hit("alert.evil.example")?.host == "192.168.1.52")
        #expect(report.hits.contains { $0.channel == .connectionDestination && $0.host == "192.168.1.51" })
        #expect(report.alerts.count == 1)
        #expect(report.alerts.first?.signatureID == 2023033001)
        #expect(report.diagnostics.filter { $0.kind == "unparsed-line" }.map(\.line) == [9])
        #expect(report.records["connection"] == 1)
    }
}

@Suite struct SquidAndMappedReaderTests {
    @Test func squidNativeAccessLog() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = ""
        for i in 0..<48 {
            let ts = 1_680_000_000 + i * 1800 + (i % 2)
            text += "\(ts).361   2812 10.0.0.9 TCP_TUNNEL/200 5435 CONNECT c2.evil.example:443 - HIER_DIRECT/203.0.113.9 -\n"
        }
        text += "979992041.366 502 10.0.0.10 TCP_IMS_HIT/304 216 GET http://files.example/stage/a.ico - NONE/- text/html\n"
        text += "garbage\n"
        let url = try HuntFixtures.write(text, "access.log", in: dir)
        let report = try HuntFixtures.hunt([url], indicators: HuntFixtures.indicators([(.domain, "evil.example"), (.url, "http://files.example/stage/")]))
        #expect(report.files.first?.format == "squid")
        #expect(report.hits.first { $0.channel == .proxyConnect }?.count == 48)
        #expect(report.hits.first { $0.channel == .proxyURL }?.host == "10.0.0.10")
        #expect(report.diagnostics.contains { $0.line == 50 && $0.kind == "unparsed-line" })
        let beacon = try #require(report.beacons.first)
        #expect(beacon.destination == "c2.evil.example")
        #expect(beacon.proxied)
        #expect(beacon.scores.timestamp == 1)
        #expect(report.notes.contains { $0.contains("reply sizes") })
    }

    @Test func mappedCSVAndJSONLines() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = "time,client,host,note\n2023-03-29T10:00:00Z,10.0.0.4,\"sub.evil.example\",\"a, quoted\"\n2023-03-29T10:00:01Z,10.0.0.4,fine.example,x\n\"unterminated,1\n"
        let c = try HuntFixtures.write(csv, "proxy.csv", in: dir)
        let jsonl = #"{"time":"2023-03-29T10:00:00Z","client":"10.0.0.5","host":"EVIL.example."}"# + "\n{not json}\n"
        let j = try HuntFixtures.write(jsonl, "proxy.jsonl", in: dir)
        let mapping = try FieldMapping(parsing: "ts=time,src=client,dst_host=host")
        let report = try HuntFixtures.hunt([c, j], indicators: HuntFixtures.indicators([(.domain, "evil.example")])) { $0.mapping = mapping }
        #expect(report.files.map(\.format) == ["csv (mapped)", "json (mapped)"])
        #expect(Set(report.hits.map(\.host)) == ["10.0.0.4", "10.0.0.5"])
        #expect(report.diagnostics.filter { $0.kind == "unparsed-line" }.map(\.line) == [4, 2])
        #expect(throws: FieldMapping.MappingError.self) { try FieldMapping(parsing: "src=client") }
        #expect(throws: FieldMapping.MappingError.self) { try FieldMapping(parsing: "ts=time,bogus=x") }
    }

    @Test func unmappedCSVIsSkippedWithADiagnostic() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try HuntFixtures.write("a,b\n1,2\n", "x.csv", in: dir)
        let report = try HuntFixtures.hunt([c])
        #expect(report.diagnostics.first?.kind == "skipped-format")
        #expect(report.files.first?.format == nil)
    }
}
