import VigilCore

/// One address lease from a Zeek `dhcp.log`: which MAC / host name held an address, from when.
public struct DHCPLease: Sendable, Hashable, Codable {
    /// The assigned address (canonical text).
    public var address: String
    /// The client's MAC address, lowercase, when logged.
    public var mac: String?
    /// The host name the client sent (option 12), or its FQDN (option 81) when there is no host name.
    public var hostName: String?
    /// Epoch seconds: the start of the exchange that granted the lease.
    public var start: Double
    /// Epoch seconds: `start + lease_time`; `nil` when the log gives no (or a zero) lease time: open until superseded.
    public var end: Double?
    /// The DHCP server, when logged.
    public var server: String?
    /// The log file and 1-based line.
    public var evidenceFile: String
    public var evidenceLine: Int

    public init(
        address: String, mac: String?, hostName: String?, start: Double, end: Double?, server: String? = nil, evidenceFile: String,
        evidenceLine: Int
    ) {
        self.address = address
        self.mac = mac
        self.hostName = hostName
        self.start = start
        self.end = end
        self.server = server
        self.evidenceFile = evidenceFile
        self.evidenceLine = evidenceLine
    }

    /// `file:line`.
    public var evidence: String { "\(evidenceFile):\(evidenceLine)" }
}

/// What ``DHCPLogReader`` found in one file.
public struct DHCPReadResult: Sendable {
    public var leases: [DHCPLease] = []
    /// Data rows read.
    public var rows = 0
    /// Rows without an assigned address (DISCOVER/REQUEST/NAK/INFORM only): not leases, not errors.
    public var withoutLease = 0
    /// Rows that did not parse (each also in ``diagnostics``, the first `maxDiagnostics`).
    public var rejected = 0
    public var diagnostics: [Diagnostic] = []
}

/// Reads Zeek `dhcp.log` in TSV (with `#fields` headers, any field order, escapes, several header
/// blocks) or JSON (one object per line), Zeek 3+ field names (`ts`, `uids`, `client_addr`,
/// `server_addr`, `mac`, `host_name`, `client_fqdn`, `assigned_addr`, `lease_time`, `msg_types`…) and
/// the Zeek 2 names (`assigned_ip`, `id.resp_h`). A row with an assigned address is a lease.
public struct DHCPLogReader: Sendable {
    /// Rejected rows reported one by one; the rest only counted.
    public var maxDiagnostics = 50
    /// At most this many leases are kept per file; the rest are rejected with a diagnostic.
    public var maxLeases = 1_000_000

    public init() {}

    private enum Field: CaseIterable {
        case ts, assigned, mac, hostName, fqdn, leaseTime, server
        static func named(_ b: UnsafeRawBufferPointer) -> Field? {
            if b.equals("ts") { return .ts }
            if b.equals("assigned_addr") || b.equals("assigned_ip") { return .assigned }
            if b.equals("mac") { return .mac }
            if b.equals("host_name") { return .hostName }
            if b.equals("client_fqdn") { return .fqdn }
            if b.equals("lease_time") { return .leaseTime }
            if b.equals("server_addr") || b.equals("id.resp_h") { return .server }
            return nil
        }
    }

    /// Reads one file (plain or gzip).
    /// - Throws: ``LogReadError`` when the file cannot be opened or read.
    public func read(path: String) throws(LogReadError) -> DHCPReadResult {
        try read(path: path, window: nil)
    }

    /// Reads one stretch of a file (the server's log follower); the file's `#` header is read first
    /// when the window starts past it, and lines keep their numbers in the file.
    /// - Throws: ``LogReadError`` when the file cannot be opened or read.
    public func read(window: LogWindow) throws(LogReadError) -> DHCPReadResult {
        try read(path: window.path, window: window)
    }

    private func read(path: String, window: LogWindow?) throws(LogReadError) -> DHCPReadResult {
        var result = DHCPReadResult()
        var separator: UInt8 = 0x09
        var unset: [UInt8] = Array("-".utf8)
        var empty: [UInt8] = Array("(empty)".utf8)
        var columns: [Field?] = []
        var scratch: [UInt8] = []
        var values: [Field: String] = [:]

        func reject(_ line: Int, _ message: String) {
            result.rejected += 1
            if result.diagnostics.count < maxDiagnostics {
                result.diagnostics.append(Diagnostic(kind: "unparsed-line", path: path, line: line, message: message))
            }
        }
        func header(_ v: UnsafeRawBufferPointer) -> [UInt8] {
            if v.equals("\\t") { return [0x09] }
            ZeekEscapes.unescape(v, into: &scratch)
            return scratch
        }
        func emit(_ line: Int) {
            guard let tsText = values[.ts] else { return reject(line, "missing ts") }
            guard let ts = Array(tsText.utf8).withUnsafeBytes({ ByteParsing.timestamp($0) }), abs(ts) < 1e12 else {
                return reject(line, "malformed ts")
            }
            guard let assigned = values[.assigned], !assigned.isEmpty else {
                result.withoutLease += 1
                return
            }
            guard let address = IPAddress(assigned) else { return reject(line, "malformed assigned address \"\(assigned.prefix(64))\"") }
            var end: Double?
            if let lt = values[.leaseTime] {
                guard let seconds = Array(lt.utf8).withUnsafeBytes({ ByteParsing.double($0) }), seconds >= 0, seconds < 1e10 else {
                    return reject(line, "malformed lease_time")
                }
                // Zeek 2 logs 0 when the exchange carried no lease time: unknown, not a zero-length lease.
                if seconds > 0 { end = ts + seconds }
            }
            guard result.leases.count < maxLeases else { return reject(line, "more than \(maxLeases) leases in one file") }
            // Capped in UTF-8 bytes at a character boundary with the fleet server's limits, control
            // characters written `\xNN`; the MAC is lowercased before the cap (lowercasing can lengthen a string).
            let name = [values[.hostName], values[.fqdn]].lazy.compactMap { $0 }.first { !$0.isEmpty }
                .map { ReportFieldLimits.storable($0, maxBytes: ReportFieldLimits.maxNameBytes) }
            let mac = values[.mac].map { ReportFieldLimits.storable($0.lowercased(), maxBytes: ReportFieldLimits.maxAddressBytes) }
            result.leases.append(DHCPLease(
                address: address.description, mac: mac, hostName: name, start: ts, end: end,
                server: values[.server].flatMap { IPAddress($0)?.description }, evidenceFile: path, evidenceLine: line))
        }

        do {
            let each: (UnsafeRawBufferPointer, Int) -> Bool = { line, number in
                guard line.count > 0 else { return true }
                values.removeAll(keepingCapacity: true)
                if line[0] == UInt8(ascii: "{") {
                    var bad = false
                    let ok = JSON.members(line) { key, value in
                        guard let field = Field.named(key) else { return }
                        switch value.kind {
                        case .string, .number:
                            guard let s = value.string else { bad = true; return }
                            values[field] = s
                        default:
                            return
                        }
                    }
                    if !ok || bad { reject(number, "not a well-formed JSON object") } else { result.rows += 1; emit(number) }
                    return true
                }
                if line[0] == UInt8(ascii: "#") {
                    if line.count > 11, line.slice(0, 11).equals("#separator ") {
                        let v = header(line.slice(11, line.count))
                        if v.count == 1 { separator = v[0] } else { reject(number, "unsupported #separator") }
                        columns = []
                        return true
                    }
                    let parts = split(line, separator)
                    guard let key = parts.first else { return true }
                    if key.equals("#fields") {
                        columns = parts.dropFirst().map(Field.named)
                        if !columns.contains(.ts) { reject(number, "#fields has no ts"); columns = [] }
                    } else if key.equals("#unset_field"), parts.count > 1 {
                        unset = header(parts[1])
                    } else if key.equals("#empty_field"), parts.count > 1 {
                        empty = header(parts[1])
                    }
                    return true
                }
                guard !columns.isEmpty else {
                    reject(number, "data line before any #fields header")
                    return true
                }
                let parts = split(line, separator)
                guard parts.count >= columns.count else {
                    reject(number, "only \(parts.count) fields, the #fields header has \(columns.count)")
                    return true
                }
                result.rows += 1
                for (i, field) in columns.enumerated() {
                    guard let field, !parts[i].equals(unset) else { continue }
                    if parts[i].equals(empty) { values[field] = ""; continue }
                    ZeekEscapes.unescape(parts[i], into: &scratch)
                    values[field] = String(decoding: scratch, as: UTF8.self)
                }
                emit(number)
                return true
            }
            if let window {
                try LineReader().forEachLine(window: window, replayHeader: true, onOversized: { reject($0, "line too long") }, each)
            } else {
                try LineReader().forEachLine(path: path, onOversized: { reject($0, "line too long") }, each)
            }
        } catch let error as LogReadError {
            throw error
        } catch {
            throw LogReadError(path: path, message: "\(error)")
        }
        return result
    }

    private func split(_ line: UnsafeRawBufferPointer, _ separator: UInt8) -> [UnsafeRawBufferPointer] {
        var out: [UnsafeRawBufferPointer] = []
        var start = 0
        for i in 0...line.count where i == line.count || line[i] == separator {
            out.append(line.slice(start, i))
            start = i + 1
        }
        return out
    }

    /// Reads several files and returns every lease sorted by address, then start.
    public func read(paths: [String]) -> (leases: [DHCPLease], diagnostics: [Diagnostic], rejected: Int) {
        var leases: [DHCPLease] = []
        var diagnostics: [Diagnostic] = []
        var rejected = 0
        for path in paths {
            do {
                let r = try read(path: path)
                leases += r.leases
                diagnostics += r.diagnostics
                rejected += r.rejected
                if r.rejected > r.diagnostics.count {
                    diagnostics.append(Diagnostic(kind: "more-diagnostics", path: path, message: "\(r.rejected - r.diagnostics.count) more rejected rows"))
                }
            } catch {
                diagnostics.append(Diagnostic(kind: "unreadable", path: path, message: error.message))
            }
        }
        leases.sort { ($0.address, $0.start, $0.evidenceLine) < ($1.address, $1.start, $1.evidenceLine) }
        return (leases, diagnostics, rejected)
    }
}
