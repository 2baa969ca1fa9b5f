/// Caps that keep a hostile container (a zip or CAB bomb, millions of members, archives nested
/// without end) from exhausting disk, memory or time. Each is enforced while bytes decompress, not
/// afterwards, and every cap hit is reported with the member and the cap's name.
public struct ContainerLimits: Sendable, Hashable, Codable {
    /// Members one top-level container may hold, nested containers included. Default 100,000.
    public var maxMembers: Int
    /// How deep containers may nest: 1 opens only the file given, 2 also containers inside it…
    /// Default 4 (`a.dmg!/x.pkg!/Payload!/…` needs 3).
    public var maxDepth: Int
    /// Bytes all members of one top-level container may expand to, nested included. Default 4 GiB.
    public var maxTotalBytes: Int64
    /// Highest ratio of bytes expanded from one container to its own size, judged once its members
    /// passed ``ratioFloorBytes``. Default 200 (software installers stay far below 50; deflate,
    /// LZX and xz bombs reach 1,000 and more).
    public var maxExpansionRatio: Int64
    /// A container whose members expanded to less than this is never judged by ratio. Default 8 MiB.
    public var ratioFloorBytes: Int64
    /// Bytes of one member. A member over it is cut off at the cap and reported; it is not scanned
    /// (its hashes would be wrong). Default 256 MiB (scan's `--max-file-size`).
    public var maxMemberBytes: Int64

    public init(
        maxMembers: Int = 100_000, maxDepth: Int = 4, maxTotalBytes: Int64 = 4 << 30,
        maxExpansionRatio: Int64 = 200, ratioFloorBytes: Int64 = 8 << 20, maxMemberBytes: Int64 = 256 << 20
    ) {
        self.maxMembers = maxMembers
        self.maxDepth = maxDepth
        self.maxTotalBytes = maxTotalBytes
        self.maxExpansionRatio = maxExpansionRatio
        self.ratioFloorBytes = ratioFloorBytes
        self.maxMemberBytes = maxMemberBytes
    }

    /// The documented defaults.
    public static let standard = ContainerLimits()
}
