import Foundation
import VigilVerdicts

/// What a host search compares the text with.
public enum HostSearchField: String, Sendable, CaseIterable {
    /// The host name the agent reports.
    case name
    /// The agent's host identifier (machine id).
    case identifier
    /// Any address the host has reported.
    case address
}

/// Where the next page of a prefix search starts: after this key (the lower-cased name, identifier
/// or address that matched) and host id. Pages are in key order, then host id.
public struct HostSearchCursor: Sendable, Hashable {
    public var key: String
    public var hostID: Int64

    public init(key: String, hostID: Int64) {
        self.key = key
        self.hostID = hostID
    }
}

/// Hosts whose name, identifier or an address starts with `prefix`, case-insensitively (as the
/// database's `lower()` folds letters: ASCII on SQLite). Answered by a range of an index, so every
/// page costs the same however many hosts the store holds.
public struct HostPrefixQuery: Sendable, Hashable {
    public var field: HostSearchField
    public var prefix: String
    public var after: HostSearchCursor?
    public var limit: Int

    public init(field: HostSearchField, prefix: String, after: HostSearchCursor? = nil, limit: Int = 50) {
        self.field = field
        self.prefix = prefix
        self.after = after
        self.limit = limit
    }
}

/// One host found by a prefix search, with the key that matched (for the next page's cursor).
public struct HostSearchHit: Sendable, Hashable {
    public var host: HostRecord
    /// The lower-cased name, identifier or address that starts with the prefix.
    public var key: String

    public init(host: HostRecord, key: String) {
        self.host = host
        self.key = key
    }
}

/// Hosts whose name or identifier contains `text` anywhere, case-insensitively, in host id order
/// after `afterID`. Where no index can answer a substring search the store reads at most
/// `scanLimit` host rows and says where it stopped (``HostSubstringPage/resumeAfter``).
public struct HostSubstringQuery: Sendable, Hashable {
    public var text: String
    public var afterID: Int64
    public var limit: Int
    public var scanLimit: Int

    public init(text: String, afterID: Int64 = 0, limit: Int = 50, scanLimit: Int = ConsoleSearchLimits.substringScanRows) {
        self.text = text
        self.afterID = afterID
        self.limit = limit
        self.scanLimit = scanLimit
    }
}

/// The answer to a ``HostSubstringQuery``.
public struct HostSubstringPage: Sendable, Hashable {
    /// Matching hosts, in host id order, at most the query's limit.
    public var hosts: [HostRecord]
    /// Every host with an id in (query's `afterID`, `resumeAfter`] was searched; the search goes on
    /// after it. Nil when every host after the query's `afterID` was searched.
    public var resumeAfter: Int64?
    /// True when an index answered (a trigram index on PostgreSQL), false when host rows were read
    /// one by one (at most the query's `scanLimit`).
    public var indexed: Bool
    /// Host rows read by a bounded scan (0 when an index answered).
    public var scanned: Int

    public init(hosts: [HostRecord], resumeAfter: Int64?, indexed: Bool, scanned: Int) {
        self.hosts = hosts
        self.resumeAfter = resumeAfter
        self.indexed = indexed
        self.scanned = scanned
    }
}

/// What an inventory page looks for: files with a digest, at an exact path, or with a base name.
public enum InventoryMatch: Sendable, Hashable {
    case sha256(Data)
    case md5(Data)
    case sha1(Data)
    case path(String)
    case name(String)
}

/// Where the next inventory page starts: after this path id and host id.
public struct InventoryCursor: Sendable, Hashable {
    public var pathID: Int64
    public var hostID: Int64

    public init(pathID: Int64, hostID: Int64) {
        self.pathID = pathID
        self.hostID = hostID
    }
}

/// One page of the inventory rows matching a digest, path or name, in (path id, host id) order
/// (digests: host id order), each page answered by a range of an index.
public struct InventoryPageQuery: Sendable, Hashable {
    public var match: InventoryMatch
    public var after: InventoryCursor?
    public var limit: Int

    public init(match: InventoryMatch, after: InventoryCursor? = nil, limit: Int = 200) {
        self.match = match
        self.after = after
        self.limit = limit
    }
}

/// One row of an inventory page and its cursor.
public struct InventoryPageHit: Sendable, Hashable {
    public var hit: InventoryHit
    public var cursor: InventoryCursor

    public init(hit: InventoryHit, cursor: InventoryCursor) {
        self.hit = hit
        self.cursor = cursor
    }
}

/// Limits of the console's searches.
public enum ConsoleSearchLimits {
    /// Host rows a substring search reads per page where no index can answer it.
    public static let substringScanRows = 20_000
    /// Longest search text in bytes (longer than any stored name, identifier or address).
    public static let maxTextBytes = FleetStoreLimits.maxTextBytes
    /// Rows per inventory page at most.
    public static let maxInventoryPage = 1_000
    /// Paths with one base name an inventory page walks at most (a name held at more paths is
    /// reported as narrowed by the caller).
    public static let maxPathsPerName = 10_000

    /// True when `text` can be stored at all (no NUL, within ``maxTextBytes``); a search for text
    /// that cannot be stored finds nothing.
    public static func searchable(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maxTextBytes && !text.utf8.contains(0)
    }

    /// The smallest string greater than every string that starts with `prefix`, in code-point
    /// (UTF-8 byte) order; nil when there is none (the prefix is all U+10FFFF).
    public static func prefixUpperBound(_ prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next == 0xD800 { next = 0xE000 }  // skip the surrogates, which are not scalars
            if let scalar = Unicode.Scalar(next) {
                var out = String.UnicodeScalarView()
                out.append(contentsOf: scalars)
                out.append(scalar)
                return String(out)
            }
        }
        return nil
    }
}
