import VigilIndicators

/// Finds network indicators (URLs, domain names, `address:port` endpoints) in a file's printable
/// ASCII and UTF-16LE strings and canonicalises them with `Normalizer.classify`.
///
/// Binary files are full of dotted names that are not hosts (`kernel32.dll`, `setup.py`, version
/// numbers), so a bare domain counts only when its top-level label is in ``knownTopLevelDomains``,
/// and a bare IPv4 address only with a port (`10.1.2.3:443`) or inside a URL.
public enum NetworkStrings {
    /// Shortest string run considered.
    static let minimumRun = 6
    /// Indicators kept per file.
    static let maxResults = 500

    /// Top-level labels accepted for bare domains: common generic TLDs and country codes that do not
    /// collide with file extensions seen in software (no `.py`, `.sh`, `.pl`, `.rs`, `.md`, `.so`, `.cc`).
    public static let knownTopLevelDomains: Set<String> = [
        "com", "net", "org", "info", "biz", "io", "co", "xyz", "top", "site", "online", "app", "dev", "cloud",
        "wiki", "shop", "live", "club", "store", "tech", "space", "website", "link", "click", "pro", "name", "mobi",
        "ru", "cn", "uk", "de", "fr", "jp", "kr", "kp", "br", "us", "eu", "tk", "ml", "ga", "cf", "gq", "pw", "tv",
        "ws", "su", "ir", "ua", "nl", "it", "es", "ch", "se", "no", "fi", "cz", "at", "be", "au", "ca", "hk", "tw",
        "sg", "vn", "id", "tr", "ro", "gov", "edu", "mil", "int", "onion",
    ]

    /// Extracts indicators as `kind:value` strings (`url:https://…`, `domain:…`, `endpoint:…`),
    /// sorted and unique, skipping `excluding` byte ranges (a signature's certificates, say).
    public static func extract(_ bytes: [UInt8], excluding: [Range<Int>] = []) -> [String] {
        var found: Set<String> = []
        func consider(_ run: [UInt8]) {
            guard found.count < maxResults else { return }
            for token in tokens(String(decoding: run, as: UTF8.self)) {
                if let indicator = classify(token) { found.insert(indicator) }
            }
        }
        forEachRun(in: bytes, excluding: excluding, consider)
        return found.sorted()
    }

    /// Calls `body` with every run of printable ASCII, and every UTF-16LE run (as ASCII), of at
    /// least ``minimumRun`` characters.
    static func forEachRun(in bytes: [UInt8], excluding: [Range<Int>], _ body: ([UInt8]) -> Void) {
        @inline(__always) func printable(_ b: UInt8) -> Bool { b >= 0x20 && b < 0x7F }
        func excluded(_ i: Int) -> Bool { excluding.contains { $0.contains(i) } }
        var run: [UInt8] = []
        for i in bytes.indices {
            let b = bytes[i]
            if printable(b), !excluded(i) {
                run.append(b)
            } else {
                if run.count >= minimumRun { body(run) }
                run.removeAll(keepingCapacity: true)
            }
        }
        if run.count >= minimumRun { body(run) }
        for alignment in 0..<2 {
            run.removeAll(keepingCapacity: true)
            var i = alignment
            while i + 1 < bytes.count {
                if bytes[i + 1] == 0, printable(bytes[i]), !excluded(i) {
                    run.append(bytes[i])
                } else {
                    if run.count >= minimumRun { body(run) }
                    run.removeAll(keepingCapacity: true)
                }
                i += 2
            }
            if run.count >= minimumRun { body(run) }
        }
    }

    /// Splits a string run into candidate tokens at characters that never occur in a URL or host.
    static func tokens(_ text: String) -> [Substring] {
        let separators: Set<Character> = [" ", "\t", "\"", "'", "`", "<", ">", "(", ")", "{", "}", "|", "\\", "^", ",", ";"]
        return text.split(whereSeparator: { separators.contains($0) }).filter { $0.count >= 4 && $0.contains(".") }
    }

    /// Classifies one token, or returns `nil` when it is not a network indicator worth reporting.
    static func classify(_ raw: Substring) -> String? {
        var token = raw
        let lower = token.lowercased()
        for scheme in ["https://", "http://", "ftp://", "wss://", "ws://"] {
            if let range = lower.range(of: scheme) {
                let distance = lower.distance(from: lower.startIndex, to: range.lowerBound)
                token = token.dropFirst(distance)
                guard let c = Normalizer.classify(String(token)), c.kind == .url, let parts = URLParts(c.value),
                    hostIsPlausible(parts.host)
                else { return nil }
                return "url:" + c.value
            }
        }
        while let last = token.last, ".:/".contains(last) { token = token.dropLast() }
        // address:port
        if let colon = token.lastIndex(of: ":"), let port = Int(token[token.index(after: colon)...]), port > 0, port < 65536,
            let ip = Normalizer.normalizeIPv4(String(token[..<colon]))
        {
            return "endpoint:\(ip):\(port)"
        }
        guard let c = Normalizer.classify(String(token)) else { return nil }
        switch c.kind {
        case .domain where hasKnownTopLevel(c.value) && c.value.split(separator: ".").count >= 2:
            return "domain:" + c.value
        case .url:
            guard let parts = URLParts(c.value), hasKnownTopLevel(parts.host) else { return nil }
            return "url:" + c.value
        default:
            return nil
        }
    }

    private static func hostIsPlausible(_ host: String) -> Bool {
        hasKnownTopLevel(host) || Normalizer.normalizeIPv4(host) != nil || host.hasPrefix("[")
            || (host.split(separator: ".").count >= 2 && host.split(separator: ".").last.map { $0.allSatisfy(\.isLetter) } == true)
    }

    private static func hasKnownTopLevel(_ host: String) -> Bool {
        guard let tld = host.split(separator: ".").last else { return false }
        return knownTopLevelDomains.contains(tld.lowercased())
    }
}
