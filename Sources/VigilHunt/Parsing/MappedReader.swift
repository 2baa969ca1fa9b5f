/// A field mapping for generic CSV or JSON-lines logs, given on the command line as
/// `ts=time,src=client,dst_host=host`: normalised field = column (CSV header name) or JSON key.
///
/// Normalised fields: `ts` (required), `src`, `dst`, `dst_port`, `dst_host` (alias `host`), `url`,
/// `method`, `query`, `answers` (`;`- or `,`-separated in CSV, an array in JSON), `bytes`, `uid`.
/// A row with `query` becomes a DNS record; with `dst_host` or `url` a proxy/HTTP record; with only
/// `dst` a connection.
public struct FieldMapping: Sendable, Hashable {
    public enum Target: String, CaseIterable, Sendable {
        case ts, src, dst, dstPort = "dst_port", dstHost = "dst_host", url, method, query, answers, bytes, uid
    }

    /// Normalised field → source column or key.
    public private(set) var columns: [Target: String] = [:]

    /// Parses `name=column,name=column…`.
    /// - Throws: a message naming the bad entry.
    public init(parsing spec: String) throws(MappingError) {
        for entry in spec.split(separator: ",") {
            let kv = entry.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, !kv[1].isEmpty else { throw MappingError(message: "bad --map entry '\(entry)' (expected name=column)") }
            let name = kv[0].trimmingCharacters(in: " ") == "host" ? "dst_host" : kv[0].trimmingCharacters(in: " ")
            guard let target = Target(rawValue: name) else {
                throw MappingError(message: "unknown --map field '\(kv[0])'; known: \(Target.allCases.map(\.rawValue).joined(separator: ", ")), host")
            }
            columns[target] = kv[1].trimmingCharacters(in: " ")
        }
        guard columns[.ts] != nil else { throw MappingError(message: "--map must name the timestamp column (ts=…)") }
        guard columns[.src] != nil || columns[.query] != nil || columns[.dst] != nil || columns[.dstHost] != nil || columns[.url] != nil else {
            throw MappingError(message: "--map names no network field (src, dst, dst_host, url or query)")
        }
    }

    public struct MappingError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

/// Reads generic CSV (RFC 4180 quoting; the first line is the header) or JSON lines through a
/// ``FieldMapping``.
final class MappedReader {
    private let mapping: FieldMapping
    private let json: Bool
    /// CSV: column index → target.
    private var csvColumns: [FieldMapping.Target?] = []
    private var haveHeader = false
    private var values: [FieldMapping.Target: [UInt8]] = [:]
    private let keyTargets: [([UInt8], FieldMapping.Target)]

    init(mapping: FieldMapping, json: Bool) {
        self.mapping = mapping
        self.json = json
        keyTargets = mapping.columns.map { (Array($0.value.utf8), $0.key) }
    }

    func read(_ line: UnsafeRawBufferPointer, at location: SourceLocation, filter: PassFilter, sink: any RecordSink) -> String? {
        values.removeAll(keepingCapacity: true)
        if json {
            if JSON.skipSpace(line, 0) == line.count { return nil }
            let ok = JSON.members(line) { key, v in
                for (k, target) in keyTargets where key.elementsEqual(k) {
                    if target == .answers, v.kind == .array {
                        var parts: [String] = []
                        JSON.elements(v.raw) { e in if let s = e.string { parts.append(s) } }
                        values[target] = Array(parts.joined(separator: ",").utf8)
                    } else if let s = v.string {
                        values[target] = Array(s.utf8)
                    }
                }
            }
            guard ok else { return "not a well-formed JSON object" }
        } else {
            if line.count == 0 { return nil }
            let cells = MappedReader.splitCSV(line)
            guard let cells else { return "unbalanced quotes in CSV line" }
            if !haveHeader {
                csvColumns = cells.map { name in
                    let n = String(decoding: name, as: UTF8.self)
                    return mapping.columns.first { $0.value == n }?.key
                }
                haveHeader = true
                let missing = mapping.columns.filter { m in !cells.contains { String(decoding: $0, as: UTF8.self) == m.value } }
                return missing.isEmpty ? nil : "CSV header lacks mapped column(s): \(missing.map(\.value).sorted().joined(separator: ", "))"
            }
            for (i, cell) in cells.enumerated() where i < csvColumns.count {
                if let t = csvColumns[i] { values[t] = cell }
            }
        }
        return emit(location, filter, sink)
    }

    private func emit(_ location: SourceLocation, _ filter: PassFilter, _ sink: any RecordSink) -> String? {
        guard let tsBytes = values[.ts], let ts = tsBytes.withUnsafeBytes({ ByteParsing.timestamp($0) }) else { return "missing or malformed ts" }
        func ip(_ t: FieldMapping.Target) -> IPAddress? { values[t].flatMap { $0.withUnsafeBytes { IPAddress($0) } } }
        func int(_ t: FieldMapping.Target) -> Int? { values[t].flatMap { $0.withUnsafeBytes { ByteParsing.integer($0) } } }
        let src = ip(.src)
        if let query = values[.query] {
            guard filter.others else { return nil }
            let answers: ValueList = values[.answers].map { a in
                .values(a.split { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") }.map(Array.init))
            } ?? .none
            query.withUnsafeBytes { q in sink.dns(DNSRecord(ts: ts, client: src, query: q, answers: answers, location: location)) }
            return nil
        }
        if values[.dstHost] != nil || values[.url] != nil {
            guard filter.others else { return nil }
            var host = values[.dstHost]
            let method = values[.method]
            if host == nil, let url = values[.url] {
                let isConnect = method.map { $0.elementsEqual("CONNECT".utf8) } ?? false
                host = url.withUnsafeBytes { SquidReader.host(ofURL: $0, isConnect: isConnect || !$0.contains(UInt8(ascii: "/"))).map(Array.init) }
            }
            withOptional(host) { h in
                withOptional(values[.url]) { u in
                    withOptional(method) { m in
                        sink.proxy(ProxyRecord(ts: ts, client: src, method: m, host: h, url: u, bytes: int(.bytes) ?? 0, location: location))
                    }
                }
            }
            return nil
        }
        guard filter.connections else { return nil }
        guard let src, let dst = ip(.dst) else { return "missing or malformed src/dst address" }
        withOptional(values[.uid]) { uid in
            sink.connection(ConnectionRecord(ts: ts, client: src, server: dst, serverPort: int(.dstPort), uid: uid, bytesOut: int(.bytes) ?? 0, location: location))
        }
        return nil
    }

    /// Splits one CSV line (RFC 4180 quotes, `""` inside quotes); `nil` on an unterminated quote.
    static func splitCSV(_ line: UnsafeRawBufferPointer) -> [[UInt8]]? {
        var cells: [[UInt8]] = []
        var cell: [UInt8] = []
        var i = 0
        var quoted = false
        while i < line.count {
            let c = line[i]
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < line.count, line[i + 1] == UInt8(ascii: "\"") { cell.append(c); i += 2; continue }
                    quoted = false
                } else {
                    cell.append(c)
                }
            } else if c == UInt8(ascii: "\"") && cell.isEmpty {
                quoted = true
            } else if c == UInt8(ascii: ",") {
                cells.append(cell)
                cell.removeAll(keepingCapacity: true)
            } else {
                cell.append(c)
            }
            i += 1
        }
        if quoted { return nil }
        cells.append(cell)
        return cells
    }
}

func withOptional<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
