/// What a PE or Mach-O parse measures beyond the structure itself.
public struct ParseOptions: Sendable, Hashable {
    /// Measure the Shannon entropy of every section (and Mach-O segment): one more pass over most
    /// of the file's bytes (two for Mach-O, whose sections lie inside segments).
    public var measuresSectionEntropy: Bool

    public init(measuresSectionEntropy: Bool) {
        self.measuresSectionEntropy = measuresSectionEntropy
    }

    /// Everything, for `vigil inspect` and `vigil diff`.
    public static let complete = ParseOptions(measuresSectionEntropy: true)
    /// Structure, imports, signatures, overlay and checksum, but no section entropy: what the sweep's
    /// checks use.
    public static let structure = ParseOptions(measuresSectionEntropy: false)
}
