/// The Zeek logs the hunt reads.
enum ZeekLog: Equatable, Sendable {
    case conn, dns, http, ssl
    /// Any other log (x509, files, weird…): read for nothing, skipped without error.
    case other

    /// From a `#path` value or `_path` field (`open_conn` etc. are ACM's still-open variants).
    init(path: String) {
        switch path {
        case "conn", "open_conn", "conn_red", "conn_long": self = .conn
        case "dns", "open_dns": self = .dns
        case "http", "open_http": self = .http
        case "ssl", "open_ssl": self = .ssl
        default: self = .other
        }
    }

    /// From a file name such as `conn.log`, `conn.15:00:00-16:00:00.log.gz`, `dns.json.gz`; `nil` if unknown.
    init?(fileName: String) {
        let base = fileName.lowercased()
        let stem = base.prefix { $0 != "." && $0 != "_" && $0 != "-" }
        if base.hasPrefix("open_") {
            let rest = base.dropFirst(5).prefix { $0 != "." }
            self.init(path: "open_" + rest)
        } else {
            self.init(path: String(stem))
        }
        if self == .other { return nil }
    }
}

/// The Zeek fields the hunt uses, by name. One slot per field; readers map header columns or JSON
/// keys to slots, so field order and unknown extra fields do not matter.
enum ZeekSlot: Int, CaseIterable {
    case ts, uid, origH, respH, respP, origIPBytes, origBytes, query, answers, method, host, uri, requestBodyLen, serverName

    /// The Zeek field name.
    var name: StaticString {
        switch self {
        case .ts: "ts"
        case .uid: "uid"
        case .origH: "id.orig_h"
        case .respH: "id.resp_h"
        case .respP: "id.resp_p"
        case .origIPBytes: "orig_ip_bytes"
        case .origBytes: "orig_bytes"
        case .query: "query"
        case .answers: "answers"
        case .method: "method"
        case .host: "host"
        case .uri: "uri"
        case .requestBodyLen: "request_body_len"
        case .serverName: "server_name"
        }
    }

    /// The slot named by these bytes, if the hunt uses that field.
    static func named(_ b: UnsafeRawBufferPointer) -> ZeekSlot? {
        for s in allCases where b.equals(s.name) { return s }
        return nil
    }

    /// Guesses the log of a record from the fields it has (JSON without `_path`, unnamed files).
    static func guessLog(_ present: Set<ZeekSlot>) -> ZeekLog {
        if present.contains(.query) { return .dns }
        if present.contains(.method) || present.contains(.uri) { return .http }
        if present.contains(.serverName) { return .ssl }
        if present.contains(.origIPBytes) || present.contains(.origBytes) { return .conn }
        return .other
    }
}

/// The field values of one Zeek record, by slot, as bytes (unset fields are `nil`).
///
/// Storage is a fixed pointer (a `let`), so filling it in the per-line hot path costs no dynamic
/// exclusivity checks.
final class ZeekRow {
    private let values: UnsafeMutablePointer<UnsafeRawBufferPointer?>
    /// Whether `answers` is a JSON array (JSON logs) rather than a `,`-joined TSV vector.
    var answersAreJSON = false
    /// Set separator for TSV vectors.
    var setSeparator: UInt8 = UInt8(ascii: ",")

    init() {
        values = .allocate(capacity: ZeekSlot.allCases.count)
        values.initialize(repeating: nil, count: ZeekSlot.allCases.count)
    }

    deinit { values.deallocate() }

    subscript(_ s: ZeekSlot) -> UnsafeRawBufferPointer? {
        get { values[s.rawValue] }
        set { values[s.rawValue] = newValue }
    }

    func clear() {
        for i in 0..<ZeekSlot.allCases.count { values[i] = nil }
    }

    /// Emits the record for `log` to `sink`; returns an error message when a required field is
    /// missing or malformed.
    func emit(_ log: ZeekLog, at location: SourceLocation, filter: PassFilter, to sink: any RecordSink) -> String? {
        if log == .other { return nil }
        if log == .conn ? !filter.connections : !filter.others { return nil }
        if log == .dns {
            // Hot path: time and client are parsed only for matching records.
            guard let tsBytes = self[.ts], tsBytes.count > 0, tsBytes[0] >= 0x30, tsBytes[0] <= 0x39 else { return "missing or malformed ts" }
            let answers: ValueList
            if let a = self[.answers] { answers = answersAreJSON ? .jsonArray(a) : .zeekVector(a, setSeparator) } else { answers = .none }
            sink.dns(DNSRecord(ts: nil, client: nil, query: self[.query], answers: answers, location: location, tsText: tsBytes, clientText: self[.origH]))
            return nil
        }
        guard let tsBytes = self[.ts], let ts = ByteParsing.timestamp(tsBytes) else { return "missing or malformed ts" }
        let client = self[.origH].flatMap { IPAddress($0) }
        let server = self[.respH].flatMap { IPAddress($0) }
        let port = self[.respP].flatMap { ByteParsing.integer($0) }
        switch log {
        case .conn:
            guard let client, let server else { return "missing or malformed id.orig_h / id.resp_h" }
            let bytes = self[.origIPBytes].flatMap { ByteParsing.integer($0) } ?? self[.origBytes].flatMap { ByteParsing.integer($0) } ?? 0
            sink.connection(ConnectionRecord(ts: ts, client: client, server: server, serverPort: port, uid: self[.uid], bytesOut: bytes, location: location))
        case .dns:
            break  // handled above
        case .http:
            sink.http(HTTPRecord(
                ts: ts, client: client, server: server, serverPort: port, uid: self[.uid], method: self[.method], host: self[.host],
                uri: self[.uri], requestBytes: self[.requestBodyLen].flatMap { ByteParsing.integer($0) } ?? 0, location: location))
        case .ssl:
            sink.tls(TLSRecord(ts: ts, client: client, server: server, uid: self[.uid], serverName: self[.serverName], location: location))
        case .other:
            break
        }
        return nil
    }
}
