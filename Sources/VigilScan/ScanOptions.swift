import VigilContainers

/// How a sweep walks and reads files.
public struct ScanOptions: Sendable, Hashable {
    /// Follow symbolic links inside folders (loops are detected by device and inode). Paths given
    /// on the command line are always followed, like `find -H`.
    public var followSymlinks: Bool
    /// Files larger than this many bytes are not read; each is reported as a `skipped-size` diagnostic.
    public var maxFileSize: Int
    /// Worker threads; `nil` means one per core (at most 32, libyara's limit per rule set).
    public var threads: Int?
    /// Per-file YARA time limit in seconds (0 = none).
    public var yaraTimeoutSeconds: Int

    /// Also produce ``ScanResult/inventory``: one record per regular file read (or taken from the
    /// cache) with digests, size, modification time, signer and version facts. Off by default: a
    /// plain sweep pays nothing for it.
    public var collectsInventory: Bool = false
    /// Average read budget in bytes per second for the whole sweep (`nil`: unlimited).
    public var maxReadBytesPerSecond: Int? = nil

    /// Whether and how deep to look inside containers (ZIP, tar, CAB, 7z, xar/.pkg, cpio, ISO,
    /// RAR…): members are scanned like files and named by their chain path (`outer.7z!/dir/x.dll`).
    /// `nil` turns it off (`--no-archives`).
    public var containers: ContainerLimits? = ContainerLimits.standard

    /// 256 MiB.
    public static let defaultMaxFileSize = 256 * 1024 * 1024

    public init(followSymlinks: Bool = false, maxFileSize: Int = defaultMaxFileSize, threads: Int? = nil, yaraTimeoutSeconds: Int = 60) {
        self.followSymlinks = followSymlinks
        self.maxFileSize = maxFileSize
        self.threads = threads
        self.yaraTimeoutSeconds = yaraTimeoutSeconds
    }
}

/// A snapshot of a running sweep, for progress displays.
public struct ScanProgress: Sendable, Hashable {
    public var files: Int
    public var bytes: Int
    public var findings: Int
    public var diagnostics: Int
    public var elapsedSeconds: Double
}
