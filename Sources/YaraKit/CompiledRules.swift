internal import CYara
import Synchronization

/// A compiled YARA rule set, shared read-only by every scanning thread.
///
/// Thread safety: libyara documents that a `YR_RULES` may be used by several threads at once, each
/// through its own scanner (`YR_SCANNER`), up to `YR_MAX_THREADS` (32, `yara/limits.h`) concurrent
/// scans per rule set. This class never mutates the rules after compilation and enforces that limit
/// in ``makeScanner(timeoutSeconds:)``, so sharing it across threads is safe: hence
/// `@unchecked Sendable`.
public final class CompiledRules: @unchecked Sendable {
    let handle: UnsafeMutablePointer<YR_RULES>
    /// Rule source (file path or built-in name) of each namespace.
    let sourceByNamespace: [String: String]
    /// The external variables declared at compile time.
    public let externals: [String]
    /// The number of rules, private and global ones included.
    public let ruleCount: Int
    private let liveScanners = Mutex(0)

    /// The most scanners libyara allows at once on one rule set.
    public static var maximumConcurrentScanners: Int { Int(cyara_max_threads()) }

    init(handle: UnsafeMutablePointer<YR_RULES>, sourceByNamespace: [String: String], externals: [String]) {
        self.handle = handle
        self.sourceByNamespace = sourceByNamespace
        self.externals = externals
        self.ruleCount = Int(cyara_rules_count(handle))
    }

    deinit { yr_rules_destroy(handle) }

    /// Creates a scanner for one thread's sequential use.
    /// - Parameter timeoutSeconds: per-scan time limit (0 = none).
    /// - Throws: ``YaraError`` with code `.tooManyScanners` when 32 scanners already exist.
    public func makeScanner(timeoutSeconds: Int = 60) throws(YaraError) -> YaraScanner {
        let admitted = liveScanners.withLock { count in
            guard count < Self.maximumConcurrentScanners else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw YaraError(code: .tooManyScanners, message: "at most \(Self.maximumConcurrentScanners) YARA scanners may exist per rule set")
        }
        do {
            return try YaraScanner(rules: self, timeoutSeconds: timeoutSeconds)
        } catch {
            scannerReleased()
            throw error
        }
    }

    func scannerReleased() { liveScanners.withLock { $0 -= 1 } }
}
