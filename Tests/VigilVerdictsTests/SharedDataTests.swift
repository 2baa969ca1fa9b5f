import Foundation
import Testing
import VigilHunt
import VigilIndicators
import _VigilTestSupport

/// RITA's public Zeek logs (GPL: read in place, never copied), cross-checked by an independent parse.
@Suite(.enabled(if: TestSupport.sharedData != nil, Comment(rawValue: TestSupport.sharedDataMissing)))
struct VerdictSharedDataTests {
    static func data(_ path: String) -> URL { TestSupport.sharedData!.appendingPathComponent("network").appendingPathComponent(path) }

    /// The data rows of a Zeek TSV log as columns by field name (a plain split: RITA's logs have no escapes).
    static func rows(_ url: URL) throws -> [[String: String]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var fields: [String] = []
        var out: [[String: String]] = []
        for line in text.split(separator: "\n") {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if cols[0] == "#fields" { fields = Array(cols.dropFirst()); continue }
            if line.hasPrefix("#") { continue }
            out.append(Dictionary(uniqueKeysWithValues: zip(fields, cols)))
        }
        return out
    }

    /// A Zeek 2 dhcp.log (`assigned_ip`, `lease_time` 0): every row a lease with an open end.
    @Test func ritaZeek2DHCPLog() throws {
        let url = Self.data("rita/proxy/dhcp.log")
        let expected = try Self.rows(url)
        let r = try DHCPLogReader().read(path: url.path)
        #expect(r.rejected == 0)
        #expect(r.rows == expected.count)
        #expect(r.leases.count == expected.filter { $0["assigned_ip"] != "-" }.count)
        #expect(r.leases.count > 0)
        for (lease, row) in zip(r.leases, expected.filter { $0["assigned_ip"] != "-" }) {
            #expect(lease.address == row["assigned_ip"])
            #expect(lease.mac == row["mac"])
            #expect(lease.start == Double(row["ts"]!))
            #expect(lease.end == nil)  // lease_time 0.000000 in every row: unknown
        }
    }

    /// The contact summary of RITA's proxy dns.log agrees with a plain count of distinct
    /// (UTC day, client, lowercased query) triples.
    @Test func ritaDNSContactSummaryMatchesAnIndependentCount() throws {
        let url = Self.data("rita/proxy/dns.log")
        var expected: [String: Int] = [:]
        for row in try Self.rows(url) {
            guard let q = row["query"], q != "-", let ts = Double(row["ts"]!), let client = row["id.orig_h"] else { continue }
            var name = q.lowercased()
            if name.hasSuffix(".") { name.removeLast() }
            expected["\(Int(ts / 86_400)) \(client) \(name)", default: 0] += 1
        }
        var options = HuntOptions(indicators: IndicatorSet())
        options.contactSummary = ContactSummaryOptions(sensor: "rita")
        let engine = HuntEngine(options: options)
        _ = try engine.run(paths: [url.path])
        let s = try #require(engine.contactSummary)
        #expect(s.names.count == expected.count)
        #expect(s.names.reduce(0) { $0 + $1.count } == expected.values.reduce(0, +))
        #expect(s.droppedContacts == 0)
        for row in s.names {
            let day = Int((row.firstSeen / 86_400).rounded(.down))
            #expect(expected["\(day) \(row.client) \(row.name ?? "")"] == row.count, "\(row.client) \(row.name ?? "")")
            #expect(row.logs == ["dns"])
            #expect(row.evidenceFile == url.path)
        }
    }
}
