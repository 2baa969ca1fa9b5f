import Foundation
import VigilCore
import VigilFleetProtocol

/// Errors every ``FleetStore`` back end throws for what the caller got wrong (as opposed to the
/// database failing, which surfaces as the driver's own error and means "try again later").
public enum FleetStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Input the store refuses; nothing was written. The text names the offending item.
    case invalidInput(String)
    /// A unique name or hash already exists (a user name, a secret or token hash).
    case conflict(String)
    /// The host, user or other row referred to does not exist.
    case notFound(String)
    /// The database holds a schema newer than this program knows.
    case schemaTooNew(found: Int, known: Int)

    public var description: String {
        switch self {
        case .invalidInput(let s): "invalid input: \(s)"
        case .conflict(let s): "conflict: \(s)"
        case .notFound(let s): "not found: \(s)"
        case .schemaTooNew(let found, let known): "database schema version \(found) is newer than this program's \(known)"
        }
    }
}

/// Limits the stores enforce on top of the server's request limits, so a hostile batch cannot
/// make one transaction unbounded.
public enum FleetStoreLimits {
    public static let maxFilesPerBatch = 100_000
    public static let maxRemovedPerBatch = 100_000
    public static let maxFindingsPerBatch = 10_000
    public static let maxPathBytes = 4_096
    public static let maxTextBytes = 1_024
    public static let maxAddresses = 256
    /// Digest lists given to a lookup are processed in chunks of this many.
    public static let lookupChunk = 500
}

/// One inventory row ready for storage: digests as raw bytes, the base name lower-cased.
public struct StoredFileRow: Sendable, Hashable {
    public var path: String
    public var name: String
    public var sha256: Data
    public var md5: Data?
    public var sha1: Data?
    public var size: Int64
    public var modified: Int64
    public var signer: String?
    public var product: String?
    public var version: String?

    public init(
        path: String, name: String, sha256: Data, md5: Data?, sha1: Data?, size: Int64, modified: Int64,
        signer: String?, product: String?, version: String?
    ) {
        self.path = path
        self.name = name
        self.sha256 = sha256
        self.md5 = md5
        self.sha1 = sha1
        self.size = size
        self.modified = modified
        self.signer = signer
        self.product = product
        self.version = version
    }
}

/// A finding reduced to what a store keeps: its identity (host, check, path, indicator), the
/// severity for filtering, and the whole finding as JSON.
public struct StoredFindingRow: Sendable, Hashable {
    public var hostID: Int64
    public var check: String
    public var path: String
    /// The indicator, or the empty string when the finding has none (so the identity is unique).
    public var indicator: String
    public var severityRank: Int
    public var json: Data

    public init(hostID: Int64, check: String, path: String, indicator: String, severityRank: Int, json: Data) {
        self.hostID = hostID
        self.check = check
        self.path = path
        self.indicator = indicator
        self.severityRank = severityRank
        self.json = json
    }
}

/// A batch checked and normalised once, so both back ends store exactly the same thing.
public struct PreparedBatch: Sendable {
    /// Files to add or replace, one per path (the last occurrence wins), sorted by path so that
    /// concurrent writers take row locks in the same order.
    public var files: [StoredFileRow]
    /// Paths to delete, deduplicated and sorted; a path also present in `files` is not removed.
    public var removed: [String]

    /// Validates every file and path; throws ``FleetStoreError/invalidInput(_:)`` naming the first
    /// bad item (index and path), so nothing of a bad batch is stored.
    public init(_ batch: InventoryBatch) throws {
        guard batch.files.count <= FleetStoreLimits.maxFilesPerBatch else {
            throw FleetStoreError.invalidInput("batch has \(batch.files.count) files, more than \(FleetStoreLimits.maxFilesPerBatch)")
        }
        guard batch.removed.count <= FleetStoreLimits.maxRemovedPerBatch else {
            throw FleetStoreError.invalidInput("batch removes \(batch.removed.count) paths, more than \(FleetStoreLimits.maxRemovedPerBatch)")
        }
        guard batch.findings.count <= FleetStoreLimits.maxFindingsPerBatch else {
            throw FleetStoreError.invalidInput("batch has \(batch.findings.count) findings, more than \(FleetStoreLimits.maxFindingsPerBatch)")
        }
        var byPath: [String: StoredFileRow] = [:]
        byPath.reserveCapacity(batch.files.count)
        for (index, file) in batch.files.enumerated() {
            byPath[file.path] = try StoredFileRow(file, index: index)
        }
        files = byPath.values.sorted { $0.path < $1.path }
        var gone = Set<String>()
        for (index, path) in batch.removed.enumerated() {
            try Self.checkPath(path, what: "removed[\(index)]")
            if byPath[path] == nil { gone.insert(path) }
        }
        removed = gone.sorted()
    }

    static func checkPath(_ path: String, what: String) throws {
        guard !path.isEmpty else { throw FleetStoreError.invalidInput("\(what): empty path") }
        guard path.utf8.count <= FleetStoreLimits.maxPathBytes else {
            throw FleetStoreError.invalidInput("\(what): path longer than \(FleetStoreLimits.maxPathBytes) bytes")
        }
        guard !path.utf8.contains(0) else { throw FleetStoreError.invalidInput("\(what): path contains a NUL byte") }
    }
}

extension StoredFileRow {
    /// Checks one reported file; `index` is its position in the batch, for the error message.
    public init(_ file: InventoryFile, index: Int) throws {
        let what = "files[\(index)] (\(file.path.prefix(200)))"
        try PreparedBatch.checkPath(file.path, what: what)
        guard let sha256 = FleetHex.decode(file.sha256, bytes: 32) else {
            throw FleetStoreError.invalidInput("\(what): sha256 is not 64 hex digits")
        }
        var md5: Data?
        if let text = file.md5, !text.isEmpty {
            guard let d = FleetHex.decode(text, bytes: 16) else { throw FleetStoreError.invalidInput("\(what): md5 is not 32 hex digits") }
            md5 = d
        }
        var sha1: Data?
        if let text = file.sha1, !text.isEmpty {
            guard let d = FleetHex.decode(text, bytes: 20) else { throw FleetStoreError.invalidInput("\(what): sha1 is not 40 hex digits") }
            sha1 = d
        }
        guard file.size >= 0 else { throw FleetStoreError.invalidInput("\(what): negative size") }
        for (label, value) in [("signer", file.signer), ("productName", file.productName), ("version", file.version)] {
            if let value, value.utf8.count > FleetStoreLimits.maxTextBytes || value.utf8.contains(0) {
                throw FleetStoreError.invalidInput("\(what): \(label) longer than \(FleetStoreLimits.maxTextBytes) bytes or contains NUL")
            }
        }
        self.init(
            path: file.path, name: FleetPathName.name(of: file.path), sha256: sha256, md5: md5, sha1: sha1,
            size: file.size, modified: file.modified,
            signer: file.signer.flatMap { $0.isEmpty ? nil : $0 },
            product: file.productName.flatMap { $0.isEmpty ? nil : $0 },
            version: file.version.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The wire form again (digests as lower-case hex).
    public var inventoryFile: InventoryFile {
        InventoryFile(
            path: path, sha256: FleetHex.encode(sha256), md5: md5.map(FleetHex.encode), sha1: sha1.map(FleetHex.encode),
            size: size, modified: modified, signer: signer, productName: product, version: version)
    }

}

extension StoredFindingRow {
    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// Normalises a finding for storage; refuses findings whose identity fields are oversized.
    public init(hostID: Int64, finding: Finding) throws {
        guard !finding.check.isEmpty, finding.check.utf8.count <= FleetStoreLimits.maxTextBytes else {
            throw FleetStoreError.invalidInput("finding check id is empty or longer than \(FleetStoreLimits.maxTextBytes) bytes")
        }
        guard finding.path.utf8.count <= FleetStoreLimits.maxPathBytes else {
            throw FleetStoreError.invalidInput("finding path longer than \(FleetStoreLimits.maxPathBytes) bytes")
        }
        let indicator = finding.indicator ?? ""
        guard indicator.utf8.count <= FleetStoreLimits.maxPathBytes else {
            throw FleetStoreError.invalidInput("finding indicator longer than \(FleetStoreLimits.maxPathBytes) bytes")
        }
        let json = try Self.encoder.encode(finding)
        guard json.count <= 1 << 20 else { throw FleetStoreError.invalidInput("finding larger than 1 MiB as JSON") }
        self.init(hostID: hostID, check: finding.check, path: finding.path, indicator: indicator,
                  severityRank: FleetSeverityRank.rank(finding.severity), json: json)
    }


    /// Decodes a stored finding's JSON.
    public static func finding(from json: Data) throws -> Finding {
        try JSONDecoder().decode(Finding.self, from: json)
    }
}

/// Severity as the integer the stores filter on (info 0 … critical 4).
public enum FleetSeverityRank {
    public static func rank(_ s: Severity) -> Int { Severity.allCases.firstIndex(of: s) ?? 0 }
}

/// The dictionary key for name lookups: the lower-cased last path component (`/` or `\` separated).
public enum FleetPathName {
    public static func name(of path: String) -> String {
        let base = path.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "/" || $0 == "\\" }).last
        return (base.map(String.init) ?? path).lowercased()
    }
}

/// Hex encoding of digests without Foundation formatters.
public enum FleetHex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ data: Data) -> String {
        var out = [UInt8]()
        out.reserveCapacity(data.count * 2)
        for b in data {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes exactly `bytes` bytes of hex (either case); nil for anything else.
    public static func decode(_ text: String, bytes: Int) -> Data? {
        let utf8 = Array(text.utf8)
        guard utf8.count == bytes * 2 else { return nil }
        var out = Data(capacity: bytes)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Checks agent facts before they are stored.
public enum FleetFactsCheck {
    public static func validate(_ agent: AgentFacts) throws {
        guard !agent.hostIdentifier.isEmpty else { throw FleetStoreError.invalidInput("empty host identifier") }
        for (label, value) in [("hostname", agent.hostname), ("hostIdentifier", agent.hostIdentifier), ("os", agent.os),
                               ("osVersion", agent.osVersion), ("agentVersion", agent.agentVersion)] {
            guard value.utf8.count <= FleetStoreLimits.maxTextBytes, !value.utf8.contains(0) else {
                throw FleetStoreError.invalidInput("\(label) longer than \(FleetStoreLimits.maxTextBytes) bytes or contains NUL")
            }
        }
        guard agent.addresses.count <= FleetStoreLimits.maxAddresses else {
            throw FleetStoreError.invalidInput("\(agent.addresses.count) addresses, more than \(FleetStoreLimits.maxAddresses)")
        }
        for a in agent.addresses where a.isEmpty || a.utf8.count > 64 || a.utf8.contains(0) {
            throw FleetStoreError.invalidInput("address \(a.prefix(70)) is empty or longer than 64 bytes")
        }
    }

    /// Addresses deduplicated and sorted (stable lock order for concurrent writers).
    public static func addresses(_ agent: AgentFacts) -> [String] { Array(Set(agent.addresses)).sorted() }
}

/// Time as the stores keep it: whole microseconds since 1970 (PostgreSQL's timestamp resolution),
/// so a date reads back equal from both back ends.
public enum FleetTime {
    public static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
    public static func date(_ micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
}

extension StoredFindingRow {
    /// One row per identity (host, check, path, indicator), the last occurrence winning, in a
    /// stable order; a single multi-row upsert may not touch the same row twice.
    public static func deduplicated(_ rows: [StoredFindingRow]) -> [StoredFindingRow] {
        struct Key: Hashable { var host: Int64; var check: String; var path: String; var indicator: String }
        var index: [Key: Int] = [:]
        var out: [StoredFindingRow] = []
        for row in rows {
            let key = Key(host: row.hostID, check: row.check, path: row.path, indicator: row.indicator)
            if let i = index[key] { out[i] = row } else { index[key] = out.count; out.append(row) }
        }
        return out
    }
}

/// Checks of small inputs shared by the back ends.
public enum FleetInputCheck {
    /// A stored credential hash: 16 to 64 raw bytes (SHA-256 is 32).
    public static func hash(_ hash: Data, what: String) throws {
        guard hash.count >= 16, hash.count <= 64 else { throw FleetStoreError.invalidInput("\(what) must be 16 to 64 bytes") }
    }

    /// A name: non-empty, at most ``FleetStoreLimits/maxTextBytes`` bytes, no NUL.
    public static func text(_ text: String, what: String) throws {
        guard !text.isEmpty, text.utf8.count <= FleetStoreLimits.maxTextBytes, !text.utf8.contains(0) else {
            throw FleetStoreError.invalidInput("\(what) is empty, longer than \(FleetStoreLimits.maxTextBytes) bytes or contains NUL")
        }
    }
}
