/// Well-known services that poll, update or report telemetry on a schedule: a beacon to one of them
/// is expected, so its Vigil score is lowered (it is still reported when it stays above the threshold,
/// and the reason is shown). Unlike the ``Allowlist`` nothing is hidden.
///
/// A name matches an entry when it is the entry's domain or one of its subdomains, compared label by
/// label: `v10.events.data.microsoft.com` matches `events.data.microsoft.com`, while a look-alike
/// such as `msedgepackageinfo.com` or `events.data.microsoft.com.example.net` never matches. An entry
/// may also be a CIDR, for a vendor's own documented server network (never a shared cloud range,
/// where anyone can rent a C2 server).
///
/// The built-in table (``builtIn``) names, for every entry, the vendor document that lists the host
/// as an endpoint of the product. A user file (`vigil hunt --known-services FILE`) adds entries or
/// removes built-in ones; see ``parse(_:source:)``.
public struct KnownServices: Sendable {
    /// One service domain.
    public struct Entry: Sendable, Hashable, Codable {
        /// The domain (matching itself and its subdomains; lower case, no trailing dot) or a CIDR.
        public var value: String
        /// What the service is and why it is periodic.
        public var service: String
        /// Where the entry comes from (a vendor document, or the user file and line).
        public var source: String

        public init(value: String, service: String, source: String) {
            self.value = value
            self.service = service
            self.source = source
        }
    }

    private var byDomain: [String: Entry] = [:]
    private var networks: [(network: IPNetwork, entry: Entry)] = []

    public init(_ entries: [Entry] = []) {
        for e in entries { add(e) }
    }

    /// Number of entries.
    public var count: Int { byDomain.count + networks.count }

    /// Every entry, sorted by value.
    public var entries: [Entry] { (Array(byDomain.values) + networks.map(\.entry)).sorted { $0.value < $1.value } }

    /// Normalises a domain for the table: lower case, no `*.` prefix, no trailing dot; `nil` when it
    /// is not a plausible domain (no dot, spaces, slashes, an empty label).
    static func normalise(_ text: String) -> String? {
        var d = text.lowercased()
        if d.hasPrefix("*.") { d.removeFirst(2) }
        if d.hasSuffix(".") { d.removeLast() }
        guard d.count <= 253, d.contains("."), !d.contains(".."), !d.hasPrefix("."),
              d.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" })
        else { return nil }
        return d
    }

    /// Adds (or replaces) an entry; returns `false` when the value is neither a domain nor a CIDR.
    @discardableResult
    public mutating func add(_ e: Entry) -> Bool {
        if let n = IPNetwork(e.value) {
            networks.removeAll { $0.network.description == n.description }
            networks.append((n, Entry(value: n.description, service: e.service, source: e.source)))
            return true
        }
        guard let d = Self.normalise(e.value) else { return false }
        byDomain[d] = Entry(value: d, service: e.service, source: e.source)
        return true
    }

    /// Removes the entry for exactly this domain or CIDR; returns whether there was one.
    @discardableResult
    public mutating func remove(_ value: String) -> Bool {
        if let n = IPNetwork(value) {
            let before = networks.count
            networks.removeAll { $0.network.description == n.description }
            return networks.count < before
        }
        guard let d = Self.normalise(value) else { return false }
        return byDomain.removeValue(forKey: d) != nil
    }

    /// The entry whose network holds `address`, if any.
    public func match(address: IPAddress) -> Entry? {
        networks.first { $0.network.contains(address) }?.entry
    }

    /// The entry covering `name` (the name itself or its nearest listed parent), if any.
    public func match(_ name: String) -> Entry? {
        guard !byDomain.isEmpty else { return nil }
        var candidate = Substring(name.lowercased())
        if candidate.hasSuffix(".") { candidate = candidate.dropLast() }
        while true {
            if let e = byDomain[String(candidate)] { return e }
            guard let dot = candidate.firstIndex(of: ".") else { return nil }
            candidate = candidate[candidate.index(after: dot)...]
        }
    }

    /// A problem in a user's service file.
    public struct FileProblem: Error, Sendable, Hashable, CustomStringConvertible {
        public var source: String
        public var line: Int
        public var message: String
        public var description: String { "\(source):\(line): \(message)" }
    }

    /// Applies a user's service file to this table. One entry per line:
    ///
    ///     # comment
    ///     updates.example.com   Example agent update check (our IT wiki, page 12)
    ///     !dropbox.com          remove a built-in entry
    ///
    /// The domain or CIDR comes first (a `*.` prefix is allowed and means the same), then, after spaces
    /// or a tab, what the service is. Blank lines and lines starting with `#` are skipped. A line whose
    /// domain is not a domain is reported, never dropped silently; the other lines still apply.
    /// - Returns: the problems found, with file name and line.
    @discardableResult
    public mutating func apply(file text: String, source: String) -> [FileProblem] {
        var problems: [FileProblem] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if lineNumber > 100_000 {
                problems.append(FileProblem(source: source, line: lineNumber, message: "more than 100,000 lines: the rest is ignored"))
                break
            }
            var line = raw.trimmingCharacters(in: [" ", "\t", "\r"])
            if line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let removing = line.hasPrefix("!")
            if removing { line.removeFirst() }
            let parts = line.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
            let domain = parts.first.map(String.init) ?? ""
            if removing {
                if !remove(domain) { problems.append(FileProblem(source: source, line: lineNumber, message: "'\(domain)' is not in the table: nothing removed")) }
                continue
            }
            let service = parts.count > 1 ? parts[1].trimmingCharacters(in: [" ", "\t"]) : "listed in \(source)"
            if !add(Entry(value: domain, service: service.isEmpty ? "listed in \(source)" : service, source: "\(source):\(lineNumber)")) {
                problems.append(FileProblem(source: source, line: lineNumber, message: "'\(domain)' is neither a domain nor a CIDR"))
            }
        }
        return problems
    }

    /// The built-in table: update, telemetry and polling endpoints that vendors document for their
    /// firewall and proxy allow-lists. Hosts already on the ``Allowlist`` (Windows Update, OCSP, NTP…)
    /// are not repeated here. `3cx.com` is deliberately absent: the 3CX compromise shipped through a
    /// vendor's own update channel.
    public static let builtIn: KnownServices = {
        let winEndpoints = "Microsoft Learn, 'Manage connection endpoints for Windows 11 Enterprise'"
        let doEndpoints = "Microsoft Learn, 'Delivery Optimization and Microsoft Connected Cache content and services endpoints'"
        let m365 = "Microsoft Learn, 'Microsoft 365 URLs and IP address ranges'"
        let defender = "Microsoft Learn, 'Configure device proxy and Internet connectivity settings' (Microsoft Defender for Endpoint)"
        let eset = "ESET Knowledgebase KB332, 'Which addresses and ports should I allow on my third-party firewall?'"
        let dropbox = "Dropbox Help Center, 'Configure your firewall to work with Dropbox' (domains the desktop app uses)"
        let slack = "Slack Help Center, 'Slack's network requirements' (domains to allow)"
        let grammarly = "Grammarly Support, 'Which domains should be allowed for Grammarly to work?'"
        let lastpass = "LastPass Support, 'What domains should I allowlist for LastPass?'"
        let vscode = "Visual Studio Code documentation, 'Network connections in Visual Studio Code'"
        let mozilla = "Mozilla Firefox Enterprise, 'Firefox network connections' (policy templates documentation)"
        let chrome = "Google Chrome Enterprise Help, 'Manage Chrome updates: URLs to allow'"
        let table: [(String, String, String)] = [
            // Windows and Microsoft 365 telemetry, content and sign-in.
            ("events.data.microsoft.com", "Windows / Office diagnostic data (connected user experiences and telemetry): uploads on a schedule", winEndpoints),
            ("settings-win.data.microsoft.com", "Windows settings and configuration service: polled on a schedule", winEndpoints),
            ("dsp.mp.microsoft.com", "Windows Delivery Optimization (update peer discovery and content): polls while updates are pending", doEndpoints),
            ("do.dsp.mp.microsoft.com", "Windows Delivery Optimization array service", doEndpoints),
            ("licensing.mp.microsoft.com", "Microsoft Store licence checks", winEndpoints),
            ("storequality.microsoft.com", "Microsoft Store catalogue revocation checks", winEndpoints),
            ("arc.msn.com", "Windows Spotlight and lock-screen content: refreshed periodically", winEndpoints),
            ("fd.api.iris.microsoft.com", "Windows Spotlight content service", winEndpoints),
            ("api.cdp.microsoft.com", "Connected Devices Platform / Edge and Windows component update service", winEndpoints),
            ("login.live.com", "Microsoft account sign-in and token refresh", winEndpoints),
            ("g.live.com", "Microsoft account / OneDrive configuration", winEndpoints),
            ("login.microsoftonline.com", "Microsoft Entra ID sign-in and token refresh", m365),
            ("graph.microsoft.com", "Microsoft Graph (Microsoft 365 clients' background sync)", m365),
            ("officeapps.live.com", "Microsoft 365 apps: configuration, licensing and add-in services", m365),
            ("config.office.com", "Microsoft 365 apps configuration polling", m365),
            ("teams.microsoft.com", "Microsoft Teams client presence and messaging", m365),
            ("wdcp.microsoft.com", "Microsoft Defender cloud-delivered protection", defender),
            ("wdcpalt.microsoft.com", "Microsoft Defender cloud-delivered protection", defender),
            ("definitionupdates.microsoft.com", "Microsoft Defender security intelligence updates", defender),
            // Antivirus.
            ("eset.com", "ESET security products: module updates, LiveGrid reputation and licence checks, polled every few minutes", eset),
            ("eset.eu", "ESET security products: licence and support services", eset),
            ("eset.sk", "ESET security products: update and licence services", eset),
            ("eset.systems", "ESET security products: update and LiveGrid servers", eset),
            ("esetsoftware.com", "ESET security products: update and installer downloads", eset),
            ("e5.sk", "ESET LiveGrid reputation look-ups (DNS-based)", eset),
            // ESET's own address blocks (KB332's IP list; reverse DNS `*.ptr.eset.com`): push notifications
            // (MQTT, port 8883) and updates are often contacted by address, with no name in HTTP/TLS logs.
            ("91.228.165.0/24", "ESET update and LiveGrid servers (ESET's own network)", eset),
            ("91.228.166.0/24", "ESET update and LiveGrid servers (ESET's own network)", eset),
            ("91.228.167.0/24", "ESET update, LiveGrid and push-notification (MQTT) servers (ESET's own network)", eset),
            ("38.90.226.0/24", "ESET update and push-notification (MQTT) servers (ESET's own network)", eset),
            // File sync.
            ("dropbox.com", "Dropbox desktop app: sync notifications (long polling) and telemetry", dropbox),
            ("dropboxstatic.com", "Dropbox desktop app static content", dropbox),
            // Chat.
            ("slack.com", "Slack client: real-time messaging, presence and edge API polling", slack),
            ("slack-edge.com", "Slack client: static content and edge services", slack),
            ("slack-imgs.com", "Slack client: image proxy", slack),
            ("slack-msgs.com", "Slack client: real-time messaging", slack),
            // Writing and editor telemetry.
            ("grammarly.com", "Grammarly extension and app: checking service, feature flags and telemetry", grammarly),
            ("grammarly.io", "Grammarly extension and app: telemetry and logging", grammarly),
            ("update.code.visualstudio.com", "Visual Studio Code update checks", vscode),
            ("dc.services.visualstudio.com", "Visual Studio Code telemetry", vscode),
            // Password managers.
            ("pollserver.lastpass.com", "LastPass: vault change polling", lastpass),
            ("lastpass.com", "LastPass: vault sync and sign-in", lastpass),
            // Browsers.
            ("incoming.telemetry.mozilla.org", "Firefox telemetry", mozilla),
            ("firefox.settings.services.mozilla.com", "Firefox remote settings polling", mozilla),
            ("push.services.mozilla.com", "Firefox web push connection", mozilla),
            ("gvt1.com", "Chrome component and extension updates", chrome),
        ]
        return KnownServices(table.map { Entry(value: $0.0, service: $0.1, source: $0.2) })
    }()
}
