import Foundation
import VigilFleetProtocol
import VigilGzip
import VigilHunt
import VigilCore
import VigilIndicators
import VigilLogFollower
import _VigilTestSupport

/// A stand-in for the store: applies each report once (by sensor and reportID) with its cursor,
/// as `FleetStore.applyNetworkReport` does, and sums contact counts per row as the contact index does.
actor MemoryNetworkStore {
    struct RowKey: Hashable {
        var day: String
        var client: String
        var name: String?
        var server: String?
    }

    private(set) var applied: [String: NetworkReport] = [:]
    private(set) var order: [String] = []
    private(set) var duplicates = 0
    private(set) var cursors: [String: LogCursor] = [:]
    private(set) var contacts: [RowKey: Int] = [:]
    private(set) var leases: [DHCPLease] = []
    /// When set, the next delivery is stored and then fails (a crash after the commit, before the answer).
    var failAfterStoring = false

    func apply(_ report: NetworkReport) throws {
        let key = report.sensor + "\n" + report.reportID
        if applied[key] != nil {
            duplicates += 1
        } else {
            applied[key] = report
            order.append(key)
            for row in report.contacts.names + report.contacts.servers {
                contacts[RowKey(day: row.day, client: row.client, name: row.name, server: row.server), default: 0] += row.count
            }
            if let c = report.cursor { cursors[c.source + "\n" + c.fileIdentity] = c }
            leases += report.leases
        }
        if failAfterStoring {
            failAfterStoring = false
            throw StoreFailure()
        }
    }

    func setFailAfterStoring() { failAfterStoring = true }

    func logCursors(source: String) -> [LogCursor] { cursors.values.filter { $0.source == source } }

    /// Sum of all contact counts (one per record that named a contact).
    var totalContacts: Int { contacts.values.reduce(0, +) }
    var reports: [NetworkReport] { order.compactMap { applied[$0] } }

    struct StoreFailure: Error {}
}

enum Logs {
    static let day0 = 1_680_048_000.0  // 2023-03-29T00:00:00Z

    static let dnsHeader = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tdns
        #open\t2023-03-29-00-00-00
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\tTTLs
        #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tstring\tvector[string]\tvector[interval]

        """

    static let connHeader = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tconn
        #open\t2023-03-29-00-00-00
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_ip_bytes
        #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tcount

        """

    /// Lines of the dns header (data starts on the line after).
    static var dnsHeaderLines: Int { dnsHeader.split(separator: "\n", omittingEmptySubsequences: false).count - 1 }

    /// DNS records `first..<first+count`: record i is at `day0 + i` seconds, client `10.1.0.(i%5+1)`,
    /// name `host(i%7).example.test`; `c2At` puts a 3CX C2 name on those records instead.
    static func dns(_ range: Range<Int>, c2At: Set<Int> = [], tag: String = "") -> String {
        var s = ""
        for i in range {
            let name = c2At.contains(i) ? "akamaicontainer.com" : "host\(i % 7)\(tag).example.test"
            s += String(format: "%.6f", day0 + Double(i)) + "\tD\(i)\t10.1.0.\(i % 5 + 1)\t5353\t10.1.0.254\t53\tudp\t\(name)\tA\tNOERROR\t192.0.2.\(i % 200 + 1)\t60\n"
        }
        return s
    }

    /// Connections from one client to one server every `interval` seconds (a beacon), from `start`.
    static func conn(client: String, server: String, count: Int, start: Double, interval: Double) -> String {
        var s = ""
        for i in 0..<count {
            let t = start + Double(i) * interval
            s += String(format: "%.6f", t) + "\tC\(i)\t\(client)\t5\(i % 1000)\t\(server)\t443\ttcp\tssl\t0.2\t1200\t800\tSF\t1500\n"
        }
        return s
    }

    static func write(_ text: String, _ name: String, in dir: URL) throws {
        try TestSupport.write(Array(text.utf8), to: name, in: dir)
    }

    static func append(_ text: String, _ name: String, in dir: URL) throws {
        let h = try FileHandle(forWritingTo: dir.appendingPathComponent(name))
        try h.seekToEnd()
        try h.write(contentsOf: Array(text.utf8))
        try h.close()
    }

    static func gzip(_ text: String) throws -> [UInt8] { try GzipEncoder.gzip(Array(text.utf8)) }
}

/// A follower over `dir` delivering into `store`, settling at once.
func makeFollower(
    _ dir: URL, store: MemoryNetworkStore, maxLines: Int = 200_000, indicators: IndicatorSet = IndicatorSet(),
    diagnostics: DiagnosticLog = DiagnosticLog(), configure: (inout LogFollowerConfiguration) -> Void = { _ in }
) -> LogFollower {
    var c = LogFollowerConfiguration(directory: dir.path, sensor: "zeek1")
    c.maxLinesPerReport = maxLines
    c.settleSeconds = 0
    configure(&c)
    return LogFollower(
        configuration: c, cursors: { source in await store.logCursors(source: source) }, deliver: { try await store.apply($0) },
        indicators: { indicators }, onDiagnostic: { d in diagnostics.add(d) })
}

/// Collects diagnostics from the follower's callback.
final class DiagnosticLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [VigilCore.Diagnostic] = []
    func add(_ d: VigilCore.Diagnostic) { lock.withLock { items.append(d) } }
    var all: [VigilCore.Diagnostic] { lock.withLock { items } }
}
