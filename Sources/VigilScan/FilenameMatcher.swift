import Foundation
import VigilIndicators

/// Matches file paths against filename/path regex indicators (Loki `filename-iocs.txt` style),
/// case-insensitively; a match that the indicator's false-positive regex (Loki's third column,
/// case-sensitive as in Loki) also matches is set aside.
///
/// Thousands of regexes per file would make a sweep crawl, so each regex is indexed by a trigram
/// of each literal it must contain (one of several for `\.(exe|dll)`; see ``RegexLiteral``): a
/// path only reaches the regex engine for the few patterns whose literal it contains. Patterns
/// without such a literal are always evaluated. Compiled once; immutable and safe to share between
/// threads.
public struct FilenameMatcher: Sendable {
    struct Pattern: Sendable {
        var indicator: Indicator
        var regex: NSRegularExpression
        /// ``Indicator/falsePositivePattern``, compiled: a path it matches is not a hit.
        var falsePositive: NSRegularExpression?
        /// Lowercase ASCII literals one of which every match contains, if they were found.
        var literals: [[UInt8]]?
    }

    private var patterns: [Pattern] = []
    private var byTrigram: [UInt32: [Int]] = [:]
    private var unfiltered: [Int] = []

    /// Indicators whose regex did not compile, with the compiler's reason.
    public private(set) var rejected: [(indicator: Indicator, reason: String)] = []

    /// Number of compiled patterns, and how many of them have no literal pre-filter.
    public var patternCount: Int { patterns.count }
    public var unfilteredCount: Int { unfiltered.count }

    /// Compiles the `.filename` indicators of `indicators`.
    ///
    /// Loki's rule files use Windows separators (`\\`); like Loki on Linux and macOS, `\\` becomes
    /// `/` and `C:` is removed, so `\\3CXDesktopApp-18\.12\.416\.msi` matches `/tmp/3CXDesktopApp-18.12.416.msi`.
    public init(indicators: [Indicator]) {
        var compiled: [Pattern] = []
        for indicator in indicators where indicator.kind == .filename {
            let source = Self.adaptToPlatform(indicator.value)
            do {
                let regex = try NSRegularExpression(pattern: source, options: [.caseInsensitive])
                var falsePositive: NSRegularExpression?
                if let fp = indicator.falsePositivePattern.map(Self.adaptToPlatform) {
                    do {
                        // Case-sensitive, as Loki compiles it: signature-base's `\\whatsapp\.exe` hit is a
                        // false positive in a `\\WhatsApp` folder, which differs only by case.
                        falsePositive = try NSRegularExpression(pattern: fp, options: [])
                    } catch {
                        rejected.append((indicator, "false-positive regex does not compile, so its hits are not filtered: \(fp)"))
                    }
                }
                compiled.append(
                    Pattern(indicator: indicator, regex: regex, falsePositive: falsePositive, literals: RegexLiteral.alternatives(in: source)))
            } catch {
                rejected.append((indicator, "regex does not compile: \(source)"))
            }
        }
        // Index each literal by its least common trigram across all literals, to keep buckets small.
        var frequency: [UInt32: Int] = [:]
        for p in compiled {
            for l in p.literals ?? [] { for t in Set(Self.trigrams(l)) { frequency[t, default: 0] += 1 } }
        }
        for (index, p) in compiled.enumerated() {
            guard let literals = p.literals else {
                unfiltered.append(index)
                continue
            }
            var keys = Set<UInt32>()
            for l in literals {
                if let t = Self.trigrams(l).min(by: { frequency[$0, default: 0] < frequency[$1, default: 0] }) { keys.insert(t) }
            }
            for t in keys { byTrigram[t, default: []].append(index) }
        }
        patterns = compiled
    }

    /// The indicators whose regex matches `path` (searched anywhere in the path, case-insensitively)
    /// and whose false-positive regex does not.
    public func matches(path: String) -> [Indicator] { match(path: path).hits }

    /// What the filename indicators say about one path.
    public struct Match: Sendable {
        /// Indicators whose regex matches the path.
        public var hits: [Indicator] = []
        /// Indicators whose regex matches but whose false-positive regex matches too (Loki's rule:
        /// not reported as findings, counted in the statistics).
        public var suppressed: [Indicator] = []
    }

    /// The indicators whose regex matches `path`, split by their false-positive regex.
    public func match(path: String) -> Match {
        guard !patterns.isEmpty else { return Match() }
        let lowered = path.utf8.map(RegexLiteral.lower)
        let ascii = lowered.allSatisfy { $0 < 0x80 }
        var candidates: [Int] = unfiltered
        if ascii {
            if lowered.count >= 3 {
                for i in 0...(lowered.count - 3) {
                    if let bucket = byTrigram[Self.trigram(lowered[i], lowered[i + 1], lowered[i + 2])] {
                        candidates += bucket
                    }
                }
            }
        } else {
            // Non-ASCII paths: Unicode case folding is not byte-wise, so evaluate every pattern.
            candidates = Array(patterns.indices)
        }
        guard !candidates.isEmpty else { return Match() }
        var seen = Set<Int>()
        var out = Match()
        let range = NSRange(path.startIndex..<path.endIndex, in: path)
        for index in candidates.sorted() where seen.insert(index).inserted {
            let p = patterns[index]
            if ascii, let literals = p.literals, !literals.contains(where: { Self.contains(lowered, $0) }) { continue }
            guard p.regex.firstMatch(in: path, options: [], range: range) != nil else { continue }
            if let fp = p.falsePositive, fp.firstMatch(in: path, options: [], range: range) != nil {
                out.suppressed.append(p.indicator)
            } else {
                out.hits.append(p.indicator)
            }
        }
        return out
    }

    static func adaptToPlatform(_ pattern: String) -> String {
        #if os(Windows)
        return pattern
        #else
        return pattern.replacingOccurrences(of: "\\\\", with: "/").replacingOccurrences(of: "C:", with: "")
        #endif
    }

    @inline(__always) static func trigram(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt32 {
        UInt32(a) << 16 | UInt32(b) << 8 | UInt32(c)
    }

    static func trigrams(_ bytes: [UInt8]) -> [UInt32] {
        guard bytes.count >= 3 else { return [] }
        return (0...(bytes.count - 3)).map { trigram(bytes[$0], bytes[$0 + 1], bytes[$0 + 2]) }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        if needle.isEmpty { return true }
        let first = needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}
