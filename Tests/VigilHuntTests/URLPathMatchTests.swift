import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

/// URL-path indicators (SophosLabs `url_path` rows) on HTTP and proxy logs: any host, exact path or
/// `/`-terminated prefix; never on TLS (no path there).
@Suite struct URLPathMatchTests {
    let paths = HuntFixtures.indicators([(.urlPath, "/api/device_info.php"), (.urlPath, "/wp-content/plugins/x/"), (.domain, "evil.example")])

    @Test func zeekHTTPRequestsMatchByPathOnAnyHost() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = "ts\tuid\tid.orig_h\tid.resp_h\tid.resp_p\tmethod\thost\turi\n"
            + "1680000000\tC1\t10.0.0.5\t192.0.2.1\t80\tPOST\t192.0.2.1\t/api/device_info.php?id=42\n"
            + "1680000001\tC2\t10.0.0.6\t192.0.2.2\t80\tGET\tblog.example\t/wp-content/plugins/x/load.js\n"
            + "1680000002\tC3\t10.0.0.7\t192.0.2.3\t80\tGET\tother.example\t/api/device_info.phpx\n"
            + "1680000003\tC4\t10.0.0.8\t192.0.2.4\t80\tGET\tother.example\t/API/device_info.php\n"
            + "1680000004\tC5\t10.0.0.9\t192.0.2.5\t80\tGET\tother.example\t/wp-content/plugins/xy/\n"
        let url = try HuntFixtures.write(text, "http.log", in: dir)
        let report = try HuntFixtures.hunt([url], indicators: paths)
        let hits = report.hits.filter { $0.channel == .httpURL }
        #expect(hits.map(\.host).sorted() == ["10.0.0.5", "10.0.0.6"])
        let device = try #require(hits.first { $0.host == "10.0.0.5" })
        #expect(device.indicator == "/api/device_info.php")
        #expect(device.observed == "http://192.0.2.1/api/device_info.php?id=42")
        #expect(device.rule == "URL path /api/device_info.php")
        #expect(hits.first { $0.host == "10.0.0.6" }?.indicator == "/wp-content/plugins/x/")
    }

    @Test func squidProxyRequestsMatchButConnectTunnelsDoNot() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = "1680000000.361 502 10.0.0.10 TCP_MISS/200 216 GET http://203.0.113.7/api/device_info.php - HIER_DIRECT/203.0.113.7 text/html\n"
            + "1680000001.361 2812 10.0.0.11 TCP_TUNNEL/200 5435 CONNECT www.example.com:443 - HIER_DIRECT/192.0.2.9 -\n"
        let url = try HuntFixtures.write(text, "access.log", in: dir)
        let report = try HuntFixtures.hunt([url], indicators: paths)
        let hits = report.hits.filter { $0.channel == .proxyURL }
        #expect(hits.count == 1)
        #expect(hits.first?.host == "10.0.0.10")
        #expect(hits.first?.indicator == "/api/device_info.php")
    }
}
