/// The normalised network records every reader produces (fields listed in docs/hunt.md), whatever the log format.
///
/// Byte fields point into the reader's buffers and are valid only during the sink call: the hunt
/// engine turns into `String`s only what it keeps (indicator hits, beacon pair names).

/// Where a record came from: the index of the file in the run and the 1-based line.
public struct SourceLocation: Hashable, Sendable {
    public var file: Int
    public var line: Int
    public init(file: Int, line: Int) {
        self.file = file
        self.line = line
    }
}

/// A list of values inside one field: Zeek's `,`-joined vectors, or a JSON array of strings.
enum ValueList {
    case none
    /// Values joined by `separator` (Zeek TSV vectors), already unescaped.
    case separated(UnsafeRawBufferPointer, UInt8)
    /// A Zeek TSV vector as written: split on the set separator first, then each element unescaped
    /// (`\xNN`), so an escaped separator inside an element stays inside it.
    case zeekVector(UnsafeRawBufferPointer, UInt8)
    /// The raw bytes of a JSON array of strings.
    case jsonArray(UnsafeRawBufferPointer)
    /// Values gathered one by one (Suricata answers, CNAME chains).
    case values([[UInt8]])

    /// Calls `body` for every non-empty value.
    func forEach(_ body: (UnsafeRawBufferPointer) -> Void) {
        switch self {
        case .none: return
        case .separated(let bytes, let sep):
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == sep {
                if i > start { body(bytes.slice(start, i)) }
                start = i + 1
            }
        case .zeekVector(let bytes, let sep):
            var scratch: [UInt8] = []
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == sep {
                if i > start {
                    let element = bytes.slice(start, i)
                    if element.firstIndex(of: 0x5c) == nil {
                        body(element)
                    } else {
                        ZeekEscapes.unescape(element, into: &scratch)
                        scratch.withUnsafeBytes(body)
                    }
                }
                start = i + 1
            }
        case .jsonArray(let bytes):
            var scratch: [UInt8] = []
            JSON.elements(bytes) { v in
                _ = v.withText(&scratch) { if $0.count > 0 { body($0) } }
            }
        case .values(let list):
            for v in list where !v.isEmpty { v.withUnsafeBytes(body) }
        }
    }
}

/// A connection (Zeek conn.log, Suricata flow, a mapped CSV/JSON row).
struct ConnectionRecord {
    var ts: Double
    var client: IPAddress
    var server: IPAddress
    var serverPort: Int?
    /// Zeek `uid` or Suricata `flow_id`: joins HTTP/TLS rows to their connection.
    var uid: UnsafeRawBufferPointer?
    /// Client-to-server bytes (`orig_ip_bytes`, falling back to `orig_bytes`; EVE `bytes_toserver`).
    var bytesOut: Int
    var location: SourceLocation
}

/// A DNS transaction: the asking client, the query and the answers (names and addresses).
///
/// Zeek TSV DNS records leave the time and client as text (`tsText`, `clientText`), parsed only when
/// the record matches an indicator: DNS logs are the largest and almost every record is a miss.
struct DNSRecord {
    var ts: Double?
    var client: IPAddress?
    var query: UnsafeRawBufferPointer?
    var answers: ValueList
    var location: SourceLocation
    var tsText: UnsafeRawBufferPointer? = nil
    var clientText: UnsafeRawBufferPointer? = nil

    /// The time, parsing `tsText` if needed.
    var resolvedTime: Double? { ts ?? tsText.flatMap { ByteParsing.timestamp($0) } }
    /// The client, parsing `clientText` if needed.
    var resolvedClient: IPAddress? { client ?? clientText.flatMap { IPAddress($0) } }
}

/// An HTTP request (Zeek http.log, Suricata http). `CONNECT` marks a proxy tunnel to `host`.
struct HTTPRecord {
    var ts: Double
    var client: IPAddress?
    var server: IPAddress?
    var serverPort: Int?
    var uid: UnsafeRawBufferPointer?
    var method: UnsafeRawBufferPointer?
    var host: UnsafeRawBufferPointer?
    var uri: UnsafeRawBufferPointer?
    var requestBytes: Int
    var location: SourceLocation
}

/// A TLS session with its SNI (Zeek ssl.log, Suricata tls).
struct TLSRecord {
    var ts: Double
    var client: IPAddress?
    var server: IPAddress?
    var uid: UnsafeRawBufferPointer?
    var serverName: UnsafeRawBufferPointer?
    var location: SourceLocation
}

/// A forward-proxy request (Squid access.log, mapped proxy logs): the client and the real target.
struct ProxyRecord {
    /// Request start (Squid logs at completion: `ts − elapsed`).
    var ts: Double
    var client: IPAddress?
    var method: UnsafeRawBufferPointer?
    /// The target host (`host` of `host:port` for CONNECT, the URL host otherwise).
    var host: UnsafeRawBufferPointer?
    /// The requested URL as logged (absolute URL, or `host:port` for CONNECT).
    var url: UnsafeRawBufferPointer?
    /// Bytes of the reply (the only size Squid's native format has).
    var bytes: Int
    var location: SourceLocation
}

/// A Suricata alert.
struct AlertRecord {
    var ts: Double
    var source: IPAddress?
    var destination: IPAddress?
    var signatureID: Int
    var signature: String
    var category: String
    var severity: Int
    var location: SourceLocation
}

/// Receives normalised records from readers.
protocol RecordSink: AnyObject {
    func connection(_ r: ConnectionRecord)
    func dns(_ r: DNSRecord)
    func http(_ r: HTTPRecord)
    func tls(_ r: TLSRecord)
    func proxy(_ r: ProxyRecord)
    func alert(_ r: AlertRecord)
    /// A line that did not parse.
    func unparsed(_ location: SourceLocation, _ message: String)
}

/// Which records a pass wants: the engine reads connection records after the HTTP/TLS records
/// that name them, so a connection can be folded into its (client, FQDN) pair by `uid`.
struct PassFilter: Sendable {
    var connections: Bool
    var others: Bool
    static let all = PassFilter(connections: true, others: true)
}

/// Zeek ASCII escapes: `\xNN` for a byte, `\\` for a backslash; anything else is kept as written.
enum ZeekEscapes {
    static func unescape(_ field: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var i = 0
        while i < field.count {
            let c = field[i]
            if c == 0x5c, i + 3 < field.count, field[i + 1] == UInt8(ascii: "x"), let hi = hexValue(field[i + 2]), let lo = hexValue(field[i + 3]) {
                out.append(hi << 4 | lo)
                i += 4
            } else if c == 0x5c, i + 1 < field.count, field[i + 1] == 0x5c {
                out.append(0x5c)
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
