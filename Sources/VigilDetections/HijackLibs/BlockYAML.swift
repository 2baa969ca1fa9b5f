/// A YAML value of the block-style subset the HijackLibs data files use.
enum YAMLValue: Equatable {
    case scalar(String)
    case sequence([YAMLValue])
    case mapping([(String, YAMLValue)])
    case null

    static func == (lhs: YAMLValue, rhs: YAMLValue) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a), .scalar(let b)): a == b
        case (.sequence(let a), .sequence(let b)): a == b
        case (.mapping(let a), .mapping(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.null, .null): true
        default: false
        }
    }

    /// The value of `key` in a mapping (first occurrence).
    subscript(key: String) -> YAMLValue? {
        guard case .mapping(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    /// The scalar text, if this is a scalar.
    var string: String? {
        if case .scalar(let s) = self { return s }
        return nil
    }

    /// The items of a sequence (a single scalar counts as a one-item list; null as empty).
    var items: [YAMLValue] {
        switch self {
        case .sequence(let items): items
        case .null: []
        default: [self]
        }
    }
}

/// Why a YAML document could not be read, with the 1-based line.
struct YAMLError: Error, Equatable, CustomStringConvertible {
    var line: Int
    var message: String
    var description: String { "line \(line): \(message)" }
}

/// A reader for the block-style YAML subset that HijackLibs' `yml/**/*.yml` files use: block mappings
/// and sequences (including sequences at their parent key's indent), plain, single- and double-quoted
/// scalars, `|`/`>` block scalars, one-line flow sequences of scalars, comments and a leading `---`.
///
/// Written by hand because Vigil has no YAML dependency and the data set needs only this subset;
/// anything outside it (anchors, aliases, tags, flow mappings, multi-document files) is rejected with
/// the line number instead of being misread, so a file is either read exactly or reported.
struct BlockYAML {
    private struct Line {
        var number: Int
        var indent: Int
        var text: String
    }

    private var lines: [Line] = []
    private var position = 0
    /// Caps nesting so a hostile file cannot recurse deeply.
    private static let maxDepth = 32

    /// Parses one YAML document.
    static func parse(_ text: String) throws(YAMLError) -> YAMLValue {
        var reader = BlockYAML()
        try reader.tokenize(text)
        guard !reader.lines.isEmpty else { return .null }
        let value = try reader.parseNode(minIndent: 0, depth: 0)
        if reader.position < reader.lines.count {
            let line = reader.lines[reader.position]
            throw YAMLError(line: line.number, message: "unexpected content at indent \(line.indent)")
        }
        return value
    }

    private mutating func tokenize(_ text: String) throws(YAMLError) {
        var number = 0
        var seenDocument = false
        var rawLines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Block scalars need raw lines, so they are resolved here: `key: |` collects the following
        // more-indented lines into one logical line holding a double-quoted scalar.
        var index = 0
        while index < rawLines.count {
            number = index + 1
            var raw = rawLines[index]
            if raw.hasSuffix("\r") { raw.removeLast() }
            index += 1
            if raw.contains("\t"), raw.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
                throw YAMLError(line: number, message: "tab used for indentation")
            }
            let indent = raw.prefix(while: { $0 == " " }).count
            var content = Self.stripComment(String(raw.dropFirst(indent)))
            while content.last == " " { content.removeLast() }
            if content.isEmpty { continue }
            if indent == 0 && content == "---" {
                if seenDocument || !lines.isEmpty { throw YAMLError(line: number, message: "multi-document files are not supported") }
                seenDocument = true
                continue
            }
            if indent == 0 && content == "..." { break }
            if let first = content.first, "&*!%@`{".contains(first) {
                throw YAMLError(line: number, message: "unsupported YAML construct '\(first)'")
            }
            if content.hasSuffix("|") || content.hasSuffix(">") || content.hasSuffix("|-") || content.hasSuffix(">-") {
                let folded = content.hasSuffix(">") || content.hasSuffix(">-")
                let marker = content.hasSuffix("-") ? 2 : 1
                let head = String(content.dropLast(marker))
                if head.hasSuffix(": ") || head == "- " || head.hasSuffix(":") {
                    var block: [String] = []
                    var blockIndent: Int?
                    while index < rawLines.count {
                        let next = rawLines[index]
                        let nextIndent = next.prefix(while: { $0 == " " }).count
                        let blank = next.allSatisfy { $0 == " " || $0 == "\r" }
                        if !blank && nextIndent <= indent { break }
                        if !blank && blockIndent == nil { blockIndent = nextIndent }
                        block.append(blank ? "" : String(next.dropFirst(min(nextIndent, blockIndent ?? nextIndent))))
                        index += 1
                    }
                    while block.last == "" { block.removeLast() }
                    let joined = block.joined(separator: folded ? " " : "\n")
                    let escaped = joined.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
                        .replacingAll("\n", with: "\\n")
                    let prefix = head.hasSuffix(":") ? head + " " : head
                    lines.append(Line(number: number, indent: indent, text: prefix + "\"" + escaped + "\""))
                    continue
                }
            }
            lines.append(Line(number: number, indent: indent, text: content))
        }
        rawLines.removeAll()
    }

    /// Removes a `#` comment that is not inside quotes (a `#` starts a comment at line start or after a space).
    private static func stripComment(_ s: String) -> String {
        var inSingle = false, inDouble = false
        var previous: Character = " "
        var result = ""
        for ch in s {
            if ch == "'" && !inDouble { inSingle.toggle() }
            else if ch == "\"" && !inSingle && previous != "\\" { inDouble.toggle() }
            else if ch == "#" && !inSingle && !inDouble && previous == " " { break }
            result.append(ch)
            previous = ch
        }
        return result
    }

    private static func isSequenceItem(_ text: String) -> Bool { text == "-" || text.hasPrefix("- ") }

    private mutating func parseNode(minIndent: Int, depth: Int) throws(YAMLError) -> YAMLValue {
        guard position < lines.count else { return .null }
        let line = lines[position]
        guard depth < Self.maxDepth else { throw YAMLError(line: line.number, message: "nesting deeper than \(Self.maxDepth)") }
        guard line.indent >= minIndent else { return .null }
        if Self.isSequenceItem(line.text) { return try parseSequence(indent: line.indent, depth: depth) }
        if Self.keySplit(line.text) != nil { return try parseMapping(indent: line.indent, depth: depth) }
        position += 1
        var text = line.text
        // A plain scalar may continue on more-indented lines.
        while position < lines.count, lines[position].indent > line.indent, !Self.isSequenceItem(lines[position].text),
            Self.keySplit(lines[position].text) == nil
        {
            text += " " + lines[position].text
            position += 1
        }
        return try Self.scalar(text, line: line.number)
    }

    private mutating func parseSequence(indent: Int, depth: Int) throws(YAMLError) -> YAMLValue {
        var items: [YAMLValue] = []
        while position < lines.count, lines[position].indent == indent, Self.isSequenceItem(lines[position].text) {
            let line = lines[position]
            let rest = line.text.dropFirst(1).drop { $0 == " " }
            if rest.isEmpty {
                position += 1
                if position < lines.count, lines[position].indent > indent {
                    items.append(try parseNode(minIndent: indent + 1, depth: depth + 1))
                } else {
                    items.append(.null)
                }
            } else {
                // Re-read the rest of the line as a node starting at its own column.
                let column = indent + (line.text.count - rest.count)
                lines[position] = Line(number: line.number, indent: column, text: String(rest))
                items.append(try parseNode(minIndent: column, depth: depth + 1))
            }
        }
        if position < lines.count, lines[position].indent > indent {
            throw YAMLError(line: lines[position].number, message: "bad indentation inside a sequence")
        }
        return .sequence(items)
    }

    private mutating func parseMapping(indent: Int, depth: Int) throws(YAMLError) -> YAMLValue {
        var pairs: [(String, YAMLValue)] = []
        while position < lines.count, lines[position].indent == indent, !Self.isSequenceItem(lines[position].text) {
            let line = lines[position]
            guard let (rawKey, rawValue) = Self.keySplit(line.text) else {
                throw YAMLError(line: line.number, message: "expected 'key: value'")
            }
            let key: String
            if case .scalar(let k) = try Self.scalar(rawKey, line: line.number) { key = k } else { key = rawKey }
            position += 1
            if rawValue.isEmpty {
                if position < lines.count,
                    lines[position].indent > indent || (lines[position].indent == indent && Self.isSequenceItem(lines[position].text))
                {
                    pairs.append((key, try parseNode(minIndent: indent, depth: depth + 1)))
                } else {
                    pairs.append((key, .null))
                }
            } else {
                pairs.append((key, try Self.scalar(rawValue, line: line.number)))
            }
        }
        if position < lines.count, lines[position].indent > indent {
            throw YAMLError(line: lines[position].number, message: "bad indentation inside a mapping")
        }
        return .mapping(pairs)
    }

    /// Splits `key: value` at the first `:` followed by a space or the end, outside quotes.
    private static func keySplit(_ text: String) -> (String, String)? {
        let chars = Array(text)
        var inSingle = false, inDouble = false
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            if ch == "'" && !inDouble { inSingle.toggle() }
            else if ch == "\"" && !inSingle && (i == 0 || chars[i - 1] != "\\") { inDouble.toggle() }
            else if ch == ":" && !inSingle && !inDouble && (i + 1 == chars.count || chars[i + 1] == " ") {
                let key = String(chars[0..<i])
                let value = String(chars[(i + 1)...]).drop { $0 == " " }
                return key.isEmpty ? nil : (key, String(value))
            }
            i += 1
        }
        return nil
    }

    /// Decodes a scalar (plain, quoted) or a one-line flow sequence of scalars.
    private static func scalar(_ text: String, line: Int) throws(YAMLError) -> YAMLValue {
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw YAMLError(line: line, message: "unterminated flow sequence") }
            let inner = text.dropFirst().dropLast()
            if inner.allSatisfy({ $0 == " " }) { return .sequence([]) }
            var items: [YAMLValue] = []
            for part in splitFlow(String(inner)) {
                items.append(try scalar(part.trimmingSpaces(), line: line))
            }
            return .sequence(items)
        }
        if text.hasPrefix("'") {
            guard text.count >= 2, text.hasSuffix("'") else { throw YAMLError(line: line, message: "unterminated single-quoted scalar") }
            return .scalar(String(text.dropFirst().dropLast()).replacingAll("''", with: "'"))
        }
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\"") else { throw YAMLError(line: line, message: "unterminated double-quoted scalar") }
            return .scalar(try unescapeDouble(String(text.dropFirst().dropLast()), line: line))
        }
        if text == "~" || text == "null" { return .null }
        if let first = text.first, "&*!{@`|>".contains(first) {
            throw YAMLError(line: line, message: "unsupported YAML construct '\(first)'")
        }
        return .scalar(text)
    }

    private static func splitFlow(_ s: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var inSingle = false, inDouble = false
        for ch in s {
            if ch == "'" && !inDouble { inSingle.toggle() }
            if ch == "\"" && !inSingle { inDouble.toggle() }
            if ch == "," && !inSingle && !inDouble {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    private static func unescapeDouble(_ s: String, line: Int) throws(YAMLError) -> String {
        var out = ""
        var iterator = s.makeIterator()
        while let ch = iterator.next() {
            guard ch == "\\" else { out.append(ch); continue }
            guard let next = iterator.next() else { throw YAMLError(line: line, message: "dangling escape") }
            switch next {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "0": out.append("\0")
            case "\\", "\"", "/", " ": out.append(next)
            case "x":
                guard let a = iterator.next(), let b = iterator.next(), let v = UInt8(String([a, b]), radix: 16) else {
                    throw YAMLError(line: line, message: "bad \\x escape")
                }
                out.append(Character(Unicode.Scalar(v)))
            default: throw YAMLError(line: line, message: "unsupported escape \\\(next)")
            }
        }
        return out
    }
}

extension String {
    /// Replaces every occurrence of `target` (Foundation-free).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[rest.startIndex..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }

    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
