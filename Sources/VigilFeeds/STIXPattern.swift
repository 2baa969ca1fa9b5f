/// A parser for STIX 2.1 patterns (OASIS `STIXPattern.g4`), written by hand because no Swift
/// library implements the grammar. It builds a syntax tree for the whole language (observation
/// expressions joined by `AND`/`OR`/`FOLLOWEDBY`, qualifiers, comparisons with every operator, `NOT`,
/// parentheses, `IN` lists, and the string, number, boolean, timestamp, binary and hex literals);
/// ``STIXPatternIndicators`` then takes the portable subset that can become matchable indicators.
public indirect enum STIXPattern: Sendable, Equatable {
    /// `[ comparison ]`
    case observation(STIXComparison)
    /// Observation expressions joined by `AND`, `OR` or `FOLLOWEDBY`.
    case combined(op: STIXObservationOperator, [STIXPattern])
    /// An observation expression with a `WITHIN`, `START … STOP` or `REPEATS` qualifier.
    case qualified(STIXPattern, qualifier: String)
}

/// How observation expressions combine.
public enum STIXObservationOperator: String, Sendable {
    case and = "AND", or = "OR", followedBy = "FOLLOWEDBY"
}

/// The expression inside one `[...]`.
public indirect enum STIXComparison: Sendable, Equatable {
    case test(path: STIXObjectPath, op: String, negated: Bool, value: STIXLiteral)
    case and([STIXComparison])
    case or([STIXComparison])
}

/// `object-type:property.step.'quoted step'[*]`
public struct STIXObjectPath: Sendable, Equatable, CustomStringConvertible {
    public var objectType: String
    /// Property steps; list indices appear as `[n]` or `[*]`.
    public var steps: [String]

    public var description: String { objectType + ":" + steps.joined(separator: ".") }
}

/// A literal on the right of a comparison.
public enum STIXLiteral: Sendable, Equatable {
    case string(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
    case timestamp(String)
    case binary(String)
    case hex(String)
    /// `IN ( … )`
    case set([STIXLiteral])
}

/// A pattern syntax error with the character offset where it was found.
public struct STIXPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "pattern error at character \(offset): \(message)" }
}

extension STIXPattern {
    /// Parses a pattern; throws ``STIXPatternError`` on a syntax error.
    public static func parse(_ text: String) throws(STIXPatternError) -> STIXPattern {
        var parser = STIXPatternParser(tokens: try STIXPatternLexer.tokenize(text))
        let pattern = try parser.parsePattern()
        try parser.expectEnd()
        return pattern
    }
}

// MARK: - Lexer

enum STIXToken: Equatable {
    case lbracket, rbracket, lparen, rparen, colon, comma, dot
    case word(String)  // identifiers and keywords (AND, OR, IN, …)
    case string(String)
    case timestamp(String)
    case binary(String)
    case hex(String)
    case number(String)
    case op(String)  // = != < <= > >=
}

enum STIXPatternLexer {
    /// Longest pattern Vigil parses (hostile input).
    static let maxLength = 1 << 20

    static func tokenize(_ text: String) throws(STIXPatternError) -> [(token: STIXToken, offset: Int)] {
        let s = Array(text.unicodeScalars)
        guard s.count <= maxLength else { throw STIXPatternError(offset: 0, message: "pattern longer than \(maxLength) characters") }
        var tokens: [(STIXToken, Int)] = []
        var i = 0
        func isWordStart(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c == "_" }
        func isWord(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c == "_" || c == "-" || ("0"..."9").contains(c) }
        while i < s.count {
            let c = s[i]
            let start = i
            switch c {
            case " ", "\t", "\n", "\r": i += 1; continue
            case "[": tokens.append((.lbracket, start)); i += 1
            case "]": tokens.append((.rbracket, start)); i += 1
            case "(": tokens.append((.lparen, start)); i += 1
            case ")": tokens.append((.rparen, start)); i += 1
            case ":": tokens.append((.colon, start)); i += 1
            case ",": tokens.append((.comma, start)); i += 1
            case ".": tokens.append((.dot, start)); i += 1
            case "*": tokens.append((.word("*"), start)); i += 1
            case "=": tokens.append((.op("="), start)); i += 1
            case "!":
                guard i + 1 < s.count, s[i + 1] == "=" else { throw STIXPatternError(offset: i, message: "'!' without '='") }
                tokens.append((.op("!="), start)); i += 2
            case "<", ">":
                if i + 1 < s.count, s[i + 1] == "=" {
                    tokens.append((.op(String(c) + "="), start)); i += 2
                } else if c == "<", i + 1 < s.count, s[i + 1] == ">" {
                    tokens.append((.op("!="), start)); i += 2
                } else {
                    tokens.append((.op(String(c)), start)); i += 1
                }
            case "'":
                let (value, next) = try quoted(s, from: i)
                tokens.append((.string(value), start)); i = next
            case "t" where i + 1 < s.count && s[i + 1] == "'":
                let (value, next) = try quoted(s, from: i + 1)
                tokens.append((.timestamp(value), start)); i = next
            case "b" where i + 1 < s.count && s[i + 1] == "'":
                let (value, next) = try quoted(s, from: i + 1)
                tokens.append((.binary(value), start)); i = next
            case "h" where i + 1 < s.count && s[i + 1] == "'":
                let (value, next) = try quoted(s, from: i + 1)
                tokens.append((.hex(value), start)); i = next
            case "-", "+", "0"..."9":
                var j = i + 1
                while j < s.count, ("0"..."9").contains(s[j]) || s[j] == "." { j += 1 }
                let text = String(String.UnicodeScalarView(s[i..<j]))
                guard text.contains(where: \.isNumber) else { throw STIXPatternError(offset: i, message: "bad number") }
                tokens.append((.number(text), start)); i = j
            default:
                guard isWordStart(c) else {
                    throw STIXPatternError(offset: i, message: "unexpected character '\(c)'")
                }
                var j = i + 1
                while j < s.count, isWord(s[j]) { j += 1 }
                tokens.append((.word(String(String.UnicodeScalarView(s[i..<j]))), start)); i = j
            }
        }
        return tokens
    }

    /// A single-quoted string starting at `s[from]`; only `\'` and `\\` are escapes.
    static func quoted(_ s: [Unicode.Scalar], from: Int) throws(STIXPatternError) -> (String, Int) {
        var out = String.UnicodeScalarView()
        var i = from + 1
        while i < s.count {
            let c = s[i]
            if c == "\\" {
                guard i + 1 < s.count, s[i + 1] == "'" || s[i + 1] == "\\" else {
                    throw STIXPatternError(offset: i, message: "invalid escape in string (only \\' and \\\\ are allowed)")
                }
                out.append(s[i + 1]); i += 2; continue
            }
            if c == "'" {
                if i + 1 < s.count, s[i + 1] == "'" {
                    throw STIXPatternError(offset: i, message: "doubled quote in string (escape a quote as \\')")
                }
                return (String(out), i + 1)
            }
            out.append(c); i += 1
        }
        throw STIXPatternError(offset: from, message: "unterminated string")
    }
}

// MARK: - Parser

struct STIXPatternParser {
    var tokens: [(token: STIXToken, offset: Int)]
    var position = 0
    var depth = 0
    static let maxDepth = 64

    init(tokens: [(token: STIXToken, offset: Int)]) { self.tokens = tokens }

    var current: STIXToken? { position < tokens.count ? tokens[position].token : nil }
    var offset: Int { position < tokens.count ? tokens[position].offset : (tokens.last.map { $0.offset + 1 } ?? 0) }

    func error(_ message: String) -> STIXPatternError { STIXPatternError(offset: offset, message: message) }

    func isKeyword(_ k: String) -> Bool {
        if case .word(let w) = current, w.uppercased() == k { return true }
        return false
    }

    mutating func advance() { position += 1 }

    mutating func expect(_ token: STIXToken, _ what: String) throws(STIXPatternError) {
        guard current == token else { throw error("expected \(what)") }
        advance()
    }

    func expectEnd() throws(STIXPatternError) {
        guard current == nil else { throw error("unexpected text after the pattern") }
    }

    // pattern := obsOr ; precedence FOLLOWEDBY < OR < AND, as in the grammar
    mutating func parsePattern() throws(STIXPatternError) -> STIXPattern {
        try parseObservations(level: 0)
    }

    static let observationLevels: [STIXObservationOperator] = [.followedBy, .or, .and]

    mutating func parseObservations(level: Int) throws(STIXPatternError) -> STIXPattern {
        if level == Self.observationLevels.count { return try parseQualifiedObservation() }
        let op = Self.observationLevels[level]
        var parts = [try parseObservations(level: level + 1)]
        while isKeyword(op.rawValue) {
            advance()
            parts.append(try parseObservations(level: level + 1))
        }
        return parts.count == 1 ? parts[0] : .combined(op: op, parts)
    }

    mutating func parseQualifiedObservation() throws(STIXPatternError) -> STIXPattern {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw error("pattern nested too deeply") }
        var result: STIXPattern
        switch current {
        case .lbracket:
            advance()
            result = .observation(try parseComparisonOr())
            try expect(.rbracket, "']'")
        case .lparen:
            advance()
            result = try parsePattern()
            try expect(.rparen, "')'")
        default:
            throw error("expected '[' or '('")
        }
        while true {
            if isKeyword("WITHIN") {
                advance()
                guard case .number(let n) = current else { throw error("expected a number after WITHIN") }
                advance()
                guard isKeyword("SECONDS") else { throw error("expected SECONDS") }
                advance()
                result = .qualified(result, qualifier: "WITHIN \(n) SECONDS")
            } else if isKeyword("REPEATS") {
                advance()
                guard case .number(let n) = current else { throw error("expected a number after REPEATS") }
                advance()
                guard isKeyword("TIMES") else { throw error("expected TIMES") }
                advance()
                result = .qualified(result, qualifier: "REPEATS \(n) TIMES")
            } else if isKeyword("START") {
                advance()
                guard case .timestamp(let a) = current else { throw error("expected a timestamp after START") }
                advance()
                guard isKeyword("STOP") else { throw error("expected STOP") }
                advance()
                guard case .timestamp(let b) = current else { throw error("expected a timestamp after STOP") }
                advance()
                result = .qualified(result, qualifier: "START t'\(a)' STOP t'\(b)'")
            } else {
                return result
            }
        }
    }

    mutating func parseComparisonOr() throws(STIXPatternError) -> STIXComparison {
        var parts = [try parseComparisonAnd()]
        while isKeyword("OR") {
            advance()
            parts.append(try parseComparisonAnd())
        }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    mutating func parseComparisonAnd() throws(STIXPatternError) -> STIXComparison {
        var parts = [try parseComparisonTerm()]
        while isKeyword("AND") {
            advance()
            parts.append(try parseComparisonTerm())
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    mutating func parseComparisonTerm() throws(STIXPatternError) -> STIXComparison {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw error("pattern nested too deeply") }
        if current == .lparen {
            advance()
            let inner = try parseComparisonOr()
            try expect(.rparen, "')'")
            return inner
        }
        if isKeyword("EXISTS") {
            advance()
            return .test(path: try parsePath(), op: "EXISTS", negated: false, value: .bool(true))
        }
        let path = try parsePath()
        var negated = false
        if isKeyword("NOT") {
            negated = true
            advance()
        }
        let op: String
        switch current {
        case .op(let o): op = o; advance()
        case .word(let w) where ["IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"].contains(w.uppercased()):
            op = w.uppercased(); advance()
        case .word(let w) where w.uppercased() == "EXISTS":
            throw error("EXISTS must precede the object path")
        default:
            throw error("expected a comparison operator after \(path)")
        }
        let value: STIXLiteral
        if op == "IN" {
            try expect(.lparen, "'(' after IN")
            var items: [STIXLiteral] = [try parseLiteral()]
            while current == .comma {
                advance()
                items.append(try parseLiteral())
            }
            try expect(.rparen, "')'")
            value = .set(items)
        } else {
            value = try parseLiteral()
        }
        return .test(path: path, op: op, negated: negated, value: value)
    }

    mutating func parsePath() throws(STIXPatternError) -> STIXObjectPath {
        guard case .word(let type) = current else { throw error("expected an object type") }
        advance()
        try expect(.colon, "':' after the object type")
        var steps: [String] = []
        func step(_ p: inout STIXPatternParser) throws(STIXPatternError) {
            switch p.current {
            case .word(let w): steps.append(w); p.advance()
            case .string(let s): steps.append(s); p.advance()
            default: throw p.error("expected a property name")
            }
        }
        try step(&self)
        while true {
            if current == .dot {
                advance()
                try step(&self)
            } else if current == .lbracket {
                // list index: [n] or [*]
                advance()
                switch current {
                case .number(let n): steps.append("[\(n)]"); advance()
                case .word("*"): steps.append("[*]"); advance()
                default: throw error("expected a list index")
                }
                try expect(.rbracket, "']' after a list index")
            } else {
                break
            }
        }
        return STIXObjectPath(objectType: type, steps: steps)
    }

    mutating func parseLiteral() throws(STIXPatternError) -> STIXLiteral {
        defer { advance() }
        switch current {
        case .string(let s): return .string(s)
        case .timestamp(let s): return .timestamp(s)
        case .binary(let s): return .binary(s)
        case .hex(let s): return .hex(s)
        case .number(let n):
            if let i = Int(n) { return .int(i) }
            if let d = Double(n) { return .float(d) }
            throw error("bad number '\(n)'")
        case .word(let w) where w.lowercased() == "true": return .bool(true)
        case .word(let w) where w.lowercased() == "false": return .bool(false)
        default: throw error("expected a literal value")
        }
    }
}
