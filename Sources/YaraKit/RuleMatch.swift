/// A rule metadata value (`meta:` section): string, integer or boolean.
public enum RuleMetaValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case integer(Int64)
    case boolean(Bool)

    public var description: String {
        switch self {
        case .string(let s): s
        case .integer(let i): String(i)
        case .boolean(let b): b ? "true" : "false"
        }
    }

    /// The value as an integer when it is one, or a string holding one (`score = "75"`).
    public var integerValue: Int64? {
        switch self {
        case .integer(let i): i
        case .string(let s): Int64(s)
        case .boolean: nil
        }
    }
}

/// One match of a YARA string inside the scanned bytes.
public struct MatchedString: Sendable, Hashable {
    /// The string identifier, e.g. `$s1`.
    public var identifier: String
    /// Byte offset of the match from the start of the scanned buffer.
    public var offset: Int
    /// Length of the match in bytes.
    public var length: Int

    public init(identifier: String, offset: Int, length: Int) {
        self.identifier = identifier
        self.offset = offset
        self.length = length
    }
}

/// A rule that matched, with everything a report needs.
public struct RuleMatch: Sendable, Hashable {
    /// The rule identifier.
    public var rule: String
    /// The namespace the rule was compiled into (one per rule source).
    public var namespace: String
    /// The rule source (file path or built-in name) that namespace came from.
    public var source: String?
    /// The rule's tags.
    public var tags: [String]
    /// The `meta:` entries in declaration order (keys may repeat).
    public var metadata: [(key: String, value: RuleMetaValue)]
    /// Matched strings, at most ``YaraScanner/maximumStringsPerRule`` of them, in string order.
    public var strings: [MatchedString]
    /// The number of string matches libyara recorded, which may exceed `strings.count`.
    public var totalStringMatches: Int

    public init(
        rule: String, namespace: String, source: String?, tags: [String],
        metadata: [(key: String, value: RuleMetaValue)], strings: [MatchedString], totalStringMatches: Int
    ) {
        self.rule = rule
        self.namespace = namespace
        self.source = source
        self.tags = tags
        self.metadata = metadata
        self.strings = strings
        self.totalStringMatches = totalStringMatches
    }

    /// The first metadata value with this key (case-insensitive), e.g. `description`, `author`, `score`.
    public func meta(_ key: String) -> RuleMetaValue? {
        let k = key.lowercased()
        return metadata.first { $0.key.lowercased() == k }?.value
    }

    public static func == (lhs: RuleMatch, rhs: RuleMatch) -> Bool {
        lhs.rule == rhs.rule && lhs.namespace == rhs.namespace && lhs.source == rhs.source && lhs.tags == rhs.tags
            && lhs.metadata.map(\.key) == rhs.metadata.map(\.key) && lhs.metadata.map(\.value) == rhs.metadata.map(\.value)
            && lhs.strings == rhs.strings && lhs.totalStringMatches == rhs.totalStringMatches
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rule)
        hasher.combine(namespace)
        hasher.combine(strings)
    }
}
