/// Reads Suricata EVE JSON: `flow` (connections), `dns` (format v2 `query`/`answer` and v3
/// `request`/`response`), `http`, `tls` and `alert` events. Other event types are ignored.
///
/// In a v3 DNS *response* `src_ip` is the DNS server, so the asking client is `dest_ip` (Suricata 8
/// changed this; a v2-only parser would attribute lookups to the resolver). Answers are taken from
/// `answers[]` (both `rrname` — CNAME chains — and `rdata`) and from v2's `grouped`.
final class EVEReader {

    func read(_ line: UnsafeRawBufferPointer, at location: SourceLocation, filter: PassFilter, sink: any RecordSink) -> String? {
        if JSON.skipSpace(line, 0) == line.count { return nil }
        var eventType: UnsafeRawBufferPointer?
        var timestamp: Double?
        var src: IPAddress?
        var dst: IPAddress?
        var dstPort: Int?
        var flowID: UnsafeRawBufferPointer?
        var dns: UnsafeRawBufferPointer?
        var http: UnsafeRawBufferPointer?
        var tls: UnsafeRawBufferPointer?
        var flow: UnsafeRawBufferPointer?
        var alert: UnsafeRawBufferPointer?
        let ok = JSON.members(line) { key, v in
            if key.equals("event_type") { eventType = v.raw }
            else if key.equals("timestamp") { timestamp = ByteParsing.iso8601(v.raw) }
            else if key.equals("src_ip") { src = IPAddress(v.raw) }
            else if key.equals("dest_ip") { dst = IPAddress(v.raw) }
            else if key.equals("dest_port") { dstPort = ByteParsing.integer(v.raw) }
            else if key.equals("flow_id") { flowID = v.raw }
            else if v.kind == .object {
                if key.equals("dns") { dns = v.raw }
                else if key.equals("http") { http = v.raw }
                else if key.equals("tls") { tls = v.raw }
                else if key.equals("flow") { flow = v.raw }
                else if key.equals("alert") { alert = v.raw }
            }
        }
        guard ok else { return "not a well-formed JSON object" }
        guard let eventType else { return "EVE record without event_type" }
        if eventType.equals("flow") {
            guard filter.connections else { return nil }
            return readFlow(flow, src: src, dst: dst, dstPort: dstPort, flowID: flowID, timestamp: timestamp, location, sink)
        }
        guard filter.others else { return nil }
        guard let ts = timestamp else { return "missing or malformed timestamp" }
        if eventType.equals("dns"), let dns {
            readDNS(dns, ts: ts, src: src, dst: dst, location, sink)
        } else if eventType.equals("http"), let http {
            readHTTP(http, ts: ts, src: src, dst: dst, dstPort: dstPort, flowID: flowID, location, sink)
        } else if eventType.equals("tls"), let tls {
            readTLS(tls, ts: ts, src: src, dst: dst, flowID: flowID, location, sink)
        } else if eventType.equals("alert"), let alert {
            readAlert(alert, ts: ts, src: src, dst: dst, location, sink)
            // An alert can carry the transaction's dns/http/tls objects: match those too.
            if let dns { readDNS(dns, ts: ts, src: src, dst: dst, location, sink) }
            if let http { readHTTP(http, ts: ts, src: src, dst: dst, dstPort: dstPort, flowID: nil, location, sink) }
            if let tls { readTLS(tls, ts: ts, src: src, dst: dst, flowID: nil, location, sink) }
        }
        return nil
    }

    private func readFlow(
        _ flow: UnsafeRawBufferPointer?, src: IPAddress?, dst: IPAddress?, dstPort: Int?, flowID: UnsafeRawBufferPointer?,
        timestamp: Double?, _ location: SourceLocation, _ sink: any RecordSink
    ) -> String? {
        guard let src, let dst else { return "flow without src_ip/dest_ip" }
        var start: Double?
        var bytes = 0
        if let flow {
            JSON.members(flow) { key, v in
                if key.equals("start") { start = ByteParsing.iso8601(v.raw) }
                else if key.equals("bytes_toserver") { bytes = ByteParsing.integer(v.raw) ?? 0 }
            }
        }
        guard let ts = start ?? timestamp else { return "flow without start or timestamp" }
        sink.connection(ConnectionRecord(ts: ts, client: src, server: dst, serverPort: dstPort, uid: flowID, bytesOut: bytes, location: location))
        return nil
    }

    private func readDNS(_ dns: UnsafeRawBufferPointer, ts: Double, src: IPAddress?, dst: IPAddress?, _ location: SourceLocation, _ sink: any RecordSink) {
        var type: String?
        var rrname: UnsafeRawBufferPointer?
        var queries: UnsafeRawBufferPointer?
        var answers: UnsafeRawBufferPointer?
        var grouped: UnsafeRawBufferPointer?
        var rrnameEscaped: String?
        JSON.members(dns) { key, v in
            if key.equals("type") { type = v.string }
            else if key.equals("rrname") { if v.escaped { rrnameEscaped = v.string } else { rrname = v.raw } }
            else if key.equals("queries"), v.kind == .array { queries = v.raw }
            else if key.equals("answers"), v.kind == .array { answers = v.raw }
            else if key.equals("grouped"), v.kind == .object { grouped = v.raw }
        }
        // v3 responses come from the server: the client is the destination.
        let client = type == "response" ? dst : src
        var values: [[UInt8]] = []
        if let answers {
            JSON.elements(answers) { answer in
                guard answer.kind == .object else { return }
                JSON.members(answer.raw) { key, v in
                    if key.equals("rdata") || key.equals("rrname"), let s = v.string { values.append(Array(s.utf8)) }
                }
            }
        }
        if let grouped {
            JSON.members(grouped) { _, list in
                guard list.kind == .array else { return }
                JSON.elements(list.raw) { v in if let s = v.string { values.append(Array(s.utf8)) } }
            }
        }
        var names: [[UInt8]] = []
        if let rrname { names.append(Array(rrname)) }
        if let rrnameEscaped { names.append(Array(rrnameEscaped.utf8)) }
        if let queries {
            JSON.elements(queries) { q in
                guard q.kind == .object else { return }
                JSON.members(q.raw) { key, v in
                    if key.equals("rrname"), let s = v.string { names.append(Array(s.utf8)) }
                }
            }
        }
        let list: ValueList = values.isEmpty ? .none : .values(values)
        if names.isEmpty {
            if !values.isEmpty { sink.dns(DNSRecord(ts: ts, client: client, query: nil, answers: list, location: location)) }
            return
        }
        for (i, name) in names.enumerated() {
            name.withUnsafeBytes { q in
                sink.dns(DNSRecord(ts: ts, client: client, query: q, answers: i == 0 ? list : .none, location: location))
            }
        }
    }

    private func readHTTP(
        _ http: UnsafeRawBufferPointer, ts: Double, src: IPAddress?, dst: IPAddress?, dstPort: Int?, flowID: UnsafeRawBufferPointer?,
        _ location: SourceLocation, _ sink: any RecordSink
    ) {
        var host: String?, url: String?, method: String?
        var port: Int?
        var length = 0
        JSON.members(http) { key, v in
            if key.equals("hostname") { host = v.string }
            else if key.equals("url") { url = v.string }
            else if key.equals("http_method") { method = v.string }
            else if key.equals("http_port") { port = ByteParsing.integer(v.raw) }
            else if key.equals("request_body_len") { length = ByteParsing.integer(v.raw) ?? 0 }
        }
        // EVE's `url` is the path only (or host:port for CONNECT); `hostname[:http_port]` is the host.
        let hostText = host.map { h in port.map { $0 == 80 ? h : "\(h):\($0)" } ?? h }
        withOptionalBytes(hostText) { h in
            withOptionalBytes(url) { u in
                withOptionalBytes(method) { m in
                    sink.http(HTTPRecord(
                        ts: ts, client: src, server: dst, serverPort: port ?? dstPort, uid: flowID, method: m, host: h, uri: u,
                        requestBytes: length, location: location))
                }
            }
        }
    }

    private func readTLS(_ tls: UnsafeRawBufferPointer, ts: Double, src: IPAddress?, dst: IPAddress?, flowID: UnsafeRawBufferPointer?, _ location: SourceLocation, _ sink: any RecordSink) {
        var sni: String?
        JSON.members(tls) { key, v in if key.equals("sni") { sni = v.string } }
        withOptionalBytes(sni) { s in
            sink.tls(TLSRecord(ts: ts, client: src, server: dst, uid: flowID, serverName: s, location: location))
        }
    }

    private func readAlert(_ alert: UnsafeRawBufferPointer, ts: Double, src: IPAddress?, dst: IPAddress?, _ location: SourceLocation, _ sink: any RecordSink) {
        var sid = 0, severity = 3
        var signature = "", category = ""
        JSON.members(alert) { key, v in
            if key.equals("signature_id") { sid = ByteParsing.integer(v.raw) ?? 0 }
            else if key.equals("severity") { severity = ByteParsing.integer(v.raw) ?? 3 }
            else if key.equals("signature") { signature = v.string ?? "" }
            else if key.equals("category") { category = v.string ?? "" }
        }
        sink.alert(AlertRecord(ts: ts, source: src, destination: dst, signatureID: sid, signature: signature, category: category, severity: severity, location: location))
    }
}

/// Calls `body` with the UTF-8 bytes of `s`, or `nil`.
func withOptionalBytes<R>(_ s: String?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard var s else { return body(nil) }
    return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}
