import Crypto
import Foundation
import Synchronization
import VigilCore
import VigilDetections

/// What the file system says about a file's contents without reading them: if all of these are
/// unchanged, the bytes are taken to be unchanged too. The change time (`st_ctim`) moves on every
/// write, rename into place, `chmod` or `touch`, and cannot be set back by a user, which is what makes
/// the key trustworthy where mtime alone is not (`touch -d` and archive extractors set mtime freely).
public struct FileStamp: Sendable, Hashable, Codable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification and status-change times, nanoseconds since 1970.
    public var modifiedNanoseconds: Int64
    public var changedNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64, changedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.changedNanoseconds = changedNanoseconds
    }
}

/// The identity facts a fleet inventory keeps about one file, beyond its digests.
public struct InventoryFacts: Sendable, Hashable, Codable {
    /// The signer certificate's subject common name (Authenticode), when signed.
    public var signer: String?
    /// `ProductName` and the product (or file) version from the PE VS_VERSIONINFO resource.
    public var productName: String?
    public var version: String?

    public init(signer: String? = nil, productName: String? = nil, version: String? = nil) {
        self.signer = signer
        self.productName = productName
        self.version = version
    }
}

/// Everything a sweep learned from one regular file, enough to report it again without reading it:
/// digests, the findings of its hash/YARA/structural checks (file-name matches are recomputed, they
/// depend only on the path), its parse diagnostics and the facts the folder checks need.
public struct CachedFileResult: Sendable, Hashable, Codable {
    public var hashes: FileHashes
    public var findings: [Finding]
    public var diagnostics: [Diagnostic]
    public var facts: BinaryFacts?
    public var inventory: InventoryFacts?
    /// Bytes that were read (the file's size when it was read).
    public var bytes: Int
    /// Whether the file was recognised as a container to look inside (`nil`: not known, for example
    /// when containers were not opened). A reused result with `false` spares the sweep reading the
    /// file's first and last bytes again to find out.
    public var isContainer: Bool?

    public init(
        hashes: FileHashes, findings: [Finding], diagnostics: [Diagnostic], facts: BinaryFacts?, inventory: InventoryFacts?, bytes: Int,
        isContainer: Bool? = nil
    ) {
        self.hashes = hashes
        self.findings = findings
        self.diagnostics = diagnostics
        self.facts = facts
        self.inventory = inventory
        self.bytes = bytes
        self.isContainer = isContainer
    }
}

/// A store of per-file sweep results, consulted by ``ScanEngine`` for every regular file before it is
/// read. A result is valid only for the same absolute path, the same ``FileStamp`` and the same
/// configuration digest (rules, indicators, options that change results, Vigil version); any other
/// combination must be a miss.
///
/// Called from every worker thread at once; implementations synchronise themselves. ``store`` may
/// buffer; ``flush()`` is called once at the end of a sweep and must make everything stored durable.
public protocol ScanCache: Sendable {
    func lookup(path: String, stamp: FileStamp, configurationDigest: String) -> CachedFileResult?
    func store(path: String, stamp: FileStamp, configurationDigest: String, result: CachedFileResult)
    /// Writes buffered results; returns a diagnostic when the cache could not be written.
    func flush() -> Diagnostic?
}

/// One file of a sweep's inventory (``ScanOptions/collectsInventory``).
public struct InventoryRecord: Sendable, Hashable, Codable {
    /// Absolute path.
    public var path: String
    public var hashes: FileHashes
    public var size: Int64
    /// Modification time, seconds since 1970.
    public var modified: Int64
    public var facts: InventoryFacts

    public init(path: String, hashes: FileHashes, size: Int64, modified: Int64, facts: InventoryFacts) {
        self.path = path
        self.hashes = hashes
        self.size = size
        self.modified = modified
        self.facts = facts
    }
}

/// Takes a sweep's inventory records one by one as the workers make them (``ScanConfiguration/inventorySink``),
/// so the sweep does not collect them. Called from every worker thread at once, in no particular
/// order; implementations synchronise themselves.
public protocol InventorySink: Sendable {
    func receive(_ record: InventoryRecord)
}

/// Spreads file reads over time so a sweep reads at most `bytesPerSecond` on average (a token bucket
/// with one second of burst), shared by all workers.
public final class ReadThrottle: Sendable {
    public let bytesPerSecond: Int
    private let state = Mutex<(tokens: Double, last: ContinuousClock.Instant)>((0, .now))

    public init(bytesPerSecond: Int) {
        self.bytesPerSecond = max(1, bytesPerSecond)
        state.withLock { $0.tokens = Double(self.bytesPerSecond) }
    }

    /// Takes `bytes` from the bucket, sleeping the calling thread while it is in debt.
    public func consume(_ bytes: Int) {
        let wait: Double = state.withLock { s in
            let now = ContinuousClock.now
            let elapsed = s.last.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            s.last = now
            s.tokens = min(Double(bytesPerSecond), s.tokens + seconds * Double(bytesPerSecond)) - Double(bytes)
            return s.tokens < 0 ? -s.tokens / Double(bytesPerSecond) : 0
        }
        if wait > 0 { Thread.sleep(forTimeInterval: min(wait, 60)) }
    }
}

extension ScanConfiguration {
    /// The digest that scopes cached results: the rules (``rulesDigest``), every loaded indicator,
    /// the options that change what a file yields, and the cache record format. The Vigil version is
    /// added by the cache itself.
    public var cacheDigest: String {
        var h = SHA256()
        func add(_ s: String) {
            h.update(data: Array(s.utf8))
            h.update(data: [0])
        }
        // 3: a container's cached result no longer holds its own YARA matches for tar, ZIP and CAB (they
        // are searched after each walk).
        add("vigil-scan-cache-3")
        add(rulesDigest)
        add(String(rules?.ruleCount ?? 0))
        // Order-independent over indicators: sort their kind/value/score keys.
        var keys = indicators.indicators.map { "\($0.kind.rawValue)\u{1}\($0.value)\u{1}\($0.score ?? -1)" }
        keys.sort()
        add(String(keys.count))
        for k in keys { add(k) }
        add(String(options.maxFileSize))
        add(String(extraDigests.rawValue))
        add(options.collectsInventory ? "inventory" : "-")
        // Results record whether the file is a container only when containers are opened.
        add(options.containers == nil ? "no-containers" : "containers")
        // Detection options are not part of it: they steer only the folder checks, which run on
        // every sweep from the cached facts.
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Subject common name from an RFC 4514-style subject (`CN=3CX Ltd, O=…`), else the whole subject.
func commonName(of subject: String) -> String {
    for part in subject.split(separator: ",") {
        let trimmed = part.drop { $0 == " " }
        if trimmed.lowercased().hasPrefix("cn=") {
            var value = String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if !value.isEmpty { return value }
        }
    }
    return subject
}
