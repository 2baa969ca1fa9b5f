import Foundation
import VigilIndicators

/// The Public Suffix List (https://publicsuffix.org, Mozilla, MPL-2.0): names under which anyone can
/// register their own domain, such as `com`, `co.uk`, `com.au`, and private ones such as `blogspot.com`.
/// `vigil block` refuses to block such a name domain-wide: `address=/co.uk/#` blocks a country.
///
/// The list is read at run time, not embedded: it changes every few weeks, Debian and most other
/// systems ship a maintained copy (package `publicsuffix`, `/usr/share/publicsuffix/public_suffix_list.dat`),
/// and a stale embedded copy would silently miss new suffixes. When no file is found, a small built-in
/// list of widely used suffixes is used instead and the command says so (``source``).
public struct PublicSuffixList: Sendable {
    /// Where the list is looked for, in order, when no file is named.
    public static let defaultPaths = [
        "/usr/share/publicsuffix/public_suffix_list.dat",
        "/usr/local/share/publicsuffix/public_suffix_list.dat",
        "/opt/homebrew/share/publicsuffix/public_suffix_list.dat",
    ]

    /// Used when no list file is found: the suffixes hostile feeds and careless ones most often carry.
    /// Every single-label name (a TLD) is a public suffix in any case.
    static let builtIn = """
        co.uk\norg.uk\nac.uk\ngov.uk\nltd.uk\nplc.uk\nme.uk\nnet.uk\nsch.uk\nnhs.uk\npolice.uk
        com.au\nnet.au\norg.au\nedu.au\ngov.au\nasn.au\nid.au\nco.nz\nnet.nz\norg.nz\ngovt.nz\nac.nz
        co.jp\nne.jp\nor.jp\nac.jp\ngo.jp\nco.kr\nor.kr\ncom.cn\nnet.cn\norg.cn\ngov.cn\nedu.cn\ncom.hk\ncom.tw\ncom.sg
        com.br\nnet.br\norg.br\ngov.br\ncom.mx\ncom.ar\ncom.co\nco.in\nnet.in\norg.in\nfirm.in\ngen.in\nind.in
        co.za\norg.za\ncom.tr\ncom.ru\ncom.ua\ncom.pl\nco.il\nco.id\ncom.my\ncom.ph\ncom.vn\ncom.pk\ncom.eg\ncom.sa
        in-addr.arpa\nip6.arpa\ne164.arpa
        blogspot.com\ngithub.io\ngitlab.io\nherokuapp.com\nappspot.com\nfirebaseapp.com\nweb.app\npages.dev
        workers.dev\nvercel.app\nnetlify.app\nazurewebsites.net\ncloudfront.net\ns3.amazonaws.com
        duckdns.org\nno-ip.org\nddns.net\ndyndns.org\nngrok.io\nngrok-free.app\nglitch.me\nrepl.co
        """

    /// Where the rules came from: a file path, or a note that the built-in list is used.
    public let source: String
    /// Whether the rules came from a full list file.
    public let isFullList: Bool
    private var rules: Set<String> = []
    private var wildcards: Set<String> = []
    private var exceptions: Set<String> = []

    /// Number of rules read (normal, wildcard and exception).
    public var ruleCount: Int { rules.count + wildcards.count + exceptions.count }

    /// Parses the list format: one rule per line, `//` comments, `*.` wildcards, `!` exceptions,
    /// Unicode names converted to IDNA like indicator values. Rules that do not parse are skipped.
    public init(text: String, source: String, isFullList: Bool = true) {
        self.source = source
        self.isFullList = isFullList
        for raw in text.split(whereSeparator: \.isNewline) {
            guard let token = raw.split(whereSeparator: \.isWhitespace).first, !token.hasPrefix("//") else { continue }
            var rule = Substring(token)
            var target = \PublicSuffixList.rules
            if rule.hasPrefix("!") {
                rule = rule.dropFirst()
                target = \PublicSuffixList.exceptions
            } else if rule.hasPrefix("*.") {
                rule = rule.dropFirst(2)
                target = \PublicSuffixList.wildcards
            }
            // normalizeDomain needs two labels: add one and take it off again.
            guard let normalized = Normalizer.normalizeDomain("x." + rule), normalized.hasPrefix("x.") else { continue }
            self[keyPath: target].insert(String(normalized.dropFirst(2)))
        }
    }

    /// The list from `path`, else from the first of ``defaultPaths`` that exists, else the built-in list.
    /// A named file that cannot be read is an error.
    public static func load(path: String? = nil) throws -> PublicSuffixList {
        if let path {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return PublicSuffixList(text: text, source: path)
        }
        for candidate in defaultPaths {
            if let text = try? String(contentsOfFile: candidate, encoding: .utf8) {
                return PublicSuffixList(text: text, source: candidate)
            }
        }
        return PublicSuffixList(
            text: builtIn,
            source: "built-in list of common suffixes (no public_suffix_list.dat found; install the publicsuffix package or pass --public-suffix-list)",
            isFullList: false)
    }

    /// Whether a normalised name is itself a public suffix (so blocking it would block everyone under it).
    public func isPublicSuffix(_ name: String) -> Bool {
        guard let dot = name.firstIndex(of: ".") else { return true }  // a TLD
        if exceptions.contains(name) { return false }
        if rules.contains(name) { return true }
        return wildcards.contains(String(name[name.index(after: dot)...]))
    }
}

/// An IPv4 or IPv6 network, for the blocklist guard's overlap tests.
struct GuardNetwork: Sendable, Hashable {
    var bytes: [UInt8]
    var prefix: Int

    /// Parses an address (a host network) or CIDR text.
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = String(parts[0])
        if let v4 = Normalizer.parseIPv4(address) {
            bytes = [UInt8(v4 >> 24), UInt8(v4 >> 16 & 0xff), UInt8(v4 >> 8 & 0xff), UInt8(v4 & 0xff)]
        } else if let v6 = Normalizer.parseIPv6(address) {
            bytes = v6
        } else {
            return nil
        }
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...(bytes.count * 8)).contains(p) else { return nil }
            prefix = p
        } else {
            prefix = bytes.count * 8
        }
    }

    /// Whether the two networks share at least one address (same family, equal over the shorter prefix).
    func overlaps(_ other: GuardNetwork) -> Bool {
        guard bytes.count == other.bytes.count else { return false }
        var bits = min(prefix, other.prefix)
        var i = 0
        while bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xff : UInt8(0xff) << UInt8(8 - bits)
            if bytes[i] & mask != other.bytes[i] & mask { return false }
            bits -= 8
            i += 1
        }
        return true
    }

    /// Ranges a blocklist must never cover, with the reason.
    static let special: [(GuardNetwork, String)] = [
        ("0.0.0.0/8", "the unspecified/\"this network\" range 0.0.0.0/8"), ("127.0.0.0/8", "loopback 127.0.0.0/8"),
        ("169.254.0.0/16", "link-local 169.254.0.0/16"), ("::/128", "the unspecified address ::"), ("::1/128", "loopback ::1"),
        ("fe80::/10", "link-local fe80::/10"),
    ].map { (GuardNetwork($0.0)!, $0.1) }
}

/// What the blocklist guard refuses besides shared infrastructure: public suffixes blocked
/// domain-wide, and addresses or networks that would block everyone (a default route), the machine
/// itself (loopback, unspecified), the local link, or the organisation's own ranges.
public struct BlocklistGuard: Sendable {
    /// The suffix list (see ``PublicSuffixList/load(path:)``).
    public var publicSuffixes: PublicSuffixList
    /// The network's own ranges (`--own-network`): no blocked address or network may overlap them.
    public var ownNetworks: [String]
    /// `--force`: write what the guard would refuse, reporting each as forced.
    public var force: Bool

    public init(publicSuffixes: PublicSuffixList = BlocklistGuard.systemSuffixes, ownNetworks: [String] = [], force: Bool = false) {
        self.publicSuffixes = publicSuffixes
        self.ownNetworks = ownNetworks
        self.force = force
    }

    /// The list found on this system (or the built-in one), read once.
    public static let systemSuffixes: PublicSuffixList = (try? PublicSuffixList.load())
        ?? PublicSuffixList(text: PublicSuffixList.builtIn, source: "built-in", isFullList: false)

    /// Why blocking `name` with all its subdomains is refused, or `nil`.
    func refusesDomain(_ name: String) -> String? {
        publicSuffixes.isPublicSuffix(name)
            ? "\(name) is a public suffix (Public Suffix List: anyone can register names under it); blocking it would block every domain below it"
            : nil
    }

    /// Why blocking an address or network is refused, or `nil`; own ranges that do not parse are ignored
    /// here (the command line validates them).
    func refusesAddress(_ value: String) -> String? {
        guard let net = GuardNetwork(value) else { return nil }
        if net.prefix == 0 { return "\(value) is a default route: it matches every address" }
        for (special, what) in GuardNetwork.special where net.overlaps(special) {
            return "\(value) covers \(what)"
        }
        for own in ownNetworks {
            if let o = GuardNetwork(own), net.overlaps(o) { return "\(value) overlaps the own network \(own) (--own-network)" }
        }
        return nil
    }
}
