/// A structured evidence value attached to a finding (an offset, a size, an entropy, a list of names…).
///
/// Encodes as the plain JSON value, so `{"slack_size": 4096, "entropy": 7.98}` rather than a tagged union.
public enum EvidenceValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case strings([String])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v); return }
        if let v = try? c.decode(Int.self) { self = .int(v); return }
        if let v = try? c.decode(Double.self) { self = .double(v); return }
        if let v = try? c.decode(String.self) { self = .string(v); return }
        self = .strings(try c.decode([String].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .strings(let v): try c.encode(v)
        }
    }

    public var description: String {
        switch self {
        case .string(let v): v
        case .int(let v): String(v)
        case .double(let v): String(format3: v)
        case .bool(let v): v ? "yes" : "no"
        case .strings(let v): v.joined(separator: ", ")
        }
    }
}

extension String {
    /// Formats a double with up to three decimals without Foundation.
    init(format3 value: Double) {
        guard value.isFinite else { self = String(value); return }
        let scaled = (value * 1000).rounded()
        let negative = scaled < 0
        let magnitude = Int(abs(scaled))
        let whole = magnitude / 1000
        var frac = String(magnitude % 1000)
        while frac.count < 3 { frac = "0" + frac }
        while frac.hasSuffix("0") { frac.removeLast() }
        self = (negative ? "-" : "") + String(whole) + (frac.isEmpty ? "" : "." + frac)
    }
}

/// One YARA string match inside a finding: the string identifier, where it matched, how long.
public struct StringMatch: Sendable, Hashable, Codable {
    public var identifier: String
    public var offset: Int
    public var length: Int

    public init(identifier: String, offset: Int, length: Int) {
        self.identifier = identifier
        self.offset = offset
        self.length = length
    }
}

/// Something Vigil saw that a responder should look at.
///
/// Every finding explains itself: what was seen (`title`), where (`path`, `offset`), why it matters
/// (`explanation`), how much (`severity`, `score`), the ATT&CK technique where one fits, and the
/// evidence as structured values that machine output carries unchanged.
public struct Finding: Sendable, Hashable, Codable {
    /// A stable identifier of the check or matcher that produced the finding,
    /// e.g. `ioc.hash`, `ioc.filename`, `yara`, `pe.cert-table-slack`.
    public var check: String
    /// One line saying what was seen.
    public var title: String
    public var severity: Severity
    /// Loki/THOR-style score where the source gives one (0...100), otherwise derived from the severity.
    public var score: Int?
    /// The file (or log, or release member) the finding is about.
    public var path: String
    /// 1-based line inside `path` for text inputs (a log line), when there is one.
    public var line: Int?
    /// Byte offset inside the file where the evidence starts, when there is one.
    public var offset: Int?
    /// Why it matters, written for a responder.
    public var explanation: String
    /// MITRE ATT&CK technique ids, e.g. `T1195.002`.
    public var attack: [String]
    /// Where the indicator or rule came from: feed name, rule file, vendor.
    public var source: String?
    /// The rule or indicator that matched, when one did.
    public var indicator: String?
    /// Matched YARA strings with offsets.
    public var matches: [StringMatch]
    /// Structured evidence: offsets, sizes, entropies, names, signers.
    public var evidence: [String: EvidenceValue]

    public init(
        check: String,
        title: String,
        severity: Severity,
        score: Int? = nil,
        path: String,
        line: Int? = nil,
        offset: Int? = nil,
        explanation: String,
        attack: [String] = [],
        source: String? = nil,
        indicator: String? = nil,
        matches: [StringMatch] = [],
        evidence: [String: EvidenceValue] = [:]
    ) {
        self.check = check
        self.title = title
        self.severity = severity
        self.score = score
        self.path = path
        self.line = line
        self.offset = offset
        self.explanation = explanation
        self.attack = attack
        self.source = source
        self.indicator = indicator
        self.matches = matches
        self.evidence = evidence
    }
}
