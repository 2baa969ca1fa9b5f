/// Finds a literal substring that every match of a regular expression must contain, so a cheap
/// substring test can rule out most paths before the regex engine runs.
///
/// Written by hand because no available regex library exposes "required literals" (ICU and
/// Foundation do not). The analysis is conservative: whenever a construct is not understood it
/// stops, and a pattern with top-level alternation yields no literal (it is then always evaluated).
enum RegexLiteral {
    /// The longest required literal run of `pattern`, ASCII-lowercased, or `nil` when none of at
    /// least `minimumLength` bytes can be proven.
    static func required(in pattern: String, minimumLength: Int = 3) -> [UInt8]? {
        let p = Array(pattern.utf8)
        var runs: [[UInt8]] = []
        var current: [UInt8] = []
        func flush() {
            if !current.isEmpty { runs.append(current) }
            current = []
        }
        func best() -> [UInt8]? {
            flush()
            guard let longest = runs.max(by: { $0.count < $1.count }), longest.count >= minimumLength else { return nil }
            return longest
        }
        /// Adds one literal byte, honouring a quantifier that follows it at `next`.
        func literal(_ byte: UInt8, next: Int) {
            let q = next < p.count ? p[next] : 0
            if q == UInt8(ascii: "*") || q == UInt8(ascii: "?") {
                flush()  // optional: not required
            } else if q == UInt8(ascii: "{") {
                if next + 1 < p.count, p[next + 1] == UInt8(ascii: "0") || p[next + 1] == UInt8(ascii: ",") {
                    flush()
                } else {
                    current.append(lower(byte))
                    flush()
                }
            } else if q == UInt8(ascii: "+") {
                current.append(lower(byte))
                flush()
            } else {
                current.append(lower(byte))
            }
        }

        var i = 0
        while i < p.count {
            let c = p[i]
            switch c {
            case UInt8(ascii: "\\"):
                guard i + 1 < p.count else { return best() }
                let e = p[i + 1]
                if isAlphanumeric(e) {
                    // \d \w \s \b … are classes or assertions; \x \u \p \Q \1 … take arguments:
                    // stop analysing at the latter, the runs found so far are still required.
                    if "dDwWsSbBAzZGtnrfve".utf8.contains(e) {
                        flush()
                        i += 2
                        continue
                    }
                    return best()
                }
                literal(e, next: i + 2)
                i += 2
            case UInt8(ascii: "["):
                flush()
                guard let end = skipClass(p, from: i) else { return best() }
                i = end
            case UInt8(ascii: "("):
                flush()
                guard let end = skipGroup(p, from: i) else { return best() }
                i = end
            case UInt8(ascii: "|"), UInt8(ascii: ")"):
                return nil  // top-level alternation (or unbalanced): nothing is provably required
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                flush()
                i += 1
            case UInt8(ascii: "{"):
                flush()
                while i < p.count, p[i] != UInt8(ascii: "}") { i += 1 }
                i += 1
            case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                flush()
                i += 1
            default:
                if c >= 0x80 {
                    flush()  // non-ASCII: case folding is not byte-wise, leave it to the regex
                    i += 1
                } else {
                    literal(c, next: i + 1)
                    i += 1
                }
            }
        }
        return best()
    }

    /// Index just past the `]` closing the class that starts at `start`.
    private static func skipClass(_ p: [UInt8], from start: Int) -> Int? {
        var i = start + 1
        if i < p.count, p[i] == UInt8(ascii: "^") { i += 1 }
        if i < p.count, p[i] == UInt8(ascii: "]") { i += 1 }
        while i < p.count {
            if p[i] == UInt8(ascii: "\\") { i += 2; continue }
            if p[i] == UInt8(ascii: "[") , let inner = skipClass(p, from: i) { i = inner; continue }
            if p[i] == UInt8(ascii: "]") { return i + 1 }
            i += 1
        }
        return nil
    }

    /// Index just past the `)` closing the group that starts at `start`.
    private static func skipGroup(_ p: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var i = start
        while i < p.count {
            switch p[i] {
            case UInt8(ascii: "\\"): i += 2; continue
            case UInt8(ascii: "["):
                guard let end = skipClass(p, from: i) else { return nil }
                i = end
                continue
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return i + 1 }
            default: break
            }
            i += 1
        }
        return nil
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 {
        b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b + 32 : b
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }
}
