import VigilCore
import VigilHunt

/// The static address-to-host mapping file (documented in docs/verdicts.md).
///
/// One entry per line, fields separated by spaces or tabs, `#` starts a comment:
///
///     <address or CIDR>  <host>      [<from> <until>]
///     <address or CIDR>  @nat        [<from> <until>]
///     <address or CIDR>  @proxy      [<from> <until>]
///
/// `from` and `until` are ISO 8601 times or dates (UTC unless an offset is given) or epoch seconds;
/// `-` leaves that end open. `@nat` and `@proxy` declare an address many hosts stand behind: contacts
/// from it are never attributed to a host.
public struct MappingFile: Sendable {
    public enum Target: Sendable, Hashable {
        case host(String)
        case shared(SharedKind)
    }

    public struct Entry: Sendable, Hashable {
        public var network: IPNetwork
        public var target: Target
        public var period: Period?
        /// `file:line` of the entry.
        public var evidence: String
    }

    public var entries: [Entry] = []
    /// Lines that did not parse, with file and line.
    public var diagnostics: [Diagnostic] = []
    /// At most this many entries are read; the rest are reported.
    public static let maxEntries = 1_000_000

    public init() {}

    /// Parses the text of a mapping file named `path` (the name is used in evidence and diagnostics).
    public init(text: String, path: String) {
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            func bad(_ message: String) { diagnostics.append(Diagnostic(kind: "bad-mapping-line", path: path, line: number, message: message)) }
            guard entries.count < Self.maxEntries else { bad("more than \(Self.maxEntries) entries; the rest are ignored"); break }
            guard fields.count == 2 || fields.count == 4 else { bad("expected <address or CIDR> <host> [<from> <until>], found \(fields.count) fields"); continue }
            let addressText = String(fields[0])
            guard addressText.utf8.count <= 64, let network = IPNetwork(addressText) else { bad("not an address or CIDR: \(addressText.prefix(64))"); continue }
            let name = String(fields[1])
            let target: Target
            switch name.lowercased() {
            case "@nat": target = .shared(.nat)
            case "@proxy": target = .shared(.proxy)
            default:
                guard !name.hasPrefix("@"), name.utf8.count <= 255 else { bad("unknown keyword or over-long host: \(name.prefix(64))"); continue }
                target = .host(name)
            }
            var period: Period?
            if fields.count == 4 {
                let from = fields[2] == "-" ? -Double.infinity : VerdictTime.parse(String(fields[2]))
                let until = fields[3] == "-" ? Double.infinity : VerdictTime.parse(String(fields[3]))
                guard let from, let until else { bad("bad time (ISO 8601, a date, epoch seconds or -)"); continue }
                guard from <= until else { bad("validity ends before it starts"); continue }
                period = Period(start: from, end: until)
            }
            entries.append(Entry(network: network, target: target, period: period, evidence: "\(path):\(number)"))
        }
    }
}
