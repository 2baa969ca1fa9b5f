/// Finds literal substrings that every match of a regular expression must contain, so a cheap
/// substring test can rule out most paths before the regex engine runs.
///
/// Written by hand because no available regex library exposes "required literals" (ICU and
/// Foundation do not). The result is a set of alternatives of which at least one occurs in every
/// match: a single literal for `\\evil\.exe`, one per branch for `\.(exe|dll|scr)`. The analysis is
/// conservative: whenever a construct is not understood it stops, keeping only what it has proven.
enum RegexLiteral {
    /// Literals (ASCII-lowercased), one of which every match contains, each at least
    /// `minimumLength` bytes long; `nil` when nothing can be proven.
    static func alternatives(in pattern: String, minimumLength: Int = 3) -> [[UInt8]]? {
        let factors = Analyzer(Array(pattern.utf8), minimumLength: minimumLength).alternation(0, Array(pattern.utf8).count)
        return factors
    }

    /// The longest single required literal, when the pattern has one (used by tests and reports).
    static func required(in pattern: String, minimumLength: Int = 3) -> [UInt8]? {
        guard let a = alternatives(in: pattern, minimumLength: minimumLength), a.count == 1 else { return nil }
        return a[0]
    }

    private struct Analyzer {
        let p: [UInt8]
        let minimumLength: Int

        init(_ p: [UInt8], minimumLength: Int) {
            self.p = p
            self.minimumLength = minimumLength
        }

        /// `p[start..<end]` split at top-level `|`: every branch must yield alternatives.
        func alternation(_ start: Int, _ end: Int) -> [[UInt8]]? {
            var branches: [(Int, Int)] = []
            var depth = 0
            var i = start
            var branchStart = start
            while i < end {
                switch p[i] {
                case UInt8(ascii: "\\"): i += 2; continue
                case UInt8(ascii: "["):
                    guard let close = skipClass(from: i), close <= end else { return nil }
                    i = close
                    continue
                case UInt8(ascii: "("): depth += 1
                case UInt8(ascii: ")"): depth -= 1
                case UInt8(ascii: "|") where depth == 0:
                    branches.append((branchStart, i))
                    branchStart = i + 1
                default: break
                }
                i += 1
            }
            branches.append((branchStart, end))
            var all: [[UInt8]] = []
            for (s, e) in branches {
                guard let b = sequence(s, e) else { return nil }
                all += b
            }
            return all.isEmpty ? nil : all
        }

        /// The best factor of a branch without top-level `|`: its longest literal run, or a group
        /// whose every branch has a literal, whichever has the longer shortest alternative.
        func sequence(_ start: Int, _ end: Int) -> [[UInt8]]? {
            var factors: [[[UInt8]]] = []
            var current: [UInt8] = []
            func flush() {
                if current.count >= minimumLength { factors.append([current]) }
                current = []
            }
            func quantifierMakesOptional(at q: Int) -> Bool {
                guard q < end else { return false }
                switch p[q] {
                case UInt8(ascii: "*"), UInt8(ascii: "?"): return true
                case UInt8(ascii: "{"): return q + 1 < end && (p[q + 1] == UInt8(ascii: "0") || p[q + 1] == UInt8(ascii: ","))
                default: return false
                }
            }
            func literal(_ byte: UInt8, next: Int) {
                if quantifierMakesOptional(at: next) {
                    flush()
                } else if next < end, p[next] == UInt8(ascii: "{") || p[next] == UInt8(ascii: "+") {
                    current.append(lower(byte))
                    flush()
                } else {
                    current.append(lower(byte))
                }
            }

            var i = start
            scan: while i < end {
                let c = p[i]
                switch c {
                case UInt8(ascii: "\\"):
                    guard i + 1 < end else { break scan }
                    let e = p[i + 1]
                    if isAlphanumeric(e) {
                        // \d \w \s \b … are classes or assertions; \x \u \p \Q \1 … take arguments:
                        // stop at those, keeping what was proven before them.
                        guard "dDwWsSbBAzZGtnrfve".utf8.contains(e) else { break scan }
                        flush()
                        i += 2
                        continue
                    }
                    literal(e, next: i + 2)
                    i += 2
                case UInt8(ascii: "["):
                    flush()
                    guard let close = skipClass(from: i) else { break scan }
                    i = close
                case UInt8(ascii: "("):
                    flush()
                    guard let close = skipGroup(from: i), close <= end else { break scan }
                    if !quantifierMakesOptional(at: close), let inner = group(i, close) { factors.append(inner) }
                    i = close
                case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                    flush()
                    i += 1
                case UInt8(ascii: "{"):
                    flush()
                    while i < end, p[i] != UInt8(ascii: "}") { i += 1 }
                    i += 1
                case UInt8(ascii: ")"), UInt8(ascii: "|"):
                    break scan  // unbalanced: stop
                default:
                    if c >= 0x80 {
                        flush()  // non-ASCII: case folding is not byte-wise, leave it to the regex
                    } else {
                        literal(c, next: i + 1)
                    }
                    i += 1
                }
            }
            flush()
            return factors.max { score($0) < score($1) }
        }

        /// Alternatives of the group spanning `p[open..<close]` (`close` is just past its `)`).
        private func group(_ open: Int, _ close: Int) -> [[UInt8]]? {
            var start = open + 1
            let end = close - 1
            if start < end, p[start] == UInt8(ascii: "?") {
                // (?: … ) and inline flags (?i) / (?i: … ) are fine; lookarounds and named groups are not.
                var j = start + 1
                while j < end, isAlphanumeric(p[j]) || p[j] == UInt8(ascii: "-") { j += 1 }
                guard j < end || j == end else { return nil }
                if j == end { return nil }  // (?i): flags only, nothing required
                guard p[j] == UInt8(ascii: ":") else { return nil }
                start = j + 1
            }
            return alternation(start, end)
        }

        /// Longer shortest alternatives are more selective; fewer alternatives break ties.
        private func score(_ factor: [[UInt8]]) -> Int {
            (factor.map(\.count).min() ?? 0) * 1000 - factor.count
        }

        /// Index just past the `]` closing the class that starts at `start`.
        func skipClass(from start: Int) -> Int? {
            var i = start + 1
            if i < p.count, p[i] == UInt8(ascii: "^") { i += 1 }
            if i < p.count, p[i] == UInt8(ascii: "]") { i += 1 }
            while i < p.count {
                if p[i] == UInt8(ascii: "\\") { i += 2; continue }
                if p[i] == UInt8(ascii: "["), let inner = skipClass(from: i) { i = inner; continue }
                if p[i] == UInt8(ascii: "]") { return i + 1 }
                i += 1
            }
            return nil
        }

        /// Index just past the `)` closing the group that starts at `start`.
        func skipGroup(from start: Int) -> Int? {
            var depth = 0
            var i = start
            while i < p.count {
                switch p[i] {
                case UInt8(ascii: "\\"): i += 2; continue
                case UInt8(ascii: "["):
                    guard let close = skipClass(from: i) else { return nil }
                    i = close
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
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 {
        b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b + 32 : b
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }
}
