import Foundation
import VigilCore
import VigilDefaults
import VigilHunt
import VigilIndicators
import _VigilTestSupport

@testable import VigilVerdicts

/// The issue's scenario as one generated day of Zeek logs (conn, dns, http, dhcp) plus the agent
/// side as plain data:
///
/// - host-a.corp (10.1.0.10) has the 3CX files from 02:00 and beacons over HTTP to a 3CX C2 domain
///   from 03:00 to 20:00 → active;
/// - host-b.corp has the files from 06:00, is seen all day (10.1.0.21 in the morning, 10.1.0.50 by
///   DHCP from noon) and never contacts C2 → dormant;
/// - host-e.corp held 10.1.0.50 by DHCP until noon and resolved a 3CX C2 name at 10:00 from it →
///   contact-only (and the contact must NOT land on host-b, which holds the address later);
/// - host-c.corp (10.1.0.30, static mapping) resolves `update.newc2.test` once at 15:00, a name no
///   feed knows yet → clean, until a retro-hunt with the newly published domain → contact-only;
/// - host-d.corp (10.2.0.40) has the files from 01:00 and no sensor sees it → unknown-activity;
/// - 10.1.0.254 is a NAT address (mapping file) that resolves a C2 name → not attributed.
enum Scenario {
    static let day0 = 1_680_048_000.0  // 2023-03-29T00:00:00Z
    static let asOf = day0 + 86_399
    static let sensor = "zeek-core-1"
    static let c2 = "akamaicontainer.com"  // in the built-in 3CX set
    static let c2E = "msstorageazure.com"  // in the built-in 3CX set
    static let lateC2 = "newc2.test"  // published after the logs were read

    static let header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"

    static func write(_ text: String, _ name: String, in dir: URL) throws -> URL {
        try TestSupport.write(Array(text.utf8), to: name, in: dir)
    }

    static func ts(_ t: Double) -> String { String(format: "%.6f", t) }

    struct Logs {
        var dns, http, conn, dhcp: URL
        var mapping: URL
        var all: [URL] { [dns, http, conn] }
    }

    /// Writes the day's logs into `dir`.
    static func generate(in dir: URL) throws -> Logs {
        var rng = SeededRandom(seed: 13)
        var dnsRows: [(Double, String)] = []
        func lookup(_ t: Double, _ client: String, _ name: String) {
            dnsRows.append((t, "\(client)\t5353\t10.1.0.1\t53\tudp\t\(name)\tA\tNOERROR\t192.0.2.7\t60"))
        }
        for h in 0..<24 {
            let base = day0 + Double(h) * 3600
            if h < 12 {
                lookup(base + 600, "10.1.0.21", "intranet.corp.test")  // host-b, morning address
                lookup(base + 900, "10.1.0.50", "mail.corp.test")  // host-e on the DHCP address
            } else {
                lookup(base + 600, "10.1.0.50", "wiki.corp.test")  // host-b on the DHCP address
            }
            lookup(base + 1200, "10.1.0.30", "intranet.corp.test")  // host-c
            lookup(base + 1500, "10.1.0.10", "intranet.corp.test")  // host-a
        }
        lookup(day0 + 10 * 3600, "10.1.0.50", c2E)  // host-e resolves a 3CX C2 name once
        lookup(day0 + 15 * 3600, "10.1.0.30", "update." + lateC2)  // host-c, not yet known
        lookup(day0 + 5 * 3600, "10.1.0.254", c2)  // behind the NAT
        lookup(day0 + 3 * 3600 - 30, "10.1.0.10", c2)  // host-a resolves the C2 before beaconing
        dnsRows.sort { $0.0 < $1.0 }
        var dns = header + "#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\tTTLs\n"
        for (i, r) in dnsRows.enumerated() { dns += ts(r.0) + "\tD\(i)\t" + r.1 + "\n" }

        // host-a's beacon: HTTP to the C2 every 600 s ± 5 %, with its connections.
        var http = header + "#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\trequest_body_len\n"
        var conn = header + "#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_ip_bytes\n"
        var t = day0 + 3 * 3600
        var n = 0
        var connRows: [(Double, String)] = []
        while t < day0 + 20 * 3600 {
            http += ts(t) + "\tH\(n)\t10.1.0.10\t5\(n % 1000)\t203.0.113.10\t80\t1\tGET\t\(c2)\t/api/ping\t0\n"
            connRows.append((t, "H\(n)\t10.1.0.10\t5\(n % 1000)\t203.0.113.10\t80\ttcp\thttp\t0.3\t420\t900\tSF\t\(600 + Int.random(in: -5...5, using: &rng))"))
            t += 600 + Double.random(in: -30...30, using: &rng)
            n += 1
        }
        // Ordinary connections for everyone the sensor sees, each hour to another server (no beacon).
        for h in 0..<24 {
            let base = day0 + Double(h) * 3600
            connRows.append((base + 1210, "C\(h)c\t10.1.0.30\t40000\t192.0.2.\(100 + h)\t443\ttcp\tssl\t1.0\t900\t5000\tSF\t1200"))
            connRows.append((base + 610, "C\(h)b\t\(h < 12 ? "10.1.0.21" : "10.1.0.50")\t40001\t198.51.100.\(100 + h)\t443\ttcp\tssl\t1.0\t900\t5000\tSF\t1200"))
        }
        connRows.sort { $0.0 < $1.0 }
        for r in connRows { conn += ts(r.0) + "\t" + r.1 + "\n" }

        // DHCP: 10.1.0.50 leased to host-e at midnight for a day, then to host-b at noon.
        var dhcp = header + "#path\tdhcp\n#fields\tts\tuids\tclient_addr\tserver_addr\tmac\thost_name\tclient_fqdn\tdomain\trequested_addr\tassigned_addr\tlease_time\tclient_message\tserver_message\tmsg_types\tduration\n"
        dhcp += ts(day0 + 5) + "\tCd1\t-\t10.1.0.1\t02:00:00:00:00:0e\thost-e\t-\tcorp\t10.1.0.50\t10.1.0.50\t86400.000000\t-\t-\tREQUEST,ACK\t0.01\n"
        dhcp += ts(day0 + 43_200) + "\tCd2\t-\t10.1.0.1\t02:00:00:00:00:0b\thost-b\t-\tcorp\t10.1.0.50\t10.1.0.50\t86400.000000\t-\t-\tDISCOVER,OFFER,REQUEST,ACK\t0.02\n"
        dhcp += ts(day0 + 43_300) + "\tCd3\t-\t10.1.0.1\t02:00:00:00:00:0f\t-\t-\tcorp\t10.1.0.60\t-\t-\t-\t-\tREQUEST,NAK\t0.01\n"

        let mapping = """
            # static addresses and shared addresses of the scenario
            10.1.0.30     host-c.corp
            10.1.0.254    @nat      # the guest Wi-Fi NAT

            """
        return Logs(
            dns: try write(dns, "dns.log", in: dir), http: try write(http, "http.log", in: dir), conn: try write(conn, "conn.log", in: dir),
            dhcp: try write(dhcp, "dhcp.log", in: dir), mapping: try write(mapping, "hosts.map", in: dir))
    }

    /// What the agents report: addresses with their times.
    static let agents: [AgentAddress] = [
        AgentAddress(host: "host-a.corp", address: "10.1.0.10", firstSeen: day0, lastSeen: asOf),
        AgentAddress(host: "host-b.corp", address: "10.1.0.21", firstSeen: day0, lastSeen: day0 + 11.9 * 3600),
        AgentAddress(host: "host-e.corp", address: "10.1.0.50", firstSeen: day0, lastSeen: day0 + 11.9 * 3600),
        AgentAddress(host: "host-d.corp", address: "10.2.0.40", firstSeen: day0, lastSeen: asOf),
    ]

    /// The 3CX-like files the agents found (campaign: the built-in feed, as the scan reports it).
    static func files(firstSeen: Double, host: String) -> [FileFinding] {
        [
            FileFinding(
                path: "C:\\Users\\\(host)\\AppData\\Local\\Programs\\3CXDesktopApp\\app\\ffmpeg.dll",
                sha256: "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896", check: "3CX trojanized ffmpeg.dll", kind: .hash,
                severity: .critical, firstSeen: firstSeen, campaigns: ["default"]),
            FileFinding(
                path: "C:\\Users\\\(host)\\AppData\\Local\\Programs\\3CXDesktopApp\\app\\d3dcompiler_47.dll",
                sha256: "11be1803e2e307b647a8a7e02d128335c448ff741bf06bf52b332e0bbf423b03", check: "3CX d3dcompiler_47.dll with encrypted payload",
                kind: .hash, severity: .critical, firstSeen: firstSeen, campaigns: ["default"]),
        ]
    }
}
