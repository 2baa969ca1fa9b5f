/// One file or link of a release, read into memory.
///
/// Members of nested archives are named `outer.zip!/inner/path`, so every member has one stable
/// name to pair on across the two releases.
public struct ReleaseMember: Sendable {
    /// What the member is.
    public enum Content: Sendable {
        /// A regular file. `bytes` holds the whole file unless it was larger than the per-member
        /// analysis cap, in which case `complete` is false and `bytes` is its prefix.
        case file(bytes: [UInt8], size: Int, sha256: String, complete: Bool)
        /// A symbolic link inside the release tree (links leaving the tree are refused).
        case symlink(target: String)
    }

    /// The relative path inside the release, `/`-separated; nested archives add `!/`.
    public var path: String
    public var content: Content
    /// How many archives deep the member sits (0 = directly in the release).
    public var depth: Int

    public init(path: String, content: Content, depth: Int) {
        self.path = path
        self.content = content
        self.depth = depth
    }
}

/// What was read from one side of the diff: where it came from and the problems met on the way.
public struct ReleaseSource: Sendable, Codable, Hashable {
    /// The path the user gave.
    public var path: String
    /// `folder`, `zip`, `tar`, `tar.gz`, `asar`.
    public var kind: String
    /// Regular files read (nested archives included), links, nested archives opened.
    public var fileCount: Int
    public var linkCount: Int
    public var archivesOpened: Int
    /// Bytes of all files read.
    public var totalBytes: Int
    /// The single top-level folder every member sat in, removed from the paths before pairing.
    public var strippedFolder: String?

    public init(path: String, kind: String, fileCount: Int = 0, linkCount: Int = 0, archivesOpened: Int = 0, totalBytes: Int = 0) {
        self.path = path
        self.kind = kind
        self.fileCount = fileCount
        self.linkCount = linkCount
        self.archivesOpened = archivesOpened
        self.totalBytes = totalBytes
    }
}
