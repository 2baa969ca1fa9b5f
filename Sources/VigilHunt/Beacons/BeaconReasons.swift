import Foundation

/// One reason that moves a beacon's Vigil score away from RITA's: what was checked, what was found,
/// and by how much it changed the score, so an analyst can verify each step.
public struct BeaconReason: Sendable, Hashable, Codable {
    /// The check: `prevalence`, `known-service`, `first-seen`, `indicator`, `brand-impersonation`.
    public var name: String
    /// What was found, for people (`1 of 40 internal hosts (2.5 %)`, `ESET security products…`).
    public var value: String
    /// What it added to (or took from) the score; 0 when the check found nothing that matters.
    public var effect: Double
    /// Why this matters, in one sentence.
    public var explanation: String

    public init(name: String, value: String, effect: Double, explanation: String) {
        self.name = name
        self.value = value
        self.effect = effect
        self.explanation = explanation
    }
}

/// Vigil's ranking of beacon candidates: RITA v5's beacon score plus the effect of each reason,
/// clamped to 0…1. Every reason is computed for every beacon (effect 0 when it does not apply), so
/// the JSON always says what was checked.
public enum BeaconRanking {
    /// Effects on the score (documented in docs/hunt.md, measured on labelled captures).
    public enum Effect {
        /// ≥ 50 % of (at least ``minimumHostsForPrevalence``) internal hosts talk to the destination.
        public static let common = -0.15
        /// ≤ 2 % of the internal hosts talk to the destination.
        public static let rare = 0.15
        /// The name belongs to a well-known update, telemetry or polling service.
        public static let knownService = -0.4
        /// The destination was seen for the first time within the last 7 days of at least 7 days of logs.
        public static let recentInLongLogs = 0.15
        /// The destination was already seen 30 days or more before the end of the logs.
        public static let established = -0.15
        /// The destination matched an indicator.
        public static let indicator = 0.5
        /// The name impersonates a well-known brand.
        public static let impersonation = 0.25
    }

    /// Fewer internal hosts than this make prevalence meaningless (one host is 100 % of itself).
    public static let minimumHostsForPrevalence = 4

    /// Whether a beacon is reported at `threshold`: Vigil's score must reach it, and so must RITA's.
    /// Reasons can lower a periodic pair below the threshold and reorder the rest, but a rare or
    /// look-alike destination never turns an irregular pair into a beacon (on a network with many
    /// hosts, RITA's +0.15 for rare destinations alone lifted pairs scoring 0.375 over 0.5). Indicator
    /// matches are reported as hits whatever the timing.
    public static func isReported(rita: Double, vigil: Double, threshold: Double) -> Bool {
        rita >= threshold && vigil >= threshold
    }

    /// Vigil's score: RITA's score plus every reason's effect, clamped to 0…1 and rounded to 3 places.
    public static func vigilScore(rita: Double, reasons: [BeaconReason]) -> Double {
        let v = reasons.reduce(rita) { $0 + $1.effect }
        return BeaconMath.round3(min(1, max(0, v)))
    }

    /// How many internal hosts talk to the destination (RITA's prevalence modifier, ±0.15), shown but
    /// neutral when the logs hold fewer than ``minimumHostsForPrevalence`` internal hosts.
    public static func prevalence(hosts: Int, of total: Int) -> BeaconReason {
        let share = total > 0 ? Double(hosts) / Double(total) : 0
        let value = "\(hosts) of \(total) internal host(s) (\(percent(share)))"
        if total < minimumHostsForPrevalence {
            return BeaconReason(name: "prevalence", value: value, effect: 0,
                                explanation: "Too few internal hosts in the logs to tell a common destination from a rare one.")
        }
        if share >= 0.5 {
            return BeaconReason(name: "prevalence", value: value, effect: Effect.common,
                                explanation: "Half or more of the internal hosts talk to this destination: a shared service is likelier than C2 on one host.")
        }
        if share <= 0.02 {
            return BeaconReason(name: "prevalence", value: value, effect: Effect.rare,
                                explanation: "Only a very small share of the internal hosts talk to this destination: rare destinations deserve a look first.")
        }
        return BeaconReason(name: "prevalence", value: value, effect: 0, explanation: "Neither rare (≤ 2 %) nor common (≥ 50 %).")
    }

    /// Whether the destination belongs to a well-known periodic service: its name, or for an address
    /// the address itself (a vendor network on the list) or a name that HTTP/TLS rows showed on it.
    public static func knownService(name: String?, address: IPAddress? = nil, namesSeenOnAddress: [String] = [], services: KnownServices) -> BeaconReason {
        let explanation = "A service that polls or reports on a schedule by design; its regularity is expected."
        if let name, let e = services.match(name) {
            return BeaconReason(name: "known-service", value: "\(e.value): \(e.service) (source: \(e.source))", effect: Effect.knownService, explanation: explanation)
        }
        if let address, let e = services.match(address: address) {
            return BeaconReason(name: "known-service", value: "\(address) is in \(e.value): \(e.service) (source: \(e.source))", effect: Effect.knownService, explanation: explanation)
        }
        if let address {
            for seen in namesSeenOnAddress {
                if let e = services.match(seen) {
                    return BeaconReason(name: "known-service", value: "\(address) served \(seen) in HTTP/TLS rows; \(e.value): \(e.service) (source: \(e.source))",
                                        effect: Effect.knownService, explanation: explanation)
                }
            }
        }
        return BeaconReason(name: "known-service", value: "no", effect: 0,
                            explanation: "Not on the list of well-known update, telemetry and polling services.")
    }

    /// How new the destination is in the logs: RITA's first-seen modifier when the host's logs span at
    /// least 7 days. Shorter logs only show the value: on the labelled day-long captures measured for
    /// docs/hunt.md, a bonus for destinations that appear after the host's first hour raised benign
    /// services (which start when a user logs in) and no malicious flow.
    /// - Parameters: epoch seconds: the destination's first row (any host), the host's first row, the end of the window.
    public static func firstSeen(destination first: Double, hostStart: Double, logsEnd: Double) -> BeaconReason {
        let span = max(0, logsEnd - hostStart)
        let after = max(0, first - hostStart)
        let before = max(0, logsEnd - first)
        let value = "first seen \(duration(after)) after the host's first row, \(duration(before)) before the end (host's rows span \(duration(span)))"
        if span >= 7 * 86_400 {
            if before <= 7 * 86_400 {
                return BeaconReason(name: "first-seen", value: value, effect: Effect.recentInLongLogs,
                                    explanation: "A destination new in the last 7 days of a longer history: new C2 appears after an infection.")
            }
            if before >= 30 * 86_400 {
                return BeaconReason(name: "first-seen", value: value, effect: Effect.established,
                                    explanation: "Contacted for 30 days or more: long-standing periodic destinations are usually services.")
            }
            return BeaconReason(name: "first-seen", value: value, effect: 0, explanation: "Neither new (≤ 7 days) nor established (≥ 30 days).")
        }
        return BeaconReason(name: "first-seen", value: value, effect: 0,
                            explanation: "The host's rows cover less than 7 days: too little history to call a destination new or established.")
    }

    /// Whether the destination (its name, or its address) matched an indicator.
    public static func indicator(_ match: (value: String, rule: String, feeds: [String])?) -> BeaconReason {
        guard let match else {
            return BeaconReason(name: "indicator", value: "no", effect: 0, explanation: "The destination matched no loaded indicator.")
        }
        return BeaconReason(name: "indicator", value: "\(match.value) (\(match.rule); feeds: \(match.feeds.joined(separator: ", ")))", effect: Effect.indicator,
                            explanation: "The destination is published attacker infrastructure: periodic contact with it is C2 polling.")
    }

    /// Whether the name impersonates a well-known brand (``BrandImpersonation``). Names on the
    /// known-service list are genuine and are not checked.
    public static func impersonation(name: String?, knownService: Bool, brands: [BrandImpersonation.Brand] = BrandImpersonation.brands) -> BeaconReason {
        guard let name, !knownService, let m = BrandImpersonation.check(name, brands: brands) else {
            return BeaconReason(name: "brand-impersonation", value: "no", effect: 0,
                                explanation: "The name does not borrow a well-known brand outside the brand's own domains.")
        }
        return BeaconReason(name: "brand-impersonation", value: "'\(m.label)' borrows \(m.brand), but \(m.registeredDomain) is not a \(m.brand) domain",
                            effect: Effect.impersonation,
                            explanation: "C2 names imitate the services they hide among (the 3CX C2 used akamaicontainer.com, msedgepackageinfo.com, azureonlinestorage.com).")
    }

    static func percent(_ share: Double) -> String {
        let p = share * 100
        return p == p.rounded() ? "\(Int(p)) %" : String(format: "%.1f %%", p)
    }

    /// `3 d 4 h`, `5 h 12 min`, `40 min`, `12 s`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3600) h" }
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min" }
        return "\(s) s"
    }
}
