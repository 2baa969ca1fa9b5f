import VigilCore

/// What a contact summary collects, and how much of it (``HuntOptions/contactSummary``).
public struct ContactSummaryOptions: Sendable {
    /// The name of the sensor (log source) the logs come from, e.g. the Zeek box's host name.
    public var sensor: String
    /// At most this many rows (names and servers together) are kept. Contacts that would open a new
    /// row past the cap are counted in ``ContactSummary/droppedContacts``, never lost silently.
    public var maxRows: Int
    /// The default row cap: about 2 million rows, a few hundred MB at most.
    public static let defaultMaxRows = 2_000_000

    public init(sensor: String, maxRows: Int = ContactSummaryOptions.defaultMaxRows) {
        self.sensor = sensor
        self.maxRows = max(0, maxRows)
    }
}

/// One distinct contact of a day: a client address that asked for a name (DNS query, HTTP Host,
/// TLS SNI, proxy target) or talked to a server address (connection logs).
public struct ContactRow: Sendable, Hashable, Codable {
    /// The UTC day, `YYYY-MM-DD`.
    public var day: String
    /// The client address as logged.
    public var client: String
    /// The name asked for (lowercase, no trailing dot), for a name row.
    public var name: String?
    /// The server address, for a server row.
    public var server: String?
    /// How many records of the day had this contact.
    public var count: Int
    /// Epoch seconds of the first and last record.
    public var firstSeen: Double
    public var lastSeen: Double
    /// The log types the contact was seen in (`conn`, `dns`, `http`, `tls`, `proxy`), sorted.
    public var logs: [String]
    /// The log file and 1-based line of the earliest record.
    public var evidenceFile: String
    public var evidenceLine: Int

    public init(
        day: String, client: String, name: String? = nil, server: String? = nil, count: Int, firstSeen: Double, lastSeen: Double,
        logs: [String], evidenceFile: String, evidenceLine: Int
    ) {
        self.day = day
        self.client = client
        self.name = name
        self.server = server
        self.count = count
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.logs = logs
        self.evidenceFile = evidenceFile
        self.evidenceLine = evidenceLine
    }

    /// `file:line` of the earliest record.
    public var evidence: String { "\(evidenceFile):\(evidenceLine)" }
}

/// The compact record of who talked to what in a hunt run: what `vigil hunt --report-to` posts and
/// what a contact index stores, so new indicators can be matched later without re-reading any log.
public struct ContactSummary: Sendable, Codable {
    /// The sensor (log source) that produced the logs.
    public var sensor: String
    /// Distinct (day, client, name) rows, sorted by day, client, name.
    public var names: [ContactRow] = []
    /// Distinct (day, client, server address) rows, sorted by day, client, server.
    public var servers: [ContactRow] = []
    /// Epoch seconds of the earliest and latest record summarised (`nil` when none).
    public var windowStart: Double?
    public var windowEnd: Double?
    /// Records that would have opened a row past the row cap.
    public var droppedContacts = 0
    /// Records whose name could not be kept (longer than 253 bytes, or empty).
    public var rejectedNames = 0
    /// Records naming a contact but without a client address or a usable time (e.g. a proxy log
    /// without a client field): they cannot be tied to any host.
    public var withoutClient = 0
    /// The row cap in force.
    public var maxRows: Int

    public init(sensor: String, maxRows: Int) {
        self.sensor = sensor
        self.maxRows = maxRows
    }
}

/// Which log a contact came from (a bit in ``ContactCollector``'s masks).
enum ContactLog: UInt8, CaseIterable {
    case conn = 1, dns = 2, http = 4, tls = 8, proxy = 16
    var name: String {
        switch self {
        case .conn: "conn"
        case .dns: "dns"
        case .http: "http"
        case .tls: "tls"
        case .proxy: "proxy"
        }
    }
}

/// Collects a ``ContactSummary`` during a hunt; bounded by the row cap.
final class ContactCollector {
    private struct NameKey: Hashable {
        var day: Int32
        var client: IPAddress
        var name: String
    }
    private struct ServerKey: Hashable {
        var day: Int32
        var client: IPAddress
        var server: IPAddress
    }
    private struct Aggregate {
        var count: Int
        var first: Double
        var last: Double
        var logs: UInt8
        var file: Int32
        var line: Int
    }

    let options: ContactSummaryOptions
    private var names: [NameKey: Aggregate] = [:]
    private var servers: [ServerKey: Aggregate] = [:]
    private var dropped = 0
    private var rejected = 0
    /// See ``ContactSummary/withoutClient``.
    var withoutClient = 0
    private var lo = Double.infinity
    private var hi = -Double.infinity

    init(options: ContactSummaryOptions) { self.options = options }

    private var rows: Int { names.count + servers.count }

    private static func day(_ ts: Double) -> Int32 {
        Int32(clamping: Int((ts / 86_400).rounded(.down)))
    }

    private static func merge(_ agg: inout Aggregate, ts: Double, log: ContactLog, at location: SourceLocation) {
        agg.count += 1
        if ts < agg.first {
            agg.first = ts
            agg.file = Int32(clamping: location.file)
            agg.line = location.line
        }
        agg.last = max(agg.last, ts)
        agg.logs |= log.rawValue
    }

    /// A client asked for `name` (raw log bytes).
    func name(_ raw: UnsafeRawBufferPointer, client: IPAddress, ts: Double, log: ContactLog, at location: SourceLocation) {
        guard ts.isFinite, abs(ts) < 1e12 else { withoutClient += 1; return }
        var bytes = raw
        if bytes.count > 0, bytes[bytes.count - 1] == UInt8(ascii: ".") { bytes = bytes.slice(0, bytes.count - 1) }
        guard bytes.count > 0, bytes.count <= 253 else { rejected += 1; return }
        let text = Self.text(bytes)
        lo = min(lo, ts)
        hi = max(hi, ts)
        let key = NameKey(day: Self.day(ts), client: client, name: text)
        if var agg = names[key] {
            Self.merge(&agg, ts: ts, log: log, at: location)
            names[key] = agg
        } else if rows < options.maxRows {
            names[key] = Aggregate(count: 1, first: ts, last: ts, logs: log.rawValue, file: Int32(clamping: location.file), line: location.line)
        } else {
            dropped += 1
        }
    }

    /// A client talked to a server address.
    func server(_ server: IPAddress, client: IPAddress, ts: Double, log: ContactLog, at location: SourceLocation) {
        guard ts.isFinite, abs(ts) < 1e12 else { withoutClient += 1; return }
        lo = min(lo, ts)
        hi = max(hi, ts)
        let key = ServerKey(day: Self.day(ts), client: client, server: server)
        if var agg = servers[key] {
            Self.merge(&agg, ts: ts, log: log, at: location)
            servers[key] = agg
        } else if rows < options.maxRows {
            servers[key] = Aggregate(count: 1, first: ts, last: ts, logs: log.rawValue, file: Int32(clamping: location.file), line: location.line)
        } else {
            dropped += 1
        }
    }

    /// The name as storable text, lowercased: control bytes, DEL, backslashes and (in a name that is
    /// not valid UTF-8) every byte above 0x7f written as `\xNN`, as Zeek writes them, so a name with a NUL
    /// or a broken sequence survives a database and JSON unchanged in meaning.
    static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        let plain = !bytes.contains { $0 < 0x20 || $0 == 0x7f || $0 == 0x5c }
        if plain, let s = String(validating: bytes, as: UTF8.self) { return s.lowercased() }
        let validUTF8 = String(validating: bytes, as: UTF8.self) != nil
        let hex: [Character] = Array("0123456789abcdef")
        var out = ""
        var run: [UInt8] = []
        func flush() {
            if !run.isEmpty { out += String(decoding: run, as: UTF8.self); run.removeAll() }
        }
        for c in bytes {
            if c < 0x20 || c == 0x7f || c == 0x5c || (c >= 0x80 && !validUTF8) {
                flush()
                out += "\\x" + String(hex[Int(c >> 4)]) + String(hex[Int(c & 15)])
            } else {
                run.append(c)
            }
        }
        flush()
        return out.lowercased()
    }

    private static func dayText(_ day: Int32) -> String { String(isoTime(Double(day) * 86_400).prefix(10)) }

    private static func logNames(_ mask: UInt8) -> [String] {
        ContactLog.allCases.filter { mask & $0.rawValue != 0 }.map(\.name).sorted()
    }

    /// The summary, with file indexes turned into paths.
    func summary(files: [String]) -> ContactSummary {
        var s = ContactSummary(sensor: options.sensor, maxRows: options.maxRows)
        func path(_ i: Int32) -> String { Int(i) < files.count ? files[Int(i)] : "?" }
        s.names = names.sorted { ($0.key.day, $0.key.client, $0.key.name) < ($1.key.day, $1.key.client, $1.key.name) }.map { k, a in
            ContactRow(
                day: Self.dayText(k.day), client: k.client.description, name: k.name, count: a.count, firstSeen: a.first, lastSeen: a.last,
                logs: Self.logNames(a.logs), evidenceFile: path(a.file), evidenceLine: a.line)
        }
        s.servers = servers.sorted { ($0.key.day, $0.key.client, $0.key.server) < ($1.key.day, $1.key.client, $1.key.server) }.map { k, a in
            ContactRow(
                day: Self.dayText(k.day), client: k.client.description, server: k.server.description, count: a.count, firstSeen: a.first,
                lastSeen: a.last, logs: Self.logNames(a.logs), evidenceFile: path(a.file), evidenceLine: a.line)
        }
        if lo <= hi {
            s.windowStart = lo
            s.windowEnd = hi
        }
        s.droppedContacts = dropped
        s.rejectedNames = rejected
        s.withoutClient = withoutClient
        return s
    }
}

extension ContactCollector {
    /// A host field (HTTP Host, SNI, proxy target): an address literal (with or without `:port`) is a
    /// server row, anything else a name row.
    func host(_ raw: UnsafeRawBufferPointer, client: IPAddress, ts: Double, log: ContactLog, at location: SourceLocation) {
        guard raw.count > 0 else { return }
        var h = raw
        if let colon = h.lastIndex(of: UInt8(ascii: ":")), h.firstIndex(of: UInt8(ascii: ":")) == colon { h = h.slice(0, colon) }
        if h.count > 2, h[0] == UInt8(ascii: "["), h[h.count - 1] == UInt8(ascii: "]") { h = h.slice(1, h.count - 1) }
        if let ip = IPAddress(h) {
            server(ip, client: client, ts: ts, log: log, at: location)
        } else {
            name(h, client: client, ts: ts, log: log, at: location)
        }
    }
}
