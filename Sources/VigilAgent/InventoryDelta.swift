import Synchronization
import VigilCore
import VigilFleetProtocol
import VigilScan

/// The parts an inventory delta is sent in (``BatchEmitter`` cuts them while the sweep runs; see
/// ``InventoryStream`` for how the delta itself is found).
public enum InventoryDelta {
    public struct Part: Sendable, Hashable {
        public var files: [InventoryFile] = []
        public var removed: [String] = []
        public var findings: [Finding] = []
    }

    /// Splits a whole delta into parts of at most `maxRows` files + removed paths and `maxFindings`
    /// findings each, files first, then removed paths, then findings; always at least one part (an
    /// empty sweep still tells the server the host is alive). The same parts ``BatchEmitter`` hands on
    /// when fed the same rows one by one.
    public static func split(files: [InventoryFile], removed: [String], findings: [Finding], maxRows: Int, maxFindings: Int) -> [Part] {
        let parts = PartCollector()
        var emitter = BatchEmitter(maxRows: maxRows, maxFindings: maxFindings) { part, _, _ in parts.append(part) }
        // The closure above does not throw, so neither do these.
        for f in files { try? emitter.add(file: f) }
        for r in removed { try? emitter.add(removed: r) }
        try? emitter.finish(findings: findings)
        return parts.all
    }

    private final class PartCollector: Sendable {
        private let parts = Mutex<[Part]>([])
        func append(_ part: Part) { parts.withLock { $0.append(part) } }
        var all: [Part] { parts.withLock { $0 } }
    }
}

/// The server refuses a whole batch over one oversized field (docs/fleet.md, "Batches"); the agent
/// keeps its batches inside those limits instead of having them set aside.
public enum BatchLimits {
    public static let maxPathBytes = 4_096
    public static let maxTextBytes = 1_024
    public static let maxExplanationBytes = 16 * 1_024

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
