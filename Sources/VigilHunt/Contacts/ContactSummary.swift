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
    /// Distinct (day, client, name) rows, sorted by day, client address (numerically), name.
    public var names: [ContactRow] = []
    /// Distinct (day, client, server address) rows, sorted by day, client, server (numerically).
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

/// Names interned once (ASCII-lowercased bytes in one flat buffer) so the per-record path builds no
/// `String`: a record's name is hashed and compared in place; only new names are copied.
struct NameTable {
    private(set) var bytes: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots = [UInt32](repeating: 0, count: 1024)
    private var mask = 1023
    private let seed = UInt64.random(in: 1...UInt64.max)

    var count: Int { hashes.count }

    func name(_ id: Int) -> ArraySlice<UInt8> { bytes[offsets[id]..<offsets[id + 1]] }

    private func hash(_ name: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for var c in name {
            if c >= 0x41 && c <= 0x5a { c |= 0x20 }
            h = (h ^ UInt64(c)) &* 0x100_0000_01b3
        }
        return mix64(h)
    }

    private func equal(_ id: Int, _ name: UnsafeRawBufferPointer) -> Bool {
        let start = offsets[id]
        guard offsets[id + 1] - start == name.count else { return false }
        return bytes.withUnsafeBufferPointer { b in
            for i in 0..<name.count {
                var c = name[i]
                if c >= 0x41 && c <= 0x5a { c |= 0x20 }
                if b[start + i] != c { return false }
            }
            return true
        }
    }

    /// The id of `name` (ASCII case folded), inserting it when `insert` is true.
    mutating func id(_ name: UnsafeRawBufferPointer, insert: Bool) -> UInt32? {
        let h = hash(name)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let v = slots[i]
            if v == 0 { break }
            let id = Int(v - 1)
            if hashes[id] == h && equal(id, name) { return UInt32(id) }
            i = (i + 1) & mask
        }
        guard insert else { return nil }
        let id = hashes.count
        for var c in name {
            if c >= 0x41 && c <= 0x5a { c |= 0x20 }
            bytes.append(c)
        }
        offsets.append(bytes.count)
        hashes.append(h)
        slots[i] = UInt32(id + 1)
        if hashes.count * 2 > slots.count {
            let c = slots.count * 2
            var fresh = [UInt32](repeating: 0, count: c)
            for (n, hh) in hashes.enumerated() {
                var j = Int(truncatingIfNeeded: hh) & (c - 1)
                while fresh[j] != 0 { j = (j + 1) & (c - 1) }
                fresh[j] = UInt32(n + 1)
            }
            slots = fresh
            mask = c - 1
        }
        return UInt32(id)
    }
}

/// Collects a ``ContactSummary`` during a hunt; bounded by the row cap. Rows are kept in insert-only
/// open-addressing indexes keyed by (day, client, name id) and (day, client, server): no `String` and
/// no SipHash per record.
final class ContactCollector {
    private struct NameKey: FastHashable {
        var day: Int32
        var name: UInt32
        var client: IPAddress
        func fastHash(_ seed: UInt64) -> UInt64 {
            mix64(client.high ^ seed) ^ mix64(client.low &+ seed) ^ mix64(UInt64(name) << 32 | UInt64(UInt32(bitPattern: day)))
        }
    }
    private struct ServerKey: FastHashable {
        var day: Int32
        var client: IPAddress
        var server: IPAddress
        func fastHash(_ seed: UInt64) -> UInt64 {
            mix64(client.high ^ seed) ^ mix64(client.low &+ seed) ^ mix64(server.high ^ UInt64(UInt32(bitPattern: day))) ^ mix64(server.low &+ 0x5bd1e995)
        }
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
    private var nameTable = NameTable()
    private var names = FastIndex<NameKey>(capacity: 1 << 12)
    private var nameAggregates: [Aggregate] = []
    private var servers = FastIndex<ServerKey>(capacity: 1 << 12)
    private var serverAggregates: [Aggregate] = []
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

    private static func fresh(_ ts: Double, _ log: ContactLog, _ location: SourceLocation) -> Aggregate {
        Aggregate(count: 1, first: ts, last: ts, logs: log.rawValue, file: Int32(clamping: location.file), line: location.line)
    }

    /// A client asked for `name` (raw log bytes).
    func name(_ raw: UnsafeRawBufferPointer, client: IPAddress, ts: Double, log: ContactLog, at location: SourceLocation) {
        guard ts.isFinite, abs(ts) < 1e12 else { withoutClient += 1; return }
        var bytes = raw
        if bytes.count > 0, bytes[bytes.count - 1] == UInt8(ascii: ".") { bytes = bytes.slice(0, bytes.count - 1) }
        guard bytes.count > 0, bytes.count <= 253 else { rejected += 1; return }
        lo = min(lo, ts)
        hi = max(hi, ts)
        let full = rows >= options.maxRows
        let id: UInt32?
        if bytes.contains(where: { $0 >= 0x80 }), let s = String(validating: bytes, as: UTF8.self) {
            // Non-ASCII UTF-8: fold case with Unicode rules first (rare).
            var lower = s.lowercased()
            id = lower.withUTF8 { nameTable.id(UnsafeRawBufferPointer($0), insert: !full) }
        } else {
            id = nameTable.id(bytes, insert: !full)
        }
        guard let id else { dropped += 1; return }
        let key = NameKey(day: Self.day(ts), name: id, client: client)
        if let row = names.id(of: key) {
            Self.merge(&nameAggregates[Int(row)], ts: ts, log: log, at: location)
        } else if !full {
            _ = names.insert(key)
            nameAggregates.append(Self.fresh(ts, log, location))
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
        if let row = servers.id(of: key) {
            Self.merge(&serverAggregates[Int(row)], ts: ts, log: log, at: location)
        } else if rows < options.maxRows {
            _ = servers.insert(key)
            serverAggregates.append(Self.fresh(ts, log, location))
        } else {
            dropped += 1
        }
    }

    /// The log type names of a mask, sorted (computed once per mask).
    private static let logNameTable: [[String]] = (0..<32).map { mask in
        ContactLog.allCases.filter { mask & Int($0.rawValue) != 0 }.map(\.name).sorted()
    }

    private static func logNames(_ mask: UInt8) -> [String] { logNameTable[Int(mask & 31)] }

    /// The summary, with file indexes turned into paths.
    func summary(files: [String]) -> ContactSummary {
        var s = ContactSummary(sensor: options.sensor, maxRows: options.maxRows)
        func path(_ i: Int32) -> String { Int(i) < files.count ? files[Int(i)] : "?" }
        var dayTexts: [Int32: String] = [:]
        func dayText(_ d: Int32) -> String {
            if let t = dayTexts[d] { return t }
            let t = Self.dayText(d)
            dayTexts[d] = t
            return t
        }
        var addressTexts: [IPAddress: String] = [:]
        func text(_ ip: IPAddress) -> String {
            if let t = addressTexts[ip] { return t }
            let t = ip.description
            if addressTexts.count < 1 << 20 { addressTexts[ip] = t }
            return t
        }
        // Sorted on the numeric keys (day, client address, then name or server), strings built once.
        let nameTexts = (0..<nameTable.count).map { id in nameTable.name(id).withUnsafeBytes { Self.text($0) } }
        let nameKeys = names.keys
        let nameOrder = nameKeys.indices.sorted { i, j in
            let a = nameKeys[i], b = nameKeys[j]
            if a.day != b.day { return a.day < b.day }
            if a.client != b.client { return a.client < b.client }
            return nameTexts[Int(a.name)] < nameTexts[Int(b.name)]
        }
        s.names = nameOrder.map { i in
            let k = nameKeys[i], a = nameAggregates[i]
            return ContactRow(
                day: dayText(k.day), client: text(k.client), name: nameTexts[Int(k.name)], count: a.count, firstSeen: a.first, lastSeen: a.last,
                logs: Self.logNames(a.logs), evidenceFile: path(a.file), evidenceLine: a.line)
        }
        let serverKeys = servers.keys
        let serverOrder = serverKeys.indices.sorted { i, j in
            let a = serverKeys[i], b = serverKeys[j]
            return (a.day, a.client, a.server) < (b.day, b.client, b.server)
        }
        s.servers = serverOrder.map { i in
            let k = serverKeys[i], a = serverAggregates[i]
            return ContactRow(
                day: dayText(k.day), client: text(k.client), server: text(k.server), count: a.count, firstSeen: a.first,
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
