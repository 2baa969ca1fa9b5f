import VigilCore
import VigilHunt

/// Where a claim that a host held an address comes from.
public enum ClaimSource: String, Sendable, Codable {
    /// An agent reported the address on its host, with first and last seen times.
    case agent
    /// A DHCP lease (Zeek `dhcp.log`).
    case dhcp
    /// A line of the static mapping file.
    case mapping
}

/// An address an agent reported on its host, and when.
public struct AgentAddress: Sendable, Hashable, Codable {
    public var host: String
    public var address: String
    public var firstSeen: Double
    public var lastSeen: Double

    public init(host: String, address: String, firstSeen: Double, lastSeen: Double) {
        self.host = host
        self.address = address
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// One claim: `host` held the addresses of `network` during `period` (`nil`: always).
public struct AddressClaim: Sendable, Hashable {
    /// The exact address (agents, DHCP) or the mapping line's network.
    public var network: IPNetwork
    public var host: String
    public var period: Period?
    public var source: ClaimSource
    /// What the claim rests on: `agent report`, a lease's `file:line`, the mapping file's `file:line`.
    public var evidence: String
}

/// Why an address could not be tied to one host.
public enum UnattributedReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// No agent, lease or mapping line covers the address at that time.
    case unknownAddress
    /// The text is not an IP address.
    case invalidAddress
    /// Two or more hosts claim the address at that time.
    case ambiguous(hosts: [String])
    /// The mapping file declares the address a NAT or proxy address: many hosts stand behind it.
    case sharedAddress(kind: SharedKind, evidence: String)

    public var description: String {
        switch self {
        case .unknownAddress: "unknown address: no agent report, DHCP lease or mapping line covers it at that time"
        case .invalidAddress: "not an IP address"
        case .ambiguous(let hosts): "ambiguous: \(hosts.joined(separator: ", ")) all claim the address at that time"
        case .sharedAddress(let kind, let evidence): "the address is a declared \(kind.rawValue) address (\(evidence)): the host behind it is not known"
        }
    }
}

/// A declared shared address.
public enum SharedKind: String, Sendable, Hashable, Codable {
    case nat, proxy
}

/// The answer to "which host held address A at time T".
public enum Attribution: Sendable, Hashable {
    case host(String, source: ClaimSource, evidence: String)
    case unattributed(UnattributedReason)

    /// The host, when attributed.
    public var host: String? {
        if case .host(let h, _, _) = self { return h }
        return nil
    }
}

/// Answers "which host held address A at time T" from agent reports, DHCP leases and the mapping file.
///
/// Rules, in order: (1) an address the mapping file declares `@nat` or `@proxy` at T is never
/// attributed; (2) agent reports and DHCP leases covering T decide: one host → that host, several →
/// ambiguous; (3) otherwise mapping-file lines covering T, the most specific prefix first: one host →
/// that host, several at the same prefix length → ambiguous; (4) otherwise unknown.
///
/// A DHCP lease lasts from its exchange to `start + lease_time`, but ends early when the same
/// address is leased to another holder (the address moved); a lease without a lease time lasts until
/// the next lease of the address. Host identities are compared case-insensitively; ``aliases`` map a
/// MAC address or a short DHCP host name to the host name agents use (a DHCP host name that equals
/// the first label of exactly one agent host is aliased to it automatically).
public struct AddressBook: Sendable {
    /// Dynamic claims (agents, DHCP) by exact address.
    private var dynamic: [IPAddress: [AddressClaim]] = [:]
    /// Static mapping claims by prefix length, then by masked network address: a lookup costs one
    /// hash probe per prefix length in use, whatever the size of the mapping file.
    private var statics: [Int: [IPAddress: [AddressClaim]]] = [:]
    private var staticLengths: [Int] = []
    private struct Shared: Sendable {
        var kind: SharedKind
        var period: Period?
        var evidence: String
    }
    private var shared: [Int: [IPAddress: [Shared]]] = [:]
    private var sharedLengths: [Int] = []
    /// The single-address network of `ip`.
    private static func single(_ ip: IPAddress) -> IPNetwork? { IPNetwork(ip.description) }

    /// Canonical host names by lowercase alias (MACs, short names).
    public private(set) var aliases: [String: String] = [:]

    public init(agents: [AgentAddress] = [], leases: [DHCPLease] = [], mapping: MappingFile = MappingFile(), aliases: [String: String] = [:]) {
        var firstLabels: [String: Set<String>] = [:]
        for a in agents {
            let h = a.host.lowercased()
            if let dot = h.firstIndex(of: "."), dot != h.startIndex { firstLabels[String(h[..<dot]), default: []].insert(h) }
        }
        for (label, hosts) in firstLabels where hosts.count == 1 { self.aliases[label] = hosts.first! }
        for (k, v) in aliases { self.aliases[k.lowercased()] = v.lowercased() }

        for a in agents {
            guard let ip = IPAddress(a.address), let net = Self.single(ip) else { continue }
            let claim = AddressClaim(
                network: net, host: a.host.lowercased(),
                period: Period(start: min(a.firstSeen, a.lastSeen), end: max(a.firstSeen, a.lastSeen)), source: .agent, evidence: "agent report")
            dynamic[ip, default: []].append(claim)
        }
        var byAddress: [IPAddress: [DHCPLease]] = [:]
        for l in leases { if let ip = IPAddress(l.address) { byAddress[ip, default: []].append(l) } }
        for (ip, list) in byAddress {
            guard let net = Self.single(ip) else { continue }
            let sorted = list.sorted { ($0.start, $0.evidenceLine) < ($1.start, $1.evidenceLine) }
            for (i, lease) in sorted.enumerated() {
                let holder = identity(mac: lease.mac, name: lease.hostName)
                var end = lease.end ?? .infinity
                // The lease ends early when the address is next leased to someone else.
                for next in sorted[(i + 1)...] where next.start >= lease.start && identity(mac: next.mac, name: next.hostName) != holder {
                    end = min(end, next.start)
                    break
                }
                if lease.end == nil, i + 1 < sorted.count { end = min(end, sorted[i + 1].start) }
                let claim = AddressClaim(
                    network: net, host: holder, period: Period(start: lease.start, end: end),
                    source: .dhcp, evidence: lease.evidence)
                dynamic[ip, default: []].append(claim)
            }
        }
        for e in mapping.entries {
            let key = Self.mask(e.network.address, bits: e.network.bits)
            switch e.target {
            case .host(let h):
                statics[e.network.bits, default: [:]][key, default: []].append(
                    AddressClaim(network: e.network, host: canonical(h), period: e.period, source: .mapping, evidence: e.evidence))
            case .shared(let kind):
                shared[e.network.bits, default: [:]][key, default: []].append(Shared(kind: kind, period: e.period, evidence: e.evidence))
            }
        }
        staticLengths = statics.keys.sorted(by: >)
        sharedLengths = shared.keys.sorted(by: >)
    }

    /// `ip` with all but the first `bits` (of 128) cleared.
    static func mask(_ ip: IPAddress, bits: Int) -> IPAddress {
        let hb = min(max(bits, 0), 64), lb = min(max(bits - 64, 0), 64)
        let hm: UInt64 = hb == 0 ? 0 : ~UInt64(0) << UInt64(64 - hb)
        let lm: UInt64 = lb == 0 ? 0 : ~UInt64(0) << UInt64(64 - lb)
        return IPAddress(high: ip.high & hm, low: ip.low & lm)
    }

    /// The canonical (lowercase, alias-resolved) form of a host name.
    public func canonical(_ host: String) -> String {
        let h = host.lowercased()
        return aliases[h] ?? h
    }

    private func identity(mac: String?, name: String?) -> String {
        if let mac, let a = aliases[mac.lowercased()] { return a }
        if let name, !name.isEmpty { return canonical(name) }
        if let mac { return "mac:" + mac.lowercased() }
        return "unnamed"
    }

    /// Which host held `address` at `time`.
    public func attribute(_ address: String, at time: Double) -> Attribution {
        guard let ip = IPAddress(address) else { return .unattributed(.invalidAddress) }
        return attribute(ip, at: time)
    }

    /// Which host held `address` at `time`.
    public func attribute(_ address: IPAddress, at time: Double) -> Attribution {
        for bits in sharedLengths {
            if let s = shared[bits]?[Self.mask(address, bits: bits)]?.first(where: { $0.period?.contains(time) ?? true }) {
                return .unattributed(.sharedAddress(kind: s.kind, evidence: s.evidence))
            }
        }
        let live = (dynamic[address] ?? []).filter { $0.period?.contains(time) ?? true }
        if let decided = decide(live) { return decided }
        for bits in staticLengths {
            let covering = (statics[bits]?[Self.mask(address, bits: bits)] ?? []).filter { $0.period?.contains(time) ?? true }
            if let decided = decide(covering) { return decided }
        }
        return .unattributed(.unknownAddress)
    }

    private func decide(_ claims: [AddressClaim]) -> Attribution? {
        guard let first = claims.first else { return nil }
        let hosts = Set(claims.map(\.host))
        if hosts.count > 1 { return .unattributed(.ambiguous(hosts: hosts.sorted())) }
        // Prefer a lease or mapping line as the cited evidence (it has a file and line).
        let cited = claims.first { $0.source != .agent } ?? first
        return .host(first.host, source: cited.source, evidence: cited.evidence)
    }
}
