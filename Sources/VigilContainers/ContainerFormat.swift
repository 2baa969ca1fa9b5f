import VigilCore

/// A container format Vigil can look inside: an archive (ZIP, tar, CAB, 7z, xar, cpio, ISO, RAR),
/// an installer database (MSI) or a disk image (DMG).
///
/// ## The contract (stable: later changes are additive only)
///
/// 1. **Recognition.** ``recognizes(_:)`` gets a ``ContainerProbe`` (the name, the size, the first
///    64 KiB and the last 4 KiB of the file) and answers from magic bytes and, where a format has no
///    magic of its own, the name. It must be cheap and must not touch the file system.
/// 2. **Opening.** ``open(path:probe:)`` opens the file read-only and returns a ``ContainerReader``.
///    It throws ``ContainerError`` with kind ``ContainerError/Kind/notAContainer`` when a closer look
///    shows the file is not one after all (a `.gz` that holds no tar): the walker then treats it as
///    a plain file and says nothing. Any other error is reported with the container's chain path.
/// 3. **Members, one at a time.** The walker calls ``ContainerReader/nextMember()`` until it returns
///    `nil`, and for each regular member ``ContainerReader/readMember(into:)``, which streams the
///    member's bytes, in order, into the ``MemberSink``. The sink enforces every cap while the bytes
///    arrive (it throws when one is hit); a reader must stop and rethrow when the sink throws, and
///    must never buffer a whole member itself. A member the walker does not read (a folder, a link,
///    a member over a cap) is skipped by the next ``ContainerReader/nextMember()`` call.
/// 4. **Names.** ``ContainerMemberInfo/name`` is the name *as stored*, hostile or not (`../../x`,
///    `/abs`, `C:\x`). Readers never clean names up; the walker normalises them
///    (``MemberName/normalise(_:)``) and reports hostile ones. ``ContainerMemberInfo/installPath``
///    is an optional second name a format can give (MSI: `[ProgramFiles]/3CX Desktop App/ffmpeg.dll`);
///    when present the walker names the member by it.
/// 5. **Problems.** A member that cannot be read throws ``ContainerError`` with kind
///    ``ContainerError/Kind/memberUnreadable`` or ``ContainerError/Kind/unsupported`` from
///    ``ContainerReader/readMember(into:)`` (the walker reports it and asks for the next member);
///    a damaged container throws ``ContainerError/Kind/malformed`` (the walker reports it and stops
///    this container). Problems that do not stop reading are returned by
///    ``ContainerReader/takeNotes()``. Nothing is ever dropped silently.
/// 6. **Nothing else.** A reader never writes to disk, never follows a link on the machine's file
///    system and never executes anything; the walker alone writes member bytes, into its private
///    temporary directory.
///
/// Formats live in `Sources/VigilContainers/Formats/` (one adapter per file) and are listed in
/// ``ContainerFormats/builtIn``; the walker asks them in that order.
public protocol ContainerFormat: Sendable {
    /// A short stable name: `archive` (libarchive), `msi`, `dmg`.
    var identifier: String { get }
    /// Whether this format reads the file described by `probe`.
    func recognizes(_ probe: ContainerProbe) -> Bool
    /// Opens the file at `path` (a regular file the probe described) for reading members.
    func open(path: String, probe: ContainerProbe) throws -> any ContainerReader
}

/// Reads one opened container member by member (see ``ContainerFormat`` for the contract).
/// Used by one thread at a time.
public protocol ContainerReader: AnyObject {
    /// The format as detected once open, for reports (`7-Zip`, `MS CAB`, `xar`, `MSI`, `UDIF`).
    var formatName: String { get }
    /// The next member's description, or `nil` after the last one.
    func nextMember() throws -> ContainerMemberInfo?
    /// Streams the bytes of the member last returned by ``nextMember()`` into `sink`.
    func readMember(into sink: MemberSink) throws
    /// Bytes of the container consumed so far, when the reader knows (`nil` otherwise).
    var inputBytesConsumed: Int64? { get }
    /// Problems noticed since the last call that did not stop reading.
    func takeNotes() -> [ContainerNote]
}

extension ContainerReader {
    public var inputBytesConsumed: Int64? { nil }
    public func takeNotes() -> [ContainerNote] { [] }
}

/// What a format is shown to decide whether it reads a file.
public struct ContainerProbe: Sendable {
    /// The file's base name (for a nested container, the member's base name).
    public var fileName: String
    /// The file's size in bytes.
    public var size: Int64
    /// The first `min(size, 64 KiB)` bytes.
    public var head: [UInt8]
    /// The last `min(size, 4 KiB)` bytes (a UDIF image keeps its `koly` trailer there).
    public var tail: [UInt8]

    public static let headBytes = 64 * 1024
    public static let tailBytes = 4 * 1024

    public init(fileName: String, size: Int64, head: [UInt8], tail: [UInt8]) {
        self.fileName = fileName
        self.size = size
        self.head = head
        self.tail = tail
    }

    /// Whether `magic` appears at `offset` of ``head``.
    public func has(_ magic: [UInt8], at offset: Int = 0) -> Bool {
        guard offset >= 0, head.count >= offset + magic.count else { return false }
        for (i, b) in magic.enumerated() where head[offset + i] != b { return false }
        return true
    }

    /// The file name's extension, lower case, without the dot (`msi`, `pkg`); empty without one.
    public var fileExtension: String {
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return "" }
        return fileName[fileName.index(after: dot)...].lowercased()
    }
}

/// What kind of member.
public enum MemberKind: String, Sendable, Hashable, Codable {
    case regular, directory, symlink, hardlink, other
}

/// One member as the container describes it.
public struct ContainerMemberInfo: Sendable, Hashable {
    /// The name as stored, unnormalised (it may be hostile).
    public var name: String
    /// The size the container declares for it, if it declares one (it may lie: the walker counts).
    public var declaredSize: Int64?
    public var kind: MemberKind
    /// Target of a symbolic link, or the member a hard link repeats.
    public var linkTarget: String?
    /// Where an installer puts the member, when the format knows (MSI: `[ProgramFiles]/App/x.dll`).
    /// The walker names the member by this path when it is set.
    public var installPath: String?
    /// Where the member's header or data starts in the container, for messages.
    public var offset: Int64?

    public init(
        name: String, declaredSize: Int64? = nil, kind: MemberKind, linkTarget: String? = nil,
        installPath: String? = nil, offset: Int64? = nil
    ) {
        self.name = name
        self.declaredSize = declaredSize
        self.kind = kind
        self.linkTarget = linkTarget
        self.installPath = installPath
        self.offset = offset
    }
}

/// A problem a reader noticed that did not stop it (an ambiguity, a stream it skipped, an
/// unsupported compression in one chunk). The walker reports it as a diagnostic of `kind`.
public struct ContainerNote: Sendable, Hashable {
    /// Diagnostic kind, e.g. `container-unsupported`, `container-ambiguous`, `malformed`.
    public var kind: String
    public var message: String
    /// The member it concerns (as stored), if any.
    public var member: String?
    public var offset: Int64?

    public init(kind: String, message: String, member: String? = nil, offset: Int64? = nil) {
        self.kind = kind
        self.message = message
        self.member = member
        self.offset = offset
    }
}

/// Why a container or one of its members could not be read.
public struct ContainerError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Not a container after all: the walker treats the file as a plain file, silently.
        case notAContainer
        /// The container is damaged, truncated or inconsistent; reading it stops.
        case malformed
        /// This member cannot be read; the next may be.
        case memberUnreadable
        /// This member uses something Vigil does not read (LZFSE, encryption); the next may be read.
        case unsupported
        /// A ``ContainerLimits`` cap was hit (thrown by ``MemberSink``).
        case limit
    }

    public var kind: Kind
    public var message: String
    /// The member concerned (as stored), if any.
    public var member: String?
    /// Byte offset in the container, if known.
    public var offset: Int64?
    /// For ``Kind/limit``: which cap (`member-size`, `total-bytes`, `expansion-ratio`…).
    public var limit: String?

    public init(_ kind: Kind, _ message: String, member: String? = nil, offset: Int64? = nil, limit: String? = nil) {
        self.kind = kind
        self.message = message
        self.member = member
        self.offset = offset
        self.limit = limit
    }

    public var description: String { message }
}
