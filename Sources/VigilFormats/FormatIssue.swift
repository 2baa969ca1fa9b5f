/// A problem found while parsing a file that did not stop the parse: the result is partial and
/// this says what is missing or suspicious, and where.
///
/// Format parsers never throw on malformed input; they return what they could read plus a list of
/// `FormatIssue`s, so nothing is dropped silently.
public struct FormatIssue: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset in the file the problem concerns, when one is known.
    public var offset: Int?
    /// The structure being read, e.g. `"imports"`, `"certificate table"`.
    public var area: String
    /// A clear, human-readable reason.
    public var message: String

    /// Creates an issue.
    /// - Parameters:
    ///   - area: The structure being read.
    ///   - offset: Byte offset in the file, if known.
    ///   - message: What went wrong.
    public init(area: String, offset: Int? = nil, message: String) {
        self.area = area
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset { return "\(area) @0x\(String(offset, radix: 16)): \(message)" }
        return "\(area): \(message)"
    }
}

/// A byte range of a file measured for hidden data: its size, entropy and whether it is all zero.
public struct MeasuredRegion: Codable, Sendable, Hashable {
    /// Offset of the first byte in the file.
    public var offset: Int
    /// Number of bytes.
    public var size: Int
    /// Shannon entropy in bits per byte (0...8).
    public var entropy: Double
    /// Whether every byte is zero (true for an empty region).
    public var allZero: Bool

    /// Creates a region description.
    public init(offset: Int, size: Int, entropy: Double, allZero: Bool) {
        self.offset = offset
        self.size = size
        self.entropy = entropy
        self.allZero = allZero
    }
}
