/// Why a disk image, partition map or volume could not be read. Every case names where it happened.
public struct DiskImageError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The file is not a UDIF image, partition map or known volume.
        case notRecognised
        /// A structure is inconsistent: truncated, out of range, overlapping, lying about a size.
        case malformed
        /// A limit of ``DiskImageLimits`` was reached.
        case limitExceeded
        /// A feature the reader does not implement (segmented images, an unknown chunk type).
        case unsupported
        /// A system call failed (temporary file, read, write).
        case io
        /// libfshfs or libfsapfs refused the volume.
        case fileSystem
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Something the reader worked around and reports rather than hides: an unsupported chunk left as
/// zeros, a member not listed because of a cap, an unreadable folder.
public struct DiskImageNotice: Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Caps that hold against hostile images. Defaults are documented in docs/formats-dmg.md.
public struct DiskImageLimits: Sendable, Hashable {
    /// Largest XML property list (the `koly` XMLLength) read: 16 MiB.
    public var maximumPropertyListBytes = 16 << 20
    /// Most `blkx` entries: 1,024.
    public var maximumBlockTables = 1_024
    /// Most chunks over all `blkx` tables: 1,000,000.
    public var maximumChunks = 1_000_000
    /// Largest declared (decompressed) size of one chunk, and largest compressed size read for one
    /// chunk: 64 MiB (hdiutil writes chunks of 1 MiB or less).
    public var maximumChunkBytes = 64 << 20
    /// Largest declared disk size (sectors x 512): 64 GiB. Zero runs cost nothing (a sparse file).
    public var maximumDiskBytes: UInt64 = 64 << 30
    /// Most bytes actually written to private temporary files per image (decompressed chunks plus
    /// copied partitions): 4 GiB.
    public var maximumWrittenBytes: UInt64 = 4 << 30
    /// Most partition map entries examined: 256.
    public var maximumPartitions = 256
    /// Most entries listed per image over all volumes: 200,000.
    public var maximumEntries = 200_000
    /// Deepest folder nesting walked: 64.
    public var maximumDepth = 64
    /// Most entries read from one folder: 100,000.
    public var maximumFolderEntries = 100_000

    public init() {}
}
