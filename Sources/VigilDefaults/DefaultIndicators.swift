import VigilIndicators

/// The built-in default indicator set: the published 3CX indicators, embedded in the binary.
///
/// Every command that matches indicators (`scan`, `hunt`, `block`) uses it unless the user passes
/// `--no-default-indicators`. Each indicator's provenance names the feed `default` and the original
/// publisher in its description.
public enum DefaultIndicators {
    /// The feed name recorded in the provenance of built-in indicators.
    public static let feedName = "default"

    /// The built-in indicators, normalised and de-duplicated (sources merged for shared values).
    public static let indicatorSet: IndicatorSet = {
        var set = IndicatorSet()
        for entry in ThreeCXIndicators.entries {
            guard let kind = IndicatorKind(rawValue: entry.kind) else { continue }
            let value: String
            switch kind {
            case .domain: value = Normalizer.normalizeDomain(entry.value) ?? entry.value
            case .url: value = Normalizer.normalizeURL(entry.value) ?? entry.value
            default: value = entry.value
            }
            set.insert(Indicator(
                kind: kind, value: value,
                provenance: [Provenance(feed: feedName, file: entry.source, description: entry.description, firstSeen: "2023-03-29")],
                sameFileSHA256: entry.sameFileSHA256.isEmpty ? nil : entry.sameFileSHA256))
        }
        return set
    }()
}
