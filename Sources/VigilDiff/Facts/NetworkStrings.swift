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
    /// collide with file extensions (no `.py`, `.sh`, `.pl`, `.rs`, `.md`, `.so`, `.cc`) or with
    /// attribute names in scripts (no `.name`, `.app`, `.site`, `.live`, `.link`, `.dev`).
    public static let knownTopLevelDomains: Set<String> = [
        "com", "net", "org", "info", "biz", "io", "co", "xyz", "top", "wiki", "mobi",
        "ru", "cn", "uk", "de", "fr", "jp", "kr", "kp", "br", "us", "eu", "tk", "ml", "ga", "cf", "gq", "pw", "tv",
        "ws", "su", "ir", "ua", "nl", "it", "es", "ch", "se", "no", "fi", "cz", "at", "be", "au", "ca", "hk", "tw",
        "sg", "vn", "tr", "ro", "gov", "edu", "mil", "onion",
    ]

    /// Extracts indicators as `kind:value` strings (`url:https://…`, `domain:…`, `endpoint:…`),
    /// sorted and unique, skipping `excluding` byte ranges (a signature's certificates, say).
    public static func extract(_ bytes: [UInt8], excluding: [Range<Int>] = []) -> [String] {
        var found: Set<String> = []
        func consider(_ run: [UInt8]) {
            guard found.count < maxResults else { return }
            for token in tokens(run) where mayBeNetwork(token) {
                if let indicator = classify(Substring(String(decoding: token, as: UTF8.self))) { found.insert(indicator) }
            }
        }
        forEachRun(in: bytes, excluding: excluding, consider)
        return found.sorted()
    }

    /// Calls `body` with every run of printable ASCII, and every UTF-16LE run (as ASCII), of at
    /// least ``minimumRun`` characters that contains a dot (every network indicator and module
    /// name has one). One pass per encoding over the raw buffer.
    static func forEachRun(in bytes: [UInt8], excluding: [Range<Int>], _ body: ([UInt8]) -> Void) {
        let ranges = excluding.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        bytes.withUnsafeBufferPointer { buffer in
            // ASCII: runs are contiguous, so only their bounds are tracked.
            scan(buffer, start: 0, step: 1, ranges: ranges) { lower, upper, _ in
                body(Array(buffer[lower..<upper]))
            }
            // UTF-16LE at both alignments: every other byte, the zero high bytes dropped.
            for alignment in 0..<2 {
                scan(buffer, start: alignment, step: 2, ranges: ranges) { lower, upper, _ in
                    var run: [UInt8] = []
                    run.reserveCapacity((upper - lower) / 2)
                    var i = lower
                    while i < upper { run.append(buffer[i]); i += 2 }
                    body(run)
                }
            }
        }
    }

    /// Finds runs of at least ``minimumRun`` printable characters containing a dot, with the given
    /// stride (1 for ASCII, 2 for UTF-16LE, where the byte after each character must be zero), and
    /// reports each as `lower..<upper` (upper is one stride past the last character).
    private static func scan(
        _ buffer: UnsafeBufferPointer<UInt8>, start: Int, step: Int, ranges: [Range<Int>], _ report: (Int, Int, Int) -> Void
    ) {
        let count = buffer.count
        var i = start
        var runStart = -1
        var length = 0
        var hasDot = false
        var nextRange = 0
        while i < count {
            while nextRange < ranges.count, ranges[nextRange].upperBound <= i { nextRange += 1 }
            var printable = false
            if nextRange < ranges.count, ranges[nextRange].contains(i) {
                printable = false
            } else {
                let b = buffer[i]
                printable = b >= 0x20 && b < 0x7F && (step == 1 || (i + 1 < count && buffer[i + 1] == 0))
                if printable {
                    if runStart < 0 { runStart = i }
                    length += 1
                    if b == 0x2E { hasDot = true }
                }
            }
            if !printable {
                if hasDot, length >= minimumRun { report(runStart, i, length) }
                runStart = -1
                length = 0
                hasDot = false
            }
            i += step
        }
        if hasDot, length >= minimumRun, runStart >= 0 { report(runStart, min(i, count), length) }
    }

    /// Splits a run into candidate tokens at bytes that never occur in a URL or host name; keeps
    /// tokens of at least four bytes that contain a dot.
    static func tokens(_ run: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = 0
        var dot = false
        for i in 0...run.count {
            if i == run.count || isSeparator[Int(run[i])] {
                if dot, i - start >= 4 { out.append(run[start..<i]) }
                start = i + 1
                dot = false
            } else if run[i] == 0x2E {
                dot = true
            }
        }
        return out
    }

    /// Bytes that never occur in a URL or host name: space, tab, quotes, brackets, `|\\^,;`.
    private static let isSeparator: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for b in " \t\"'`<>(){}|\\^,;".utf8 { table[Int(b)] = true }
        return table
    }()

    /// A cheap byte-level test before the full classification: a scheme (`://`), an `address:port`,
    /// or a last label that is a known top-level domain.
    static func mayBeNetwork(_ token: ArraySlice<UInt8>) -> Bool {
        let colon = UInt8(ascii: ":"), slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        if let c = token.firstIndex(of: colon) {
            if token.index(c, offsetBy: 2, limitedBy: token.endIndex).map({ $0 < token.endIndex && token[c + 1] == slash && token[c + 2] == slash }) == true {
                return true
            }
            if token[token.startIndex..<c].allSatisfy({ $0 == dot || ($0 >= 0x30 && $0 <= 0x39) }) { return true }
        }
        var host = token
        if let s = host.firstIndex(of: slash) { host = host[host.startIndex..<s] }
        while let last = host.last, last == dot || last == colon { host = host.dropLast() }
        guard let lastDot = host.lastIndex(of: dot) else { return false }
        let tld = String(decoding: host[(lastDot + 1)...], as: UTF8.self).lowercased()
        return knownTopLevelDomains.contains(tld)
    }

    /// Classifies one token, or returns `nil` when it is not a network indicator worth reporting.
    static func classify(_ raw: Substring) -> String? {
        var token = raw
        let lower = token.lowercased()
        for scheme in ["https://", "http://", "ftp://", "wss://", "ws://"] {
            if let range = lower.range(of: scheme) {
                let distance = lower.distance(from: lower.startIndex, to: range.lowerBound)
                token = token.dropFirst(distance)
                while let last = token.last, ".,:!?".contains(last) { token = token.dropLast() }
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
        case .domain where hasKnownTopLevel(c.value) && (c.value.split(separator: ".").dropLast().last?.count ?? 0) >= 3:
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
