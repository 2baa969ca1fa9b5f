/// Destinations that beacon by design (OS and browser updates, push notifications, certificate
/// status, time, CDN health checks). A beacon to one of them is not hidden: it is listed as
/// *suppressed* with the reason, so an analyst can still see it. Applied when the report is built,
/// never at import, so changing the list never needs a re-read.
///
/// Deliberately absent: `3cx.com` and any vendor's own update service that is not an OS or browser
/// vendor — the 3CX compromise shipped through exactly such a channel.
public struct Allowlist: Sendable {
    public struct Entry: Sendable, Hashable {
        /// A domain (matching itself and its subdomains) or a CIDR.
        public var value: String
        public var reason: String
        public init(value: String, reason: String) {
            self.value = value
            self.reason = reason
        }
    }

    private var domains: [String: String] = [:]
    private var networks: [(IPNetwork, String)] = []

    public init(_ entries: [Entry] = []) {
        for e in entries { add(e) }
    }

    /// Adds a domain suffix or CIDR; returns `false` when the value is neither.
    @discardableResult
    public mutating func add(_ e: Entry) -> Bool {
        if let n = IPNetwork(e.value) {
            networks.append((n, e.reason))
            return true
        }
        var d = e.value.lowercased()
        if d.hasPrefix("*.") { d.removeFirst(2) }
        if d.hasSuffix(".") { d.removeLast() }
        guard d.contains("."), !d.contains("/"), !d.contains(" ") else { return false }
        domains[d] = e.reason
        return true
    }

    /// The reason a domain (or one of its parents) is allowed, if it is.
    public func reason(forDomain name: String) -> String? {
        var candidate = Substring(name.lowercased())
        while true {
            if let r = domains[String(candidate)] { return r }
            guard let dot = candidate.firstIndex(of: ".") else { return nil }
            candidate = candidate[candidate.index(after: dot)...]
        }
    }

    /// The reason an address is allowed, if it is.
    public func reason(forAddress ip: IPAddress) -> String? {
        networks.first { $0.0.contains(ip) }?.1
    }

    /// The built-in list of well-known periodic services (from RITA users' `NeverIncludeDomain`
    /// lists, rita-legacy#713, and vendor documentation of update endpoints).
    public static let builtIn: Allowlist = {
        let windows = "Windows Update / Microsoft delivery: polls on a schedule"
        let push = "push notification channel: keeps a periodic heartbeat"
        let ocsp = "certificate revocation (OCSP/CRL): fetched periodically by every TLS client"
        let google = "Google update, Safe Browsing and service front ends: periodic by design"
        let entries: [(String, String)] = [
            ("windowsupdate.com", windows), ("update.microsoft.com", windows), ("delivery.mp.microsoft.com", windows),
            ("wns.windows.com", push), ("notify.windows.com", push), ("push.apple.com", push),
            ("msedge.net", "Microsoft Edge / Office CDN (Azure Front Door)"), ("e-msedge.net", "Microsoft CDN edge"),
            ("trafficmanager.net", "Azure Traffic Manager health-routed endpoints"),
            ("1e100.net", google), ("update.googleapis.com", google), ("safebrowsing.googleapis.com", google),
            ("clients2.google.com", google), ("clients4.google.com", google),
            ("deploy.static.akamaitechnologies.com", "Akamai CDN edge (reverse DNS of many update services)"),
            ("ocsp.digicert.com", ocsp), ("ocsp.pki.goog", ocsp), ("ocsp.sectigo.com", ocsp), ("ocsp.usertrust.com", ocsp),
            ("r3.o.lencr.org", ocsp), ("o.lencr.org", ocsp), ("ocsp.globalsign.com", ocsp), ("ocsp.entrust.net", ocsp),
            ("crl.microsoft.com", ocsp), ("ctldl.windowsupdate.com", ocsp),
            ("time.windows.com", "NTP time synchronisation"), ("pool.ntp.org", "NTP time synchronisation"),
            ("time.apple.com", "NTP time synchronisation"),
            ("swscan.apple.com", "Apple software update"), ("mesu.apple.com", "Apple software update"),
            ("aus5.mozilla.org", "Firefox update checks"), ("detectportal.firefox.com", "Firefox captive-portal check"),
            ("connectivitycheck.gstatic.com", "Android/Chrome connectivity check"),
            ("msftconnecttest.com", "Windows network connectivity status indicator"),
            ("security.ubuntu.com", "Ubuntu package updates"), ("archive.ubuntu.com", "Ubuntu package updates"),
            ("deb.debian.org", "Debian package updates"), ("security.debian.org", "Debian package updates"),
        ]
        return Allowlist(entries.map { Entry(value: $0.0, reason: $0.1) })
    }()

    /// Number of entries.
    public var count: Int { domains.count + networks.count }
}
