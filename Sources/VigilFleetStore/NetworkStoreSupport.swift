import Crypto
import Foundation
import VigilCore
import VigilFleetProtocol
import VigilHunt
import VigilVerdicts

/// Limits on one network report, checked by the server route (400) and again by the stores, so a
/// hostile report cannot make one transaction unbounded.
public enum NetworkReportLimits {
    /// Contact rows (names and servers together) in one report.
    public static let maxContactRows = 2_000_000
    public static let maxHits = 100_000
    public static let maxBeacons = 100_000
    public static let maxLeases = 1_000_000
    // The byte limits of text fields are the producers' (``ReportFieldLimits`` in VigilHunt), so
    // what the DHCP reader, the contact summary and the report builders keep is what is accepted here.
    /// A DNS name is at most 253 bytes; escaped bytes (`\xNN`) may make the text four times longer.
    public static let maxNameBytes = ReportFieldLimits.maxNameBytes
    public static let maxAddressBytes = ReportFieldLimits.maxAddressBytes
    public static let maxSensorBytes = ReportFieldLimits.maxSensorBytes
    public static let maxReportIDBytes = ReportFieldLimits.maxReportIDBytes
    /// Paths (evidence files, cursor paths) and other free text.
    public static let maxPathBytes = ReportFieldLimits.maxPathBytes
    public static let maxTextBytes = ReportFieldLimits.maxTextBytes
    /// A row's record count (so sums of counts never overflow 64 bits).
    public static let maxCount = 1_000_000_000_000
    /// `file:line` references kept per hit.
    public static let maxEvidencePerItem = 64
}

/// Key encodings of the contact index, shared by both back ends.
///
/// - Names are stored with their labels reversed (`a.evil.com` as `com.evil.a`), so "equals `D` or
///   lies below `D`" is one index range: `[rev(D), rev(D) + "/")`, `/` being the byte after `.`.
/// - Server addresses are 16 bytes, IPv4 mapped (`::ffff:a.b.c.d`), so a CIDR is a `BETWEEN` range
///   of byte strings.
/// - Days are whole days since 1970-01-01 (UTC).
/// - Log types are a bit mask, so merging is a bitwise OR.
public enum ContactKeys {
    /// The labels of a name in reverse order.
    public static func reversedName(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).reversed().joined(separator: ".")
    }

    /// The name from its reversed form (the reversal is its own inverse).
    public static func name(reversed: String) -> String { reversedName(reversed) }

    /// The range of reversed names equal to `domain` or below it: `lower <= r < upper`, and either
    /// `r == equal` or `r >= below` (the range also holds `evil-x.com`-like neighbours, filtered so).
    public static func nameRange(_ domain: String) -> (equal: String, below: String, upper: String) {
        let r = reversedName(domain)
        return (r, r + ".", r + "/")
    }

    /// A domain as the index expects it: lowercase, no trailing dot; nil when empty or too long.
    public static func normalisedDomain(_ domain: String) -> String? {
        var d = domain.lowercased()
        while d.hasSuffix(".") { d.removeLast() }
        guard !d.isEmpty, d.utf8.count <= NetworkReportLimits.maxNameBytes else { return nil }
        return d
    }

    /// 16 bytes of an address (IPv4 mapped); nil when `text` is not an address.
    public static func addressBytes(_ text: String) -> Data? {
        IPAddress(text).map(bytes)
    }

    public static func bytes(_ ip: IPAddress) -> Data {
        var d = Data(count: 16)
        for i in 0..<8 {
            d[i] = UInt8(truncatingIfNeeded: ip.high >> (56 - 8 * UInt64(i)))
            d[8 + i] = UInt8(truncatingIfNeeded: ip.low >> (56 - 8 * UInt64(i)))
        }
        return d
    }

    /// The address from its 16 bytes (canonical text); nil when not 16 bytes.
    public static func address(_ bytes: Data) -> String? {
        guard bytes.count == 16 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        let b = [UInt8](bytes)
        for i in 0..<8 { hi = hi << 8 | UInt64(b[i]) }
        for i in 8..<16 { lo = lo << 8 | UInt64(b[i]) }
        return IPAddress(high: hi, low: lo).description
    }

    /// The first and last address of a network, as 16 bytes each.
    public static func range(_ network: IPNetwork) -> (lower: Data, upper: Data) {
        let hb = min(network.bits, 64), lb = max(network.bits - 64, 0)
        let hm: UInt64 = hb == 0 ? 0 : ~UInt64(0) << UInt64(64 - hb)
        let lm: UInt64 = lb == 0 ? 0 : ~UInt64(0) << UInt64(64 - lb)
        let low = IPAddress(high: network.address.high & hm, low: network.address.low & lm)
        let high = IPAddress(high: network.address.high | ~hm, low: network.address.low | ~lm)
        return (bytes(low), bytes(high))
    }

    /// Days since 1970-01-01 of `YYYY-MM-DD`; nil when not a valid date of that form.
    public static func dayNumber(_ day: String) -> Int? {
        let u = Array(day.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard u[i] >= 0x30, u[i] <= 0x39 else { return nil }
                v = v * 10 + Int(u[i] - 0x30)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10), (1...12).contains(m), d >= 1 else { return nil }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= lengths[m - 1] else { return nil }
        // Days from civil (H. Hinnant's algorithm).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `YYYY-MM-DD` of a day number.
    public static func day(_ number: Int) -> String {
        let z = number + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// The log types the index knows, in bit order.
    public static let logNames = ["conn", "dns", "http", "tls", "proxy"]

    /// The bit mask of log type names; nil when one is unknown.
    public static func logMask(_ logs: [String]) -> Int? {
        var mask = 0
        for log in logs {
            guard let i = logNames.firstIndex(of: log) else { return nil }
            mask |= 1 << i
        }
        return mask
    }

    public static func logs(_ mask: Int) -> [String] {
        logNames.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
    }
}

/// One contact row ready for the index: keys encoded, duplicates within the report merged.
public struct PreparedContact: Sendable, Hashable {
    /// Reversed name (name rows) or canonical address text (server rows, for messages only).
    public var key: String
    /// 16 address bytes, server rows only.
    public var address: Data?
    public var day: Int
    public var client: String
    public var count: Int64
    public var firstSeen: Double
    public var lastSeen: Double
    public var logs: Int
    public var evidenceFile: String
    public var evidenceLine: Int64

    mutating func merge(_ o: PreparedContact) {
        count = count &+ o.count
        if o.firstSeen < firstSeen {
            firstSeen = o.firstSeen
            evidenceFile = o.evidenceFile
            evidenceLine = o.evidenceLine
        }
        lastSeen = max(lastSeen, o.lastSeen)
        logs |= o.logs
    }
}

/// Coverage of one client on one day by the report's rows (merged into the stored coverage row).
public struct PreparedCoverage: Sendable, Hashable {
    public var client: String
    public var day: Int
    public var firstSeen: Double
    public var lastSeen: Double
    public var evidenceFile: String
    public var evidenceLine: Int64
}

/// Network evidence with its identity columns and the JSON body of the rest.
public struct PreparedEvidence: Sendable {
    /// SHA-256 over the identity fields (sensor, kind, client address, destination, indicator,
    /// first seen), the unique key: the fields themselves may be too long for an index entry.
    public var identity: Data
    public var sensor: String
    public var kind: String
    public var address: String
    public var destination: String
    public var indicator: String
    public var firstSeen: Double
    public var lastSeen: Double
    public var count: Int64
    public var body: Data

    public init(_ e: NetworkEvidence) throws {
        try NetworkReportCheck.text(e.address, max: NetworkReportLimits.maxAddressBytes, what: "evidence address", allowEmpty: true)
        try NetworkReportCheck.text(e.destination, max: NetworkReportLimits.maxPathBytes, what: "evidence destination")
        try NetworkReportCheck.text(e.indicator ?? "", max: NetworkReportLimits.maxPathBytes, what: "evidence indicator", allowEmpty: true)
        try NetworkReportCheck.text(e.sensor ?? "", max: NetworkReportLimits.maxSensorBytes, what: "evidence sensor", allowEmpty: true)
        try NetworkReportCheck.text(e.channel, max: NetworkReportLimits.maxTextBytes, what: "evidence channel", allowEmpty: true)
        guard e.firstSeen.isFinite, e.lastSeen.isFinite, e.count >= 0, e.evidence.count <= NetworkReportLimits.maxEvidencePerItem else {
            throw FleetStoreError.invalidInput("evidence to \(e.destination.prefix(80)): bad times, count or more than \(NetworkReportLimits.maxEvidencePerItem) references")
        }
        var e = e
        e.host = ""
        sensor = e.sensor ?? ""
        kind = e.kind.rawValue
        address = e.address
        destination = e.destination
        indicator = e.indicator ?? ""
        firstSeen = e.firstSeen
        lastSeen = max(e.firstSeen, e.lastSeen)
        count = Int64(e.count)
        body = try Self.encoder.encode(e)
        var h = SHA256()
        for field in [sensor, kind, address, destination, indicator, String(firstSeen.bitPattern)] {
            var n = UInt32(field.utf8.count).bigEndian
            withUnsafeBytes(of: &n) { h.update(bufferPointer: $0) }
            h.update(data: Data(field.utf8))
        }
        identity = Data(h.finalize())
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()

    /// Evidence from its stored body, with the stored (merged) last seen and count.
    public static func evidence(body: Data, lastSeen: Double, count: Int64) throws -> NetworkEvidence {
        var e = try JSONDecoder().decode(NetworkEvidence.self, from: body)
        e.lastSeen = lastSeen
        e.count = Int(clamping: count)
        return e
    }

    /// One row per identity, the later occurrence widening the earlier.
    public static func deduplicated(_ rows: [PreparedEvidence]) -> [PreparedEvidence] {
        var index: [Data: Int] = [:]
        var out: [PreparedEvidence] = []
        for row in rows {
            if let i = index[row.identity] {
                let last = max(out[i].lastSeen, row.lastSeen), count = max(out[i].count, row.count)
                out[i] = row
                out[i].lastSeen = last
                out[i].count = count
            } else {
                index[row.identity] = out.count
                out.append(row)
            }
        }
        return out
    }
}

/// A network report checked and prepared for a store: rows deduplicated and keyed, coverage
/// aggregated per (client, day), hits and beacons turned into unattributed evidence.
public struct PreparedNetworkReport: Sendable {
    public var sensor: String
    public var reportID: String
    public var names: [PreparedContact]
    public var servers: [PreparedContact]
    public var coverage: [PreparedCoverage]
    public var evidence: [PreparedEvidence]
    public var leases: [DHCPLease]
    public var cursor: LogCursor?

    public init(_ report: NetworkReport) throws {
        try NetworkReportCheck.validate(report)
        sensor = report.sensor
        reportID = report.reportID
        cursor = report.cursor
        leases = report.leases
        var coverage: [String: PreparedCoverage] = [:]
        func prepare(_ rows: [ContactRow], server: Bool) throws -> [PreparedContact] {
            var index: [String: Int] = [:]
            var out: [PreparedContact] = []
            out.reserveCapacity(rows.count)
            for row in rows {
                let day = ContactKeys.dayNumber(row.day)!
                let key: String, address: Data?
                if server {
                    let ip = IPAddress(row.server!)!
                    key = ip.description
                    address = ContactKeys.bytes(ip)
                } else {
                    key = ContactKeys.reversedName(row.name!)
                    address = nil
                }
                let c = PreparedContact(
                    key: key, address: address, day: day, client: row.client, count: Int64(row.count), firstSeen: row.firstSeen,
                    lastSeen: max(row.firstSeen, row.lastSeen), logs: ContactKeys.logMask(row.logs)!, evidenceFile: row.evidenceFile,
                    evidenceLine: Int64(row.evidenceLine))
                let identity = "\(day)\u{0}\(row.client)\u{0}\(key)"
                if let i = index[identity] { out[i].merge(c) } else { index[identity] = out.count; out.append(c) }
                let cov = "\(day)\u{0}\(row.client)"
                if var existing = coverage[cov] {
                    if c.firstSeen < existing.firstSeen {
                        existing.firstSeen = c.firstSeen
                        existing.evidenceFile = c.evidenceFile
                        existing.evidenceLine = c.evidenceLine
                    }
                    existing.lastSeen = max(existing.lastSeen, c.lastSeen)
                    coverage[cov] = existing
                } else {
                    coverage[cov] = PreparedCoverage(client: row.client, day: day, firstSeen: c.firstSeen, lastSeen: c.lastSeen,
                                                     evidenceFile: c.evidenceFile, evidenceLine: c.evidenceLine)
                }
            }
            return out
        }
        names = try prepare(report.contacts.names, server: false)
        servers = try prepare(report.contacts.servers, server: true)
        self.coverage = coverage.values.sorted { ($0.day, $0.client) < ($1.day, $1.client) }
        var evidence: [PreparedEvidence] = []
        for hit in report.hits {
            evidence.append(try PreparedEvidence(NetworkEvidence(
                kind: .indicatorContact, host: "", address: hit.host, destination: hit.observed, indicator: hit.indicator,
                campaigns: NetworkEvidenceBuilder.defaultCampaigns(hit.provenance), feeds: hit.feeds, channel: hit.channel.rawValue,
                sensor: report.sensor, firstSeen: hit.firstSeen, lastSeen: hit.lastSeen, count: hit.count,
                evidence: hit.evidence.prefix(NetworkReportLimits.maxEvidencePerItem).compactMap(LogReference.init))))
        }
        for beacon in report.beacons {
            guard let first = VerdictTime.parse(beacon.firstSeenISO), let last = VerdictTime.parse(beacon.lastSeenISO) else {
                throw FleetStoreError.invalidInput("beacon \(beacon.source.prefix(64)) → \(beacon.destination.prefix(80)): unreadable first/last seen time")
            }
            evidence.append(try PreparedEvidence(NetworkEvidence(
                kind: .beacon, host: "", address: beacon.source, destination: beacon.destination, indicator: nil, channel: "beacon",
                sensor: report.sensor, firstSeen: first, lastSeen: last, count: beacon.connections,
                evidence: LogReference(beacon.evidence).map { [$0] } ?? [])))
        }
        self.evidence = PreparedEvidence.deduplicated(evidence)
    }
}

/// Validation of network reports: what the server answers 400 to, and what the stores refuse.
public enum NetworkReportCheck {
    static func text(_ s: String, max: Int, what: String, allowEmpty: Bool = false) throws {
        guard allowEmpty || !s.isEmpty, s.utf8.count <= max, !s.utf8.contains(0) else {
            throw FleetStoreError.invalidInput("\(what) \"\(s.prefix(80))\" is empty, longer than \(max) bytes or contains NUL")
        }
    }

    /// Throws ``FleetStoreError/invalidInput(_:)`` naming the first offending item.
    public static func validate(_ report: NetworkReport) throws {
        try text(report.sensor, max: NetworkReportLimits.maxSensorBytes, what: "sensor")
        try text(report.reportID, max: NetworkReportLimits.maxReportIDBytes, what: "report id")
        let rows = report.contacts.names.count + report.contacts.servers.count
        guard rows <= NetworkReportLimits.maxContactRows else {
            throw FleetStoreError.invalidInput("\(rows) contact rows, more than \(NetworkReportLimits.maxContactRows)")
        }
        guard report.hits.count <= NetworkReportLimits.maxHits, report.beacons.count <= NetworkReportLimits.maxBeacons,
              report.leases.count <= NetworkReportLimits.maxLeases else {
            throw FleetStoreError.invalidInput(
                "\(report.hits.count) hits, \(report.beacons.count) beacons, \(report.leases.count) leases: more than \(NetworkReportLimits.maxHits), \(NetworkReportLimits.maxBeacons), \(NetworkReportLimits.maxLeases)")
        }
        for (i, row) in report.contacts.names.enumerated() {
            guard let name = row.name else { throw FleetStoreError.invalidInput("name row \(i + 1) has no name") }
            try text(name, max: NetworkReportLimits.maxNameBytes, what: "name row \(i + 1): name")
            guard name == name.lowercased(), !name.hasSuffix(".") else {
                throw FleetStoreError.invalidInput("name row \(i + 1): name \"\(name.prefix(80))\" is not lowercase without a trailing dot")
            }
            try contact(row, index: i + 1, kind: "name")
        }
        for (i, row) in report.contacts.servers.enumerated() {
            guard let server = row.server, IPAddress(server) != nil else {
                throw FleetStoreError.invalidInput("server row \(i + 1): server \"\((row.server ?? "").prefix(80))\" is not an IP address")
            }
            try contact(row, index: i + 1, kind: "server")
        }
        for (i, hit) in report.hits.enumerated() {
            try text(hit.host, max: NetworkReportLimits.maxAddressBytes, what: "hit \(i + 1): client")
            try text(hit.observed, max: NetworkReportLimits.maxPathBytes, what: "hit \(i + 1): observed")
            try text(hit.indicator, max: NetworkReportLimits.maxPathBytes, what: "hit \(i + 1): indicator")
            guard hit.firstSeen.isFinite, hit.lastSeen.isFinite, hit.count >= 0, hit.count <= NetworkReportLimits.maxCount else {
                throw FleetStoreError.invalidInput("hit \(i + 1): bad times or count")
            }
        }
        for (i, b) in report.beacons.enumerated() {
            try text(b.source, max: NetworkReportLimits.maxAddressBytes, what: "beacon \(i + 1): source")
            try text(b.destination, max: NetworkReportLimits.maxPathBytes, what: "beacon \(i + 1): destination")
            try text(b.evidence, max: NetworkReportLimits.maxPathBytes + 24, what: "beacon \(i + 1): evidence", allowEmpty: true)
            guard b.connections >= 0, b.connections <= NetworkReportLimits.maxCount else { throw FleetStoreError.invalidInput("beacon \(i + 1): negative connections") }
        }
        for (i, l) in report.leases.enumerated() {
            guard IPAddress(l.address) != nil else {
                throw FleetStoreError.invalidInput("lease \(i + 1): \"\(l.address.prefix(80))\" is not an IP address")
            }
            try text(l.mac ?? "", max: NetworkReportLimits.maxAddressBytes, what: "lease \(i + 1): mac", allowEmpty: true)
            try text(l.hostName ?? "", max: NetworkReportLimits.maxNameBytes, what: "lease \(i + 1): host name", allowEmpty: true)
            try text(l.server ?? "", max: NetworkReportLimits.maxAddressBytes, what: "lease \(i + 1): server", allowEmpty: true)
            try text(l.evidenceFile, max: NetworkReportLimits.maxPathBytes, what: "lease \(i + 1): evidence file")
            guard l.start.isFinite, l.end.map({ $0.isFinite && $0 >= l.start }) ?? true, l.evidenceLine >= 0 else {
                throw FleetStoreError.invalidInput("lease \(i + 1): bad start, end or line")
            }
        }
        if let c = report.cursor {
            try text(c.source, max: NetworkReportLimits.maxPathBytes, what: "cursor source")
            try text(c.fileIdentity, max: NetworkReportLimits.maxPathBytes, what: "cursor file identity")
            try text(c.path, max: NetworkReportLimits.maxPathBytes, what: "cursor path", allowEmpty: true)
            guard c.offset >= 0, c.lines >= 0 else { throw FleetStoreError.invalidInput("cursor offset or lines negative") }
        }
    }

    private static func contact(_ row: ContactRow, index: Int, kind: String) throws {
        let at = "\(kind) row \(index)"
        guard ContactKeys.dayNumber(row.day) != nil else { throw FleetStoreError.invalidInput("\(at): day \"\(row.day.prefix(20))\" is not YYYY-MM-DD") }
        try text(row.client, max: NetworkReportLimits.maxAddressBytes, what: "\(at): client")
        try text(row.evidenceFile, max: NetworkReportLimits.maxPathBytes, what: "\(at): evidence file")
        guard ContactKeys.logMask(row.logs) != nil else {
            throw FleetStoreError.invalidInput("\(at): unknown log type in \(row.logs.prefix(8)) (known: \(ContactKeys.logNames.joined(separator: ", ")))")
        }
        guard row.count >= 1, row.count <= NetworkReportLimits.maxCount, row.firstSeen.isFinite, row.lastSeen.isFinite, row.evidenceLine >= 0 else {
            throw FleetStoreError.invalidInput("\(at): count below 1, or bad times or line")
        }
    }
}

/// Verdict change bookkeeping shared by the stores.
public enum VerdictStorage {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()

    public static func encode(_ v: HostVerdict) throws -> Data { try encoder.encode(v) }
    public static func decode(_ d: Data) throws -> HostVerdict { try JSONDecoder().decode(HostVerdict.self, from: d) }
    public static func encodeReasons(_ r: [String]) throws -> Data { try encoder.encode(r) }
    public static func decodeReasons(_ d: Data) throws -> [String] { try JSONDecoder().decode([String].self, from: d) }

    /// Reason codes of a verdict, each once, in order.
    public static func reasonCodes(_ v: HostVerdict) -> [String] {
        var seen = Set<String>()
        return v.reasons.map(\.code).filter { seen.insert($0).inserted }
    }

    /// One verdict per host (the last wins), sorted by host id (a stable lock order).
    public static func deduplicated(_ verdicts: [(hostID: Int64, verdict: HostVerdict)]) -> [(hostID: Int64, verdict: HostVerdict)] {
        var byHost: [Int64: HostVerdict] = [:]
        for v in verdicts { byHost[v.hostID] = v.verdict }
        return byHost.keys.sorted().map { ($0, byHost[$0]!) }
    }
}

/// Shared parts of the contact-index lookups.
public enum ContactQuery {
    /// Wanted domains normalised, each once, without those below another wanted domain (their rows
    /// are found through the parent anyway), sorted.
    public static func domains(_ domains: [String]) -> [String] {
        let all = Set(domains.compactMap(ContactKeys.normalisedDomain))
        return all.filter { d in
            var rest = Substring(d)
            while let dot = rest.firstIndex(of: ".") {
                rest = rest[rest.index(after: dot)...]
                if all.contains(String(rest)) { return false }
            }
            return true
        }.sorted()
    }

    /// Wanted networks as 16-byte ranges, sorted, overlapping ones merged (so no row is found twice).
    public static func networks(_ networks: [IPNetwork]) -> [(lower: Data, upper: Data)] {
        let sorted = networks.map(ContactKeys.range).sorted { $0.lower.lexicographicallyPrecedes($1.lower) }
        var out: [(lower: Data, upper: Data)] = []
        for r in sorted {
            if let last = out.last, !last.upper.lexicographicallyPrecedes(r.lower) {
                if last.upper.lexicographicallyPrecedes(r.upper) { out[out.count - 1].upper = r.upper }
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// Collects rows up to a limit. The wanted domains and networks never overlap (see
    /// ``domains(_:)`` and ``networks(_:)``), so each row arrives once.
    public struct Collector {
        public let limit: Int
        public private(set) var rows: [SensorContact] = []

        public init(limit: Int) {
            self.limit = limit
            rows.reserveCapacity(min(limit, 100_000))
        }
        public var full: Bool { rows.count >= limit }
        public var count: Int { rows.count }

        public mutating func add(_ row: SensorContact) {
            guard !full else { return }
            rows.append(row)
        }
    }
}
