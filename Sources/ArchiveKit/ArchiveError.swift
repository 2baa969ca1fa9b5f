/// A libarchive failure, with what it was doing, the member it was on and the offset in the input.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// libarchive recognised no format it was asked to read (not an archive for ArchiveKit).
        case unrecognized
        /// The archive is damaged, truncated or lies about itself; reading cannot go on.
        case fatal
        /// One member could not be read (damaged data, encryption, unsupported method); the next
        /// member may still be readable.
        case member
        /// The input could not be opened.
        case open
    }

    public var code: Code
    /// libarchive's message (`archive_error_string`), or ArchiveKit's own.
    public var message: String
    /// The member being read when it happened, when there was one.
    public var member: String?
    /// Bytes of the (compressed) input consumed when it happened.
    public var offset: Int64?

    public init(code: Code, message: String, member: String? = nil, offset: Int64? = nil) {
        self.code = code
        self.message = message
        self.member = member
        self.offset = offset
    }

    public var description: String {
        var s = message
        if let member { s += " (member '\(member)')" }
        if let offset { s += " at input offset \(offset)" }
        return s
    }
}
