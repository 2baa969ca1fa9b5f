import VigilCore
import VigilFleetProtocol
import VigilScan

/// The difference between a sweep's inventory and what the server holds, and its split into batches.
public enum InventoryDelta {
    public struct Result: Sendable {
        /// Added and changed files.
        public var files: [InventoryFile]
        public var removed: [String]
        public var added: Int
        public var changed: Int
    }

    /// Files new or different (SHA-256, size or mtime) since `serverView`, and paths the server holds
    /// that the sweep did not find. A path the sweep could not read this time (a diagnostic names it)
    /// is not reported removed: unreadable is not gone.
    public static func compute(inventory: [InventoryRecord], diagnostics: [Diagnostic], serverView: [String: AgentState.Reported]) -> Result {
        var files: [InventoryFile] = []
        var added = 0
        var changed = 0
        var seen = Set<String>()
        seen.reserveCapacity(inventory.count)
        for record in inventory {
            seen.insert(record.path)
            let old = serverView[record.path]
            if let old, old.sha256 == record.hashes.sha256, old.size == record.size, old.modified == record.modified { continue }
            if old == nil { added += 1 } else { changed += 1 }
            files.append(InventoryFile(
                path: record.path, sha256: record.hashes.sha256, md5: record.hashes.md5, sha1: record.hashes.sha1,
                size: record.size, modified: record.modified, signer: record.facts.signer,
                productName: record.facts.productName, version: record.facts.version))
        }
        let unreadable = Set(diagnostics.filter { $0.kind != "vanished" }.map(\.path))
        let removed = serverView.keys.filter { !seen.contains($0) && !unreadable.contains($0) }.sorted()
        return Result(files: files, removed: removed, added: added, changed: changed)
    }

    public struct Part: Sendable {
        public var files: [InventoryFile] = []
        public var removed: [String] = []
        public var findings: [Finding] = []
    }

    /// Splits a delta into parts of at most `maxRows` files + removed paths and `maxFindings`
    /// findings each; always at least one part (an empty sweep still tells the server the host is alive).
    public static func split(files: [InventoryFile], removed: [String], findings: [Finding], maxRows: Int, maxFindings: Int) -> [Part] {
        var parts: [Part] = []
        var current = Part()
        var rows = 0
        func flushIfFull() {
            if rows >= maxRows || current.findings.count >= maxFindings {
                parts.append(current)
                current = Part()
                rows = 0
            }
        }
        for f in files {
            flushIfFull()
            current.files.append(f)
            rows += 1
        }
        for r in removed {
            flushIfFull()
            current.removed.append(r)
            rows += 1
        }
        for f in findings {
            if current.findings.count >= maxFindings {
                parts.append(current)
                current = Part()
                rows = 0
            }
            current.findings.append(f)
        }
        if !current.files.isEmpty || !current.removed.isEmpty || !current.findings.isEmpty || parts.isEmpty { parts.append(current) }
        return parts
    }
}

/// The server refuses a whole batch over one oversized field (docs/fleet.md, "Batches"); the agent
/// keeps its batches inside those limits instead of having them set aside.
public enum BatchLimits {
    public static let maxPathBytes = 4_096
    public static let maxTextBytes = 1_024
    public static let maxExplanationBytes = 16 * 1_024

    /// Inventory records whose path the server would refuse (longer than ``maxPathBytes``), counted
    /// so the caller can report them.
    public static func admissible(_ inventory: [InventoryRecord]) -> (kept: [InventoryRecord], refused: [String]) {
        var kept: [InventoryRecord] = []
        var refused: [String] = []
        kept.reserveCapacity(inventory.count)
        for r in inventory {
            if r.path.utf8.count > maxPathBytes { refused.append(r.path) } else { kept.append(r) }
        }
        return (kept, refused)
    }

    /// A finding cut to the server's field limits (a truncated text says so with "…").
    public static func fitted(_ finding: Finding) -> Finding {
        var f = finding
        f.check = truncated(f.check, maxTextBytes)
        f.title = truncated(f.title, maxTextBytes)
        f.path = truncated(f.path, maxPathBytes)
        f.explanation = truncated(f.explanation, maxExplanationBytes)
        return f
    }

    static func truncated(_ s: String, _ limit: Int) -> String {
        guard s.utf8.count > limit else { return s }
        var out = ""
        var bytes = 0
        for ch in s {
            let n = String(ch).utf8.count
            if bytes + n > limit - 3 { break }
            out.append(ch)
            bytes += n
        }
        return out + "…"
    }
}
