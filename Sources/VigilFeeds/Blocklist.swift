import Foundation
import VigilCore
import VigilIndicators

/// Blocklist formats `vigil block` writes.
public enum BlocklistFormat: String, Sendable, CaseIterable {
    /// `0.0.0.0 name` lines; exact names only (hosts files cannot cover subdomains).
    case hosts
    /// dnsmasq `address=/name/#` (A 0.0.0.0 and AAAA ::, subdomains included).
    case dnsmasq
    /// Unbound `local-zone: "name." always_nxdomain` (subdomains included).
    case unbound
    /// A BIND response-policy zone: `name CNAME .` and `*.name CNAME .` under an SOA and NS.
    case rpz
    /// Suricata rules: DNS query, TLS SNI and HTTP host per domain, HTTP host+URI per URL, IP rules.
    case suricata
    /// A Zeek intel file (`#fields` header, tab-separated).
    case zeekIntel = "zeek-intel"
    /// One indicator per row (the SIEM columns in docs/feeds.md).
    case csv
}

/// What goes into a blocklist, decided once for every output format: which names are blocked
/// domain-wide, which URLs only by URL, which addresses, and why anything was left out.
public struct BlocklistPlan: Sendable {
    /// Names blocked with their subdomains, sorted; each with the indicator it came from.
    public var domains: [(name: String, source: Indicator)] = []
    /// URL indicators (kept for URL-capable outputs).
    public var urls: [Indicator] = []
    /// Addresses and networks.
    public var addresses: [Indicator] = []
    /// File hashes and e-mail addresses (Zeek and CSV only).
    public var other: [Indicator] = []
    /// Allowed names under a blocked domain: DNS outputs emit an exception for each.
    public var exceptions: [String] = []
    /// Human-readable decisions for standard error: the shared-infrastructure guard and the allowlist.
    public var decisions: [String] = []
    /// Indicators left out of every output because they are unsafe to write or too broad to block,
    /// each with its feed, file and line (also listed in ``decisions``).
    public var refusals: [BlocklistRefusal] = []

    /// Every indicator that survived the allowlist (for CSV).
    public var allIndicators: [Indicator] { domains.map(\.source).uniqued() + urls + addresses + other }
}

/// One indicator `vigil block` would not write, and why.
public struct BlocklistRefusal: Sendable, Hashable {
    public var kind: IndicatorKind
    /// The value, escaped for printing (``TerminalSafe``).
    public var value: String
    public var reason: String
    /// Where it came from: `feed file:line` of each source (at most three).
    public var sources: [String]

    /// One line for standard error: `refused: url "…" (sophos-3cx feed.csv:12): reason`.
    public var description: String {
        "refused: \(kind.rawValue) \"\(value)\" (\(sources.isEmpty ? "no source" : sources.joined(separator: ", "))): \(reason)"
    }

    init(_ indicator: Indicator, reason: String) {
        kind = indicator.kind
        value = TerminalSafe.escape(indicator.value.prefix(200))
        self.reason = reason
        sources = indicator.provenance.prefix(3).map { p in
            var s = TerminalSafe.escape(p.feed)
            if let file = p.file { s += " " + TerminalSafe.escape(file) + (p.line.map { ":\($0)" } ?? "") }
            return s
        }
    }
}

extension Array where Element == Indicator {
    func uniqued() -> [Indicator] {
        var seen = Set<String>()
        return filter { seen.insert($0.kind.rawValue + " " + $0.value).inserted }
    }
}

/// Decides and renders blocklists.
public enum BlocklistBuilder {
    /// Builds the plan: domain indicators and the hosts of URL indicators become domain-wide blocks,
    /// except shared infrastructure (``SharedInfrastructure``), which stays URL-only; anything the
    /// allowlist covers is left out; allowed names under a blocked domain become exceptions.
    ///
    /// `guard` refuses public suffixes as domain-wide blocks and addresses or networks that are a default
    /// route, loopback, unspecified, link-local or overlap the own ranges; each refusal names the
    /// indicator's feed, file and line. With `guard.force` they are written and reported as forced.
    public static func plan(
        _ indicators: IndicatorSet, allow: IndicatorSet = IndicatorSet(), guard blockGuard: BlocklistGuard = BlocklistGuard()
    ) -> BlocklistPlan {
        var plan = BlocklistPlan()
        var domainSources: [String: Indicator] = [:]
        /// Whether the guard lets `reason` through: refused (and listed) unless forced.
        func refused(_ indicator: Indicator, _ reason: String?) -> Bool {
            guard let reason else { return false }
            if blockGuard.force {
                plan.decisions.append("forced (--force): \(TerminalSafe.escape(indicator.value)): \(reason)")
                return false
            }
            let refusal = BlocklistRefusal(indicator, reason: reason)
            plan.refusals.append(refusal)
            plan.decisions.append(refusal.description)
            return true
        }
        func blockDomain(_ name: String, from indicator: Indicator, viaURL: Bool) {
            if SharedInfrastructure.isShared(name) {
                plan.decisions.append(viaURL
                    ? "guard: \(indicator.value) is on shared infrastructure (\(name)): URL-only outputs (suricata, zeek-intel, csv), no domain-wide block"
                    : "guard: domain \(name) is shared infrastructure: not blocked domain-wide (list the exact URLs instead)")
                return
            }
            if refused(indicator, blockGuard.refusesDomain(name).map { viaURL ? $0 + " (the URL itself stays in URL-capable outputs)" : $0 }) {
                return
            }
            if let allowed = allow.matchDomain(name) {
                plan.decisions.append("allowlist: \(name) not blocked (allowed by \(allowed.value))")
                return
            }
            if domainSources[name] == nil { domainSources[name] = indicator }
        }
        for i in indicators.indicators {
            if let reason = unsafeValue(i) {
                let refusal = BlocklistRefusal(i, reason: reason)
                plan.refusals.append(refusal)
                plan.decisions.append(refusal.description)
                continue
            }
            switch i.kind {
            case .domain:
                blockDomain(i.value, from: i, viaURL: false)
            case .url:
                if allow.matchURL(i.value) != nil {
                    plan.decisions.append("allowlist: URL \(i.value) not blocked")
                    continue
                }
                plan.urls.append(i)
                guard let host = URLParts(i.value)?.host else { continue }
                if Normalizer.parseIPv4(host) != nil || host.hasPrefix("[") {
                    // An address URL (`tcp://23.254.211.230`): block the address, there is no name.
                    let address = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                    if allow.matchIP(address) == nil, !refused(i, blockGuard.refusesAddress(address)) {
                        plan.addresses.append(Indicator(kind: host.hasPrefix("[") ? .ipv6 : .ipv4, value: address, provenance: i.provenance))
                    }
                    continue
                }
                blockDomain(host, from: i, viaURL: true)
            case .ipv4, .ipv6, .cidr:
                if let allowed = allow.matchIP(i.kind == .cidr ? String(i.value.split(separator: "/")[0]) : i.value) {
                    plan.decisions.append("allowlist: \(i.value) not blocked (allowed by \(allowed.value))")
                    continue
                }
                if refused(i, blockGuard.refusesAddress(i.value)) { continue }
                plan.addresses.append(i)
            case .md5, .sha1, .sha256, .email:
                plan.other.append(i)
            case .filename, .urlPath:
                // A path regex or a request path without a host cannot be a DNS or address block.
                break
            }
        }
        plan.domains = domainSources.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        // Allowed names that sit under a blocked domain need an explicit exception.
        let blocked = IndicatorSet(domainSources.keys.map { Indicator(kind: .domain, value: $0) })
        for allowed in allow.indicators where allowed.kind == .domain && unsafeValue(allowed) == nil {
            if let parent = blocked.matchDomain(allowed.value), parent.value != allowed.value {
                plan.exceptions.append(allowed.value)
                plan.decisions.append("allowlist: exception for \(allowed.value) under blocked \(parent.value)")
            }
        }
        plan.exceptions.sort()
        return plan
    }

    /// Why an indicator's value cannot be written into a blocklist safely, or `nil` when it can.
    ///
    /// Stored values come from feed files and from the store on disk, which anyone with write access
    /// can edit; a blocklist is loaded by a DNS server or IDS that reads it line by line and field by
    /// field. A value must therefore be exactly what the normaliser would have produced (a valid name,
    /// address, network or hash) and URL and e-mail values must hold no control character: a TAB or
    /// LF would add fields or whole lines (a Zeek intel line, a Suricata rule, an Unbound zone).
    /// Escaping is not an option for the value itself: the escaped text would no longer be the
    /// indicator, so such values are refused and reported.
    static func unsafeValue(_ i: Indicator) -> String? {
        if TerminalSafe.needsEscaping(i.value) { return "value contains control characters (a blocklist line or field could be forged)" }
        let ok: Bool
        switch i.kind {
        case .domain: ok = Normalizer.normalizeDomain(i.value) == i.value
        case .url: ok = URLParts(i.value) != nil && !i.value.contains(where: \.isWhitespace)
        case .ipv4: ok = Normalizer.normalizeIPv4(i.value) == i.value
        case .ipv6: ok = Normalizer.normalizeIPv6(i.value) == i.value
        case .cidr: ok = Normalizer.normalizeCIDR(i.value) == i.value
        case .md5, .sha1, .sha256: ok = Normalizer.normalizeHash(i.value)?.value == i.value
        case .email: ok = Normalizer.normalizeEmail(i.value) != nil && !i.value.contains(where: \.isWhitespace)
        case .filename, .urlPath: ok = true  // never written into a blocklist
        }
        return ok ? nil : "not a valid normalised \(i.kind.rawValue) value"
    }

    /// Renders the plan in one format. `now` sets the RPZ serial; `sidBase` the first Suricata sid.
    public static func render(_ plan: BlocklistPlan, as format: BlocklistFormat, now: Date = Date(), sidBase: Int = 9_100_001) -> String {
        switch format {
        case .hosts: return hosts(plan)
        case .dnsmasq: return dnsmasq(plan)
        case .unbound: return unbound(plan)
        case .rpz: return rpz(plan, now: now)
        case .suricata: return suricata(plan, sidBase: sidBase)
        case .zeekIntel: return zeek(plan)
        case .csv: return FeedExporter.csv(plan.allIndicators)
        }
    }

    static func header(_ comment: String, _ plan: BlocklistPlan, _ format: BlocklistFormat) -> String {
        "\(comment) Generated by vigil block --format \(format.rawValue): \(plan.domains.count) domains\n"
    }

    static func hosts(_ plan: BlocklistPlan) -> String {
        var out = header("#", plan, .hosts)
        out += "# NOTE: a hosts file matches exact names only. Subdomains of these domains are NOT blocked;\n"
        out += "# use the dnsmasq, unbound or rpz format to block a domain with all its subdomains.\n"
        if !plan.urls.isEmpty || !plan.addresses.isEmpty {
            out += "# \(plan.urls.count) URL and \(plan.addresses.count) address indicators cannot be expressed in a hosts file.\n"
        }
        for d in plan.domains { out += "0.0.0.0 \(d.name)\n" }
        return out
    }

    static func dnsmasq(_ plan: BlocklistPlan) -> String {
        var out = header("#", plan, .dnsmasq)
        out += "# address=/name/# answers 0.0.0.0 and :: for the name and all its subdomains (A and AAAA).\n"
        for e in plan.exceptions { out += "server=/\(e)/#\n" }
        for d in plan.domains { out += "address=/\(d.name)/#\n" }
        return out
    }

    static func unbound(_ plan: BlocklistPlan) -> String {
        var out = header("#", plan, .unbound)
        out += "# always_nxdomain answers NXDOMAIN for the name and all its subdomains.\nserver:\n"
        for e in plan.exceptions { out += "    local-zone: \"\(e).\" transparent\n" }
        for d in plan.domains { out += "    local-zone: \"\(d.name).\" always_nxdomain\n" }
        return out
    }

    static func rpz(_ plan: BlocklistPlan, now: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: now)
        let serial = String(format: "%04d%02d%02d01", c.year ?? 2000, c.month ?? 1, c.day ?? 1)
        var out = header(";", plan, .rpz)
        out += "; named.conf: response-policy { zone \"rpz.local\"; } qname-wait-recurse no;\n"
        out += "; Each name needs two records: 'name CNAME .' covers the name only, '*.name CNAME .' its subdomains.\n"
        out += "$TTL 300\n@ IN SOA localhost. hostmaster.localhost. ( \(serial) 3600 600 86400 300 )\n  IN NS localhost.\n"
        for e in plan.exceptions { out += "\(e) CNAME rpz-passthru.\n" }
        for d in plan.domains {
            out += "\(d.name) CNAME .\n*.\(d.name) CNAME .\n"
        }
        return out
    }

    /// Content for a Suricata `content:"…"` with the characters that need it hex-escaped.
    static func suricataContent(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "\\"), UInt8(ascii: "|"), 0..<0x20, 0x7f...:
                out += String(format: "|%02x|", b)
            default:
                out.append(Character(UnicodeScalar(b)))
            }
        }
        return out
    }

    /// A rule message: no quotes, semicolons or backslashes, bounded length.
    static func suricataMessage(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars.prefix(200) {
            out.append(u == "\"" || u == ";" || u == "\\" || TerminalSafe.isUnsafe(u) || u.properties.isWhitespace ? " " : u)
        }
        return String(out)
    }

    /// The largest Suricata signature id (sids are unsigned 32-bit numbers).
    public static let maxSID = 4_294_967_295

    /// Number of Suricata rules the plan becomes: three per blocked name, one per HTTP(S) URL, one per address.
    public static func suricataRuleCount(_ plan: BlocklistPlan) -> Int {
        plan.domains.count * 3 + plan.addresses.count
            + plan.urls.filter { URLParts($0.value).map { $0.scheme == "http" || $0.scheme == "https" } ?? false }.count
    }

    /// `nil` when every sid from `sidBase` on fits in 1…2³²−1 for this plan, else why not.
    public static func sidRangeProblem(_ plan: BlocklistPlan, sidBase: Int) -> String? {
        let rules = suricataRuleCount(plan)
        guard sidBase >= 1 else { return "--sid-base \(sidBase) is below 1 (Suricata sids run from 1 to \(maxSID))" }
        guard sidBase <= maxSID, rules <= maxSID - sidBase + 1 else {
            return "--sid-base \(sidBase) with \(rules) rules would need sids up to \(sidBase.addingReportingOverflow(rules - 1).overflow ? "beyond 2^63" : String(sidBase + rules - 1)), beyond Suricata's maximum \(maxSID)"
        }
        return nil
    }

    static func suricata(_ plan: BlocklistPlan, sidBase: Int) -> String {
        var out = header("#", plan, .suricata)
        if let problem = sidRangeProblem(plan, sidBase: sidBase) {
            // Never a trap and never an out-of-range sid; the command line reports this as an error first.
            return out + "# no rules written: \(problem)\n"
        }
        var sid = sidBase
        func rule(_ proto: String, _ body: String, _ msg: String) {
            out += "alert \(proto) $HOME_NET any -> any any (msg:\"\(suricataMessage(msg))\"; \(body) classtype:trojan-activity; sid:\(sid); rev:1;)\n"
            sid += 1
        }
        for d in plan.domains {
            let c = suricataContent("." + d.name)
            rule("dns", "dns.query; dotprefix; content:\"\(c)\"; nocase; endswith;", "Vigil blocked domain DNS lookup \(d.name)")
            rule("tls", "tls.sni; dotprefix; content:\"\(c)\"; nocase; endswith;", "Vigil blocked domain TLS SNI \(d.name)")
            rule("http", "http.host; dotprefix; content:\"\(c)\"; endswith;", "Vigil blocked domain HTTP host \(d.name)")
        }
        for u in plan.urls {
            guard let parts = URLParts(u.value), parts.scheme == "http" || parts.scheme == "https" else { continue }
            var body = "http.host; content:\"\(suricataContent(parts.host))\"; startswith; endswith;"
            if parts.path != "/" { body += " http.uri; content:\"\(suricataContent(parts.path))\"; startswith;" }
            rule("http", body, "Vigil blocked URL \(u.value)")
        }
        for a in plan.addresses {
            out += "alert ip $HOME_NET any -> \(a.value) any (msg:\"\(suricataMessage("Vigil blocked address \(a.value)"))\"; "
                + "classtype:trojan-activity; sid:\(sid); rev:1;)\n"
            sid += 1
        }
        return out
    }

    /// A Zeek intel metadata field: control characters escaped (``TerminalSafe``: a TAB becomes the
    /// two characters `\t`, so it can never start a new field), `-` when empty.
    static func zeekField(_ s: String?) -> String {
        guard let s, !s.isEmpty else { return "-" }
        let escaped = TerminalSafe.escape(s)
        return escaped == "-" || escaped == "(empty)" ? "\\" + escaped : escaped
    }

    static func zeek(_ plan: BlocklistPlan) -> String {
        var out = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
        func line(_ value: String, _ type: String, _ i: Indicator) {
            out += [value, type, zeekField(i.feeds.joined(separator: ",")), zeekField(i.summary)].joined(separator: "\t") + "\n"
        }
        // Zeek's DOMAIN match is exact: list each blocked name (known subdomains come as their own indicators).
        for d in plan.domains { line(d.name, "Intel::DOMAIN", d.source) }
        for u in plan.urls {
            // Intel::URL is "a complete URL without the prefix http://".
            guard let sep = u.value.range(of: "://") else { continue }
            line(String(u.value[sep.upperBound...]), "Intel::URL", u)
        }
        for a in plan.addresses { line(a.value, a.kind == .cidr ? "Intel::SUBNET" : "Intel::ADDR", a) }
        for o in plan.other { line(o.value, o.kind == .email ? "Intel::EMAIL" : "Intel::FILE_HASH", o) }
        return out
    }
}
