import Synchronization
import VigilCore
import VigilFleetProtocol
import VigilScan

/// 128 bits standing for a path or for a file's reported state inside one agent process: two SipHash
/// values under the process's random hashing key, so a collision between two of a host's paths is
/// as unlikely as guessing a 128-bit key, and nobody outside the process can aim for one. Never
/// stored or sent: the next process has another key.
struct Digest128: Hashable, Sendable, Comparable {
    var high: UInt64
    var low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    static func < (a: Digest128, b: Digest128) -> Bool { a.high != b.high ? a.high < b.high : a.low < b.low }

    init(path: String) {
        var a = Hasher()
        a.combine(UInt8(0x70))
        a.combine(path)
        var b = Hasher()
        b.combine(UInt8(0x50))
        b.combine(path)
        high = UInt64(bitPattern: Int64(a.finalize()))
        low = UInt64(bitPattern: Int64(b.finalize()))
    }

    /// What the delta compares: SHA-256, size and mtime.
    init(sha256: String, size: Int64, modified: Int64) {
        var a = Hasher()
        a.combine(UInt8(0x73))
        a.combine(sha256)
        a.combine(size)
        a.combine(modified)
        var b = Hasher()
        b.combine(UInt8(0x53))
        b.combine(sha256)
        b.combine(size)
        b.combine(modified)
        high = UInt64(bitPattern: Int64(a.finalize()))
        low = UInt64(bitPattern: Int64(b.finalize()))
    }
}

/// The inventory the server holds for this host as the agent expects it (the acknowledged state with
/// the spooled batches on top), in 40 bytes a path: each path and each state is a ``Digest128``, in
/// one array sorted by the path's digest, with a flag set once the sweep found the path. The paths
/// themselves stay in `state.sqlite` and in the spool; removed files are found by reading those again
/// at the end.
///
/// ``set(path:sha256:size:modified:)`` and ``remove(path:)`` describe the view in order (a later call
/// for a path wins); the first comparison sorts it.
public struct ServerView: Sendable {
    struct Slot: Sendable {
        var path: Digest128
        var state: Digest128
        /// Position of the call that described it: the later wins.
        var order: UInt32
        var removed: Bool
        /// The sweep found the path, or it was already listed as removed.
        var settled: Bool
    }

    private var slots: [Slot] = []
    private var sorted = true

    public init(capacity: Int = 0) { slots.reserveCapacity(capacity) }

    /// The server holds `path` with this SHA-256, size and mtime.
    public mutating func set(path: String, sha256: String, size: Int64, modified: Int64) {
        slots.append(Slot(
            path: Digest128(path: path), state: Digest128(sha256: sha256, size: size, modified: modified),
            order: UInt32(truncatingIfNeeded: slots.count), removed: false, settled: false))
        sorted = false
    }

    /// The server holds nothing at `path`.
    public mutating func remove(path: String) {
        slots.append(Slot(
            path: Digest128(path: path), state: Digest128(high: 0, low: 0), order: UInt32(truncatingIfNeeded: slots.count),
            removed: true, settled: false))
        sorted = false
    }

    /// Sorts by path digest and keeps, per path, the last description (dropping removals).
    private mutating func sortIfNeeded() {
        guard !sorted else { return }
        slots.sort { a, b in a.path != b.path ? a.path < b.path : a.order < b.order }
        var kept = 0
        for i in slots.indices {
            if i + 1 < slots.count, slots[i + 1].path == slots[i].path { continue }  // a later one wins
            if slots[i].removed { continue }
            slots[kept] = slots[i]
            kept += 1
        }
        slots.removeLast(slots.count - kept)
        sorted = true
    }

    private mutating func index(of path: String) -> Int? {
        sortIfNeeded()
        let key = Digest128(path: path)
        var low = 0
        var high = slots.count
        while low < high {
            let mid = (low + high) / 2
            if slots[mid].path < key { low = mid + 1 } else { high = mid }
        }
        return low < slots.count && slots[low].path == key ? low : nil
    }

    /// Paths the server holds.
    public var count: Int {
        mutating get {
            sortIfNeeded()
            return slots.count
        }
    }

    public enum Comparison: Sendable { case absent, same, different }

    /// Compares a file the sweep found with what the server holds, and remembers that it was found.
    public mutating func found(path: String, sha256: String, size: Int64, modified: Int64) -> Comparison {
        guard let i = index(of: path) else { return .absent }
        slots[i].settled = true
        return slots[i].state == Digest128(sha256: sha256, size: size, modified: modified) ? .same : .different
    }

    /// True the first time it is asked about a path the server holds and the sweep did not find;
    /// the path counts as settled afterwards, so each removal is reported once.
    public mutating func takeMissing(path: String) -> Bool {
        guard let i = index(of: path), !slots[i].settled else { return false }
        slots[i].settled = true
        return true
    }
}

/// Cuts an inventory delta into batches as it is produced, with exactly the parts
/// ``InventoryDelta/split(files:removed:findings:maxRows:maxFindings:)`` makes of the whole delta:
/// a part is handed on only when the next row does not fit, so the last part, which ``finish(findings:)``
/// hands on, is known to be the last. Holds one part at a time.
public struct BatchEmitter: Sendable {
    /// Receives each part with its 1-based sequence number and whether it is the sweep's last.
    public typealias Send = @Sendable (_ part: InventoryDelta.Part, _ sequence: Int, _ isLast: Bool) throws -> Void

    public let maxRows: Int
    public let maxFindings: Int
    private let send: Send
    private var current = InventoryDelta.Part()
    private var rows = 0
    public private(set) var partsSent = 0

    public init(maxRows: Int, maxFindings: Int, send: @escaping Send) {
        self.maxRows = max(1, maxRows)
        self.maxFindings = max(1, maxFindings)
        self.send = send
    }

    private mutating func handOn(isLast: Bool) throws {
        let part = current
        current = InventoryDelta.Part()
        rows = 0
        partsSent += 1
        try send(part, partsSent, isLast)
    }

    public mutating func add(file: InventoryFile) throws {
        if rows >= maxRows || current.findings.count >= maxFindings { try handOn(isLast: false) }
        current.files.append(file)
        rows += 1
    }

    public mutating func add(removed path: String) throws {
        if rows >= maxRows || current.findings.count >= maxFindings { try handOn(isLast: false) }
        current.removed.append(path)
        rows += 1
    }

    /// Adds the findings and hands on the last part (an empty one when the sweep changed nothing:
    /// it still tells the server the host is alive).
    public mutating func finish(findings: [Finding]) throws {
        for f in findings {
            if current.findings.count >= maxFindings { try handOn(isLast: false) }
            current.findings.append(f)
        }
        if !current.files.isEmpty || !current.removed.isEmpty || !current.findings.isEmpty || partsSent == 0 {
            try handOn(isLast: true)
        }
    }
}

/// The sweep's inventory sink (``ScanConfiguration/inventorySink``): compares every record with the
/// ``ServerView`` as the workers make it and hands new and changed files to a ``BatchEmitter``, so
/// neither the sweep's inventory nor the delta is ever held whole. After the sweep the caller offers
/// every path the server holds to ``removeIfMissing(_:unreadable:)`` and ends with ``finish(findings:)``.
///
/// A failure to hand a part on (a full disk under the spool) is kept and thrown by ``finish(findings:)``;
/// records after it are still counted and compared.
public final class InventoryStream: InventorySink, Sendable {
    public struct Counts: Sendable, Hashable {
        /// Records received (files read or taken from the cache).
        public var files = 0
        public var added = 0
        public var changed = 0
        public var removed = 0
        /// Records left out because the server refuses paths that long, and the first of them.
        public var pathsTooLong = 0
        public var firstPathTooLong: String?
        public var partsSent = 0
    }

    private struct State: Sendable {
        var view: ServerView
        var emitter: BatchEmitter
        var counts = Counts()
        var failure: String?
    }

    private let state: Mutex<State>

    public init(view: ServerView, emitter: BatchEmitter) {
        state = Mutex(State(view: view, emitter: emitter))
    }

    public var counts: Counts {
        state.withLock { s in
            var c = s.counts
            c.partsSent = s.emitter.partsSent
            return c
        }
    }

    public func receive(_ record: InventoryRecord) {
        state.withLock { s in
            s.counts.files += 1
            guard record.path.utf8.count <= BatchLimits.maxPathBytes else {
                s.counts.pathsTooLong += 1
                if s.counts.firstPathTooLong == nil { s.counts.firstPathTooLong = record.path }
                return
            }
            switch s.view.found(path: record.path, sha256: record.hashes.sha256, size: record.size, modified: record.modified) {
            case .same: return
            case .absent: s.counts.added += 1
            case .different: s.counts.changed += 1
            }
            guard s.failure == nil else { return }
            do {
                try s.emitter.add(file: InventoryFile(
                    path: record.path, sha256: record.hashes.sha256, md5: record.hashes.md5, sha1: record.hashes.sha1,
                    size: record.size, modified: record.modified, signer: record.facts.signer,
                    productName: record.facts.productName, version: record.facts.version))
            } catch {
                s.failure = "\(error)"
            }
        }
    }

    /// Reports `path` removed when the server holds it, the sweep did not find it and it is not in
    /// `unreadable` (a path the sweep could not read is not gone). Each path once.
    public func removeIfMissing(_ path: String, unreadable: Set<String>) throws {
        try state.withLock { s in
            guard !unreadable.contains(path), s.view.takeMissing(path: path) else { return }
            s.counts.removed += 1
            if let failure = s.failure { throw AgentError("cannot spool the inventory delta: \(failure)") }
            try s.emitter.add(removed: path)
        }
    }

    /// Adds the sweep's findings and hands on the last part; throws the first failure of the sweep.
    public func finish(findings: [Finding]) throws {
        try state.withLock { s in
            if let failure = s.failure { throw AgentError("cannot spool the inventory delta: \(failure)") }
            try s.emitter.finish(findings: findings)
        }
    }
}
