/// Caps that keep a hostile release (zip bomb, deep nesting, millions of entries) from exhausting
/// memory or time. Every member is read into memory, never extracted to disk, so these caps are the
/// whole of the defence: when one is reached the input is refused with a ``ReleaseError``.
public struct ExpansionLimits: Sendable, Hashable {
    /// How deep archives may nest inside archives (the release itself is depth 0).
    public var maxDepth: Int
    /// Total bytes all members of one release may expand to.
    public var maxTotalBytes: Int
    /// Bytes one member may expand to; larger members are refused as bombs when compressed,
    /// or hashed without analysis when stored plainly in a folder.
    public var maxMemberBytes: Int
    /// Highest compression ratio (expanded ÷ compressed) accepted for a member once it has expanded
    /// past ``ratioFloorBytes``; real software stays well under 100, deflate bombs reach about 1,000.
    public var maxCompressionRatio: Int
    /// Members smaller than this are never judged by ratio (a 1 MiB file of zeros is not a bomb).
    public var ratioFloorBytes: Int
    /// How many entries one release may hold, nested archives included.
    public var maxEntries: Int

    public init(
        maxDepth: Int = 3, maxTotalBytes: Int = 4 << 30, maxMemberBytes: Int = 512 << 20,
        maxCompressionRatio: Int = 200, ratioFloorBytes: Int = 8 << 20, maxEntries: Int = 200_000
    ) {
        self.maxDepth = maxDepth
        self.maxTotalBytes = maxTotalBytes
        self.maxMemberBytes = maxMemberBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.ratioFloorBytes = ratioFloorBytes
        self.maxEntries = maxEntries
    }

    /// The defaults: depth 3, 4 GiB in all, 512 MiB per member, ratio 200 beyond 8 MiB, 200,000 entries.
    public static let standard = ExpansionLimits()
}
