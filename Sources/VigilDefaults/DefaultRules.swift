/// A YARA rule file embedded in the binary, with where it came from and under which licence.
public struct DefaultRuleSet: Sendable, Hashable {
    /// The name findings cite as the rule source, e.g. `default:volexity-3cx.yar`.
    public let name: String
    /// Upstream repository, commit and path.
    public let origin: String
    /// The licence the rules are distributed under (full texts in `LICENSES/`).
    public let licence: String
    /// The rule source text, unchanged from upstream.
    public let text: String
}

/// The built-in YARA rules: the public 3CX rules whose licences allow bundling (Volexity, BSD-2;
/// signature-base, DRL 1.1). The signature-base file needs the Loki external `extension`.
public enum DefaultRules {
    /// All built-in rule sets.
    public static let ruleSets: [DefaultRuleSet] = [ThreeCXRules.volexity, ThreeCXRules.signatureBase]
}
