import Foundation
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilIndicators
import VigilScan

/// What one retro-hunt did: indicators looked up, hits, findings recorded, time taken.
public struct RetroHuntReport: Codable, Sendable, Hashable {
    /// Hash indicators looked up in the inventory index (SHA-256, MD5, SHA-1).
    public var hashIndicators: Int
    /// File-name indicators looked up by their literal base name.
    public var nameIndicators: Int
    /// File-name indicators whose regular expression has no literal base name: the inventory index
    /// cannot answer them, so they are matched only on arrival of new batches.
    public var nameIndicatorsNotIndexable: Int
    /// Inventory rows that matched.
    public var hits: Int
    /// Distinct hosts with at least one hit (online or not: the hunt reads the stored inventory).
    public var hosts: Int
    /// Findings recorded, and how many of them were new.
    public var findings: Int
    public var newFindings: Int
    /// Wall-clock time of the lookups and the recording, in milliseconds, and of the lookups alone.
    public var milliseconds: Double
    public var lookupMilliseconds: Double

    public init(
        hashIndicators: Int = 0, nameIndicators: Int = 0, nameIndicatorsNotIndexable: Int = 0, hits: Int = 0, hosts: Int = 0,
        findings: Int = 0, newFindings: Int = 0, milliseconds: Double = 0, lookupMilliseconds: Double = 0
    ) {
        self.hashIndicators = hashIndicators
        self.nameIndicators = nameIndicators
        self.nameIndicatorsNotIndexable = nameIndicatorsNotIndexable
        self.hits = hits
        self.hosts = hosts
        self.findings = findings
        self.newFindings = newFindings
        self.milliseconds = milliseconds
        self.lookupMilliseconds = lookupMilliseconds
    }
}

/// Matches indicators against the stored inventory of every host and records the findings.
public enum RetroHunt {
    /// Digests per store lookup (one indexed `IN (…)` query each).
    static let chunk = 1000

    /// Hunts `indicators` (only hash and file-name kinds take part) across the whole inventory.
    public static func run(_ indicators: [Indicator], store: any FleetStore, at now: Date = Date()) async throws -> RetroHuntReport {
        let clock = ContinuousClock()
        let start = clock.now
        var report = RetroHuntReport()
        var found: [HostFinding] = []

        // Hashes: one index probe per chunk of digests.
        var byKind: [IndicatorKind: [String: Indicator]] = [:]
        for indicator in indicators where indicator.kind.isHash { byKind[indicator.kind, default: [:]][indicator.value] = indicator }
        for (kind, table) in byKind {
            report.hashIndicators += table.count
            let values = Array(table.keys)
            for start in stride(from: 0, to: values.count, by: chunk) {
                let digests = values[start..<min(start + chunk, values.count)].compactMap(rawDigest)
                guard !digests.isEmpty else { continue }
                let hits: [InventoryHit] = switch kind {
                case .md5: try await store.inventory(md5: digests)
                case .sha1: try await store.inventory(sha1: digests)
                default: try await store.inventory(sha256: digests)
                }
                for hit in hits {
                    let value: String? = switch kind {
                    case .md5: hit.file.md5
                    case .sha1: hit.file.sha1
                    default: hit.file.sha256
                    }
                    guard let value, let indicator = table[value.lowercased()] else { continue }
                    report.hits += 1
                    let finding = IndicatorFinding.hashHit(
                        indicator, path: hit.file.path, md5: hit.file.md5, sha1: hit.file.sha1, sha256: hit.file.sha256)
                    found.append(HostFinding(hostID: hit.hostID, finding: finding))
                }
            }
        }

        // File names: look up each regex's literal base name, then confirm every hit with the regex
        // itself (and its false-positive regex), as `vigil scan` would on that path.
        let nameIndicators = indicators.filter { $0.kind == .filename }
        if !nameIndicators.isEmpty {
            var names = Set<String>()
            for indicator in nameIndicators {
                if let name = literalBaseName(indicator.value) {
                    names.insert(name.lowercased())
                    report.nameIndicators += 1
                } else {
                    report.nameIndicatorsNotIndexable += 1
                }
            }
            let matcher = FilenameMatcher(indicators: nameIndicators)
            let all = Array(names)
            for start in stride(from: 0, to: all.count, by: chunk) {
                for hit in try await store.inventory(names: Array(all[start..<min(start + chunk, all.count)])) {
                    for indicator in matcher.match(path: hit.file.path).hits {
                        report.hits += 1
                        found.append(HostFinding(hostID: hit.hostID, finding: IndicatorFinding.filenameHit(indicator, path: hit.file.path)))
                    }
                }
            }
        }

        report.lookupMilliseconds = Self.milliseconds(clock.now - start)
        report.hosts = Set(found.map(\.hostID)).count
        report.findings = found.count
        if !found.isEmpty { report.newFindings = try await store.recordFindings(found, at: now) }
        report.milliseconds = Self.milliseconds(clock.now - start)
        return report
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// 16, 20 or 32 raw bytes from lower-case hex, or nil.
    static func rawDigest(_ hex: String) -> Data? {
        let bytes = Array(hex.utf8)
        guard bytes.count % 2 == 0, [32, 40, 64].contains(bytes.count) else { return nil }
        var out = Data(capacity: bytes.count / 2)
        var i = 0
        while i < bytes.count {
            guard let hi = nibble(bytes[i]), let lo = nibble(bytes[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// The literal file name at the end of a file-name regex (`\\3CXDesktopApp-18\.12\.416\.msi` →
    /// `3CXDesktopApp-18.12.416.msi`), or nil when that last path component is not a plain literal
    /// (wildcards, classes, alternatives). The hit is confirmed with the full regex afterwards.
    public static func literalBaseName(_ regex: String) -> String? {
        var source = Substring(regex)
        if source.hasSuffix("$") { source = source.dropLast() }
        // The last component starts after the last unescaped separator (`\\` or `/`).
        var chars = Array(source)
        var componentStart = 0
        var i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 1 < chars.count {
                if chars[i + 1] == "\\" { componentStart = i + 2 }
                i += 2
                continue
            }
            if chars[i] == "/" { componentStart = i + 1 }
            i += 1
        }
        chars = Array(chars[componentStart...])
        if chars.first == "^" { chars.removeFirst() }
        var name = ""
        i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                guard i + 1 < chars.count else { return nil }
                let next = chars[i + 1]
                // Escaped punctuation is literal; `\d`, `\w`, `\s`… are classes.
                guard !next.isLetter, !next.isNumber else { return nil }
                name.append(next)
                i += 2
                continue
            }
            if ".*+?()[]{}|^$".contains(c) { return nil }
            name.append(c)
            i += 1
        }
        return name.isEmpty ? nil : name
    }
}
