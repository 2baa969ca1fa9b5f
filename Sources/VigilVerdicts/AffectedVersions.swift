/// A product version seen on a host (from inventory version information, not from a file's hash).
public struct VersionFact: Sendable, Hashable, Codable {
    public var product: String
    public var version: String
    /// Where it was found (installed program's file or bundle).
    public var path: String
    /// `windows`, `macos` or `linux` when the agent knows; otherwise guessed from the path.
    public var platform: String?

    public init(product: String, version: String, path: String, platform: String? = nil) {
        self.product = product
        self.version = version
        self.path = path
        self.platform = platform
    }

    /// The platform, given or guessed from the path (`.app/` or `/Applications/` → macOS, a drive
    /// letter, a backslash or `.exe` → Windows).
    public var effectivePlatform: String? {
        if let platform { return platform.lowercased() }
        let p = path.lowercased()
        if p.contains(".app/") || p.hasSuffix(".app") || p.hasPrefix("/applications/") { return "macos" }
        if p.contains("\\") || p.hasSuffix(".exe") || (p.count > 2 && p.dropFirst().hasPrefix(":")) { return "windows" }
        return nil
    }
}

/// Dotted numeric versions, compared component by component (`18.12.416` > `18.11.1213`).
public struct DottedVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var parts: [Int]

    /// Parses up to 8 numeric components; a leading `v` is allowed; anything else → `nil`.
    public init?(_ text: String) {
        var t = Substring(text.trimmingCharacters(in: " "))
        if t.first == "v" || t.first == "V" { t = t.dropFirst() }
        let comps = t.split(separator: ".", omittingEmptySubsequences: false)
        guard !comps.isEmpty, comps.count <= 8 else { return nil }
        var parts: [Int] = []
        for c in comps {
            guard !c.isEmpty, c.count <= 9, let v = Int(c), v >= 0 else { return nil }
            parts.append(v)
        }
        self.parts = parts
    }

    public static func < (a: DottedVersion, b: DottedVersion) -> Bool {
        for i in 0..<max(a.parts.count, b.parts.count) {
            let x = i < a.parts.count ? a.parts[i] : 0
            let y = i < b.parts.count ? b.parts[i] : 0
            if x != y { return x < y }
        }
        return false
    }

    public static func == (a: DottedVersion, b: DottedVersion) -> Bool { !(a < b) && !(b < a) }
    public func hash(into h: inout Hasher) {
        var p = parts
        while p.last == 0 { p.removeLast() }
        h.combine(p)
    }
    public var description: String { parts.map(String.init).joined(separator: ".") }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}

/// Product versions known to have shipped compromised.
public struct AffectedVersions: Sendable {
    public struct Entry: Sendable, Hashable {
        /// Product names (compared lowercase with everything but letters and digits removed).
        public var products: [String]
        /// `windows`, `macos`, `linux`, or `nil` for any platform.
        public var platform: String?
        /// Inclusive lowest and highest affected version.
        public var lowest: DottedVersion
        public var highest: DottedVersion
        /// The campaign the versions belong to.
        public var campaign: String
        /// Who said so.
        public var source: String

        public init(products: [String], platform: String?, lowest: DottedVersion, highest: DottedVersion, campaign: String, source: String) {
            self.products = products
            self.platform = platform
            self.lowest = lowest
            self.highest = highest
            self.campaign = campaign
            self.source = source
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The 3CX Desktop App builds 3CX named as compromised in its March 2023 security alert:
    /// Windows Electron 18.12.407 and 18.12.416, macOS Electron 18.11.1213 up to 18.12.416.
    public static let builtIn: AffectedVersions = {
        let names = ["3CX Desktop App", "3CXDesktopApp", "3CX Desktop"]
        func v(_ s: String) -> DottedVersion { DottedVersion(s)! }
        let source = "3CX security alert, March 2023"
        return AffectedVersions(entries: [
            Entry(products: names, platform: "windows", lowest: v("18.12.407"), highest: v("18.12.407"), campaign: "3cx-2023", source: source),
            Entry(products: names, platform: "windows", lowest: v("18.12.416"), highest: v("18.12.416"), campaign: "3cx-2023", source: source),
            Entry(products: names, platform: "macos", lowest: v("18.11.1213"), highest: v("18.12.416"), campaign: "3cx-2023", source: source),
        ])
    }()

    static func key(_ s: String) -> String { String(s.lowercased().unicodeScalars.filter { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }.map(Character.init)) }

    /// The entry a version fact falls into, if any. A fact whose platform is unknown matches an entry
    /// of any platform.
    public func match(_ fact: VersionFact) -> Entry? {
        guard let version = DottedVersion(fact.version) else { return nil }
        let product = Self.key(fact.product)
        let platform = fact.effectivePlatform
        return entries.first { e in
            e.products.contains { Self.key($0) == product } && (e.platform == nil || platform == nil || e.platform == platform)
                && e.lowest <= version && version <= e.highest
        }
    }
}
