/// Where YARA rule text comes from: a file on disk, or text held in memory (built-in rules).
public struct RuleSource: Sendable, Hashable {
    enum Origin: Sendable, Hashable {
        case file(String)
        case text(String)
    }

    let origin: Origin
    /// The name shown in messages and findings: the file path, or the built-in rule set's name.
    public let name: String

    /// Rules read from the file at `path` (includes resolve relative to it).
    public static func file(_ path: String) -> RuleSource { RuleSource(origin: .file(path), name: path) }

    /// Rules held in memory, reported under `name`.
    public static func text(_ text: String, name: String) -> RuleSource { RuleSource(origin: .text(text), name: name) }
}

/// A message from the YARA compiler, located in a rule source.
public struct RuleMessage: Sendable, Hashable, CustomStringConvertible {
    /// The rule source (file path or built-in name).
    public var source: String
    /// 1-based line number, when libyara gives one.
    public var line: Int?
    /// libyara's message, e.g. `syntax error, unexpected identifier`.
    public var message: String

    public init(source: String, line: Int?, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        line.map { "\(source):\($0): \(message)" } ?? "\(source): \(message)"
    }
}

/// The outcome of compiling several rule sources: the rules that loaded, plus what did not.
///
/// A source that fails to compile is left out with its errors recorded; the others still load.
public struct RuleCompilation: Sendable {
    /// The compiled rules, or `nil` when no source compiled (or none was given).
    public var rules: CompiledRules?
    /// Compile errors, each with source and line.
    public var errors: [RuleMessage]
    /// Compiler warnings (the sources still loaded).
    public var warnings: [RuleMessage]
    /// Sources that compiled and are part of ``rules``.
    public var loadedSources: [String]
    /// Sources left out because of errors.
    public var rejectedSources: [String]
}
