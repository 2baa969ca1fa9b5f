/// How much a finding matters, from informational to critical.
///
/// Ordered, so `severity >= .medium` reads naturally in gates such as `--fail-on`.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case info
    case low
    case medium
    case high
    case critical

    private var rank: Int {
        switch self {
        case .info: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    public var description: String { rawValue }

    /// Maps a Loki/THOR-style score (0...100+) to a severity: >= 100 critical, >= 75 high,
    /// >= 60 medium, >= 40 low, otherwise info (Loki alerts at 100 and warns at 60).
    public init(score: Int) {
        switch score {
        case 100...: self = .critical
        case 75..<100: self = .high
        case 60..<75: self = .medium
        case 40..<60: self = .low
        default: self = .info
        }
    }
}
