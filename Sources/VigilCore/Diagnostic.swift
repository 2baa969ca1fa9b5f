/// A problem with an input that did not stop the run: an unreadable file, a rejected feed row,
/// a log line that did not parse, a rule that did not compile.
///
/// Nothing is dropped silently: every such event becomes a `Diagnostic`, counted and shown with
/// the file and the line or byte offset.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of problem, for counting: `unreadable`, `skipped-size`, `vanished`, `special-file`,
    /// `rejected-row`, `unparsed-line`, `rule-error`, `malformed`…
    public var kind: String
    /// The file the problem is in.
    public var path: String
    /// 1-based line number for text inputs.
    public var line: Int?
    /// Byte offset for binary inputs.
    public var offset: Int?
    /// A clear, human-readable reason.
    public var message: String

    public init(kind: String, path: String, line: Int? = nil, offset: Int? = nil, message: String) {
        self.kind = kind
        self.path = path
        self.line = line
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var location = path
        if let line { location += ":\(line)" }
        if let offset { location += "@\(offset)" }
        return "\(location): \(kind): \(message)"
    }
}
