import VigilCore

/// The result of comparing two releases: what changed, the findings, the verdict, and the problems
/// met while reading.
public struct ReleaseDiff: Sendable, Codable, Hashable {
    public var old: ReleaseSource
    public var new: ReleaseSource
    /// Files per kind of change.
    public var counts: [String: Int]
    /// Every change except unchanged files, sorted by path.
    public var changes: [FileChange]
    /// Release-diff signals and the structural findings on the new release that the old release did
    /// not have, most severe first. These drive ``risk``.
    public var findings: [Finding]
    /// Structural findings on the new release that the old release already had on the same file.
    public var preexisting: [Finding]
    public var risk: RiskSummary
    /// Non-fatal problems, each prefixed with the side (`old:` / `new:`) in its path.
    public var diagnostics: [Diagnostic]

    /// Whether the two releases hold the same files with the same contents.
    public var identical: Bool { changes.isEmpty }
}
