import ArgumentParser
import Foundation
import VigilCore
import VigilFeeds
import VigilIndicators

/// Options shared by every command that reads the feed store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The feed store folder (default: $VIGIL_STORE, else $XDG_DATA_HOME/vigil or ~/.local/share/vigil).", valueName: "DIR"))
    var store: String?

    var feedStore: FeedStore {
        FeedStore(directory: store.map { URL(fileURLWithPath: $0) } ?? FeedStore.defaultDirectory())
    }
}

/// Text or JSON output for the `feed` subcommands.
enum ListingFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension FeedFormat: ExpressibleByArgument {}

/// `vigil feed`: manage the local indicator feed store.
struct Feed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Import, list, show, remove and export indicator feeds in the local store.",
        discussion: """
            Feeds are read from SophosLabs/Volexity-style CSV, STIX 2.1 (bundle or JSON Lines), MISP \
            (event file or feed folder with manifest.json), OpenIOC 1.0/1.1, Loki IOC files and plain lists. \
            'vigil scan' and 'vigil hunt' use every stored feed.

            Examples:
              vigil feed add "3CX IoCs 2023-03.csv" --name sophos-3cx
              vigil feed add ./misp-feed/ --name eset
              vigil feed list
              vigil feed show sophos-3cx --format json
              vigil feed export sophos-3cx --format stix > 3cx.stix.json
              vigil feed remove sophos-3cx
            """,
        subcommands: [FeedAdd.self, FeedList.self, FeedShow.self, FeedRemove.self, FeedExport.self]
    )
}

struct FeedAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Import a feed file or folder into the store.",
        discussion: """
            The import summary (accepted, duplicate, rejected and skipped per type) goes to standard output; \
            every rejected row is listed on standard error with file, line and reason. Rows imported only after a \
            correction (a port removed, a scheme added, a SHA-1 in a SHA-256 column…) are counted per rule and \
            listed with file, line and the value as published (text: the first \(SummaryText.maxCorrectionNotes); \
            --output json: all). Exit status 0 when every row was imported (possibly corrected) or deliberately \
            skipped, 1 when some rows were rejected (the rest is stored), 2 when the file is not a feed.

            Examples:
              vigil feed add iocs.csv --name volexity-3cx
              vigil feed add apt31.jsonl --format stix --include-expired
              vigil feed add lazarus_3cx.json --store /tmp/store
            """
    )

    @Argument(help: "A feed file, or a folder of feed files (a folder with manifest.json is a MISP feed).")
    var path: String

    @Option(help: "The feed name (default: derived from the file name).")
    var name: String?

    @Option(help: "The format: \(FeedFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: detected).")
    var format: FeedFormat?

    @Flag(help: "Keep STIX indicators whose valid_until has passed.")
    var includeExpired = false

    @Flag(name: .customLong("include-non-ids"), help: "Keep MISP attributes marked to_ids=false.")
    var includeNonIDS = false

    @Option(name: .customLong("output"), help: "Summary format: text or json.")
    var output: ListingFormat = .text

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let store = storeOptions.feedStore
        let options = FeedReadOptions(includeExpired: includeExpired, includeNonIDS: includeNonIDS)
        let (stored, imported): (StoredFeed, FeedImport)
        do {
            (stored, imported) = try store.add(URL(fileURLWithPath: path), name: name, format: format, options: options)
        } catch let error as FeedError {
            printToStandardError("vigil feed add: \(error)")
            throw ExitCode(2)
        } catch let error as FeedStoreBusy {
            printToStandardError("vigil feed add: \(error)")
            throw ExitCode(2)
        }
        // Rejected rows and problems go to standard error; skipped and corrected rows are in the summary.
        let quiet: Set<String> = ["skipped", "more-skipped-rows", "corrected", "more-corrected-rows"]
        for d in imported.diagnostics where !quiet.contains(d.kind) { printToStandardError(d.description) }
        switch output {
        case .json:
            print(try jsonString(FeedAddReport(feed: stored.name, store: store.directory.path, summary: imported.summary,
                                                  diagnostics: imported.diagnostics)))
        case .text:
            print("feed '\(safe: stored.name)' stored in \(safe: store.directory.path): \(stored.indicators.count) indicators")
            print(SummaryText.render(imported.summary))
            let notes = SummaryText.corrections(imported.diagnostics, total: imported.summary.correctedRows)
            if !notes.isEmpty { print(notes) }
        }
        // Corrected rows were imported: only a rejected row makes the import incomplete.
        if imported.summary.hasRejections { throw ExitCode(1) }
    }
}

struct FeedAddReport: Encodable {
    var feed: String
    var store: String
    var summary: ImportSummary
    var diagnostics: [Diagnostic]
}

/// Renders an import summary as an aligned per-type table.
enum SummaryText {
    static func render(_ s: ImportSummary) -> String {
        var lines = ["  type      accepted  duplicate"]
        for kind in IndicatorKind.allCases where (s.accepted[kind] ?? 0) + (s.duplicates[kind] ?? 0) > 0 {
            lines.append("  " + kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                         + String(format: "%10d %10d", s.accepted[kind] ?? 0, s.duplicates[kind] ?? 0))
        }
        lines.append("  total   " + String(format: "%10d %10d", s.totalAccepted, s.totalDuplicates))
        if !s.rejected.isEmpty {
            lines.append("  rejected: \(s.totalRejected) (" + s.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
        }
        if !s.skipped.isEmpty {
            lines.append("  skipped: \(s.totalSkipped) (" + s.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
        }
        if s.correctedRows > 0 {
            let rules: [String] = s.corrected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append("  corrected: \(s.correctedRows) (\(rules.joined(separator: ", ")))")
        }
        return lines.joined(separator: "\n")
    }

    /// How many correction notes the text summary lists (JSON lists them all).
    static let maxCorrectionNotes = 20

    /// The `corrected` diagnostics as indented lines, the first ``maxCorrectionNotes`` of them, then
    /// how many more of the `total` corrected rows there are; empty when there are none.
    static func corrections(_ diagnostics: [Diagnostic], total: Int) -> String {
        let notes = diagnostics.lazy.filter { $0.kind == "corrected" }.prefix(maxCorrectionNotes)
        guard !notes.isEmpty else { return "" }
        var lines: [String] = notes.map { "    \(safe: $0.path)\($0.line.map { ":\($0)" } ?? ""): \(safe: $0.message)" }
        if total > lines.count {
            lines.append("    … and \(total - lines.count) more corrected rows (listed with --output json)")
        }
        return lines.joined(separator: "\n")
    }
}

func jsonString(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

struct FeedList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the stored feeds.",
        discussion: "Examples:\n  vigil feed list\n  vigil feed list --format json")

    @Option(help: "Output format: text or json.")
    var format: ListingFormat = .text

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let store = storeOptions.feedStore
        let (feeds, damaged) = try storeCall { try store.list() }
        reportDamaged(damaged)
        switch format {
        case .json: print(try jsonString(feeds))
        case .text:
            if feeds.isEmpty { print("no feeds in \(store.directory.path)") }
            for f in feeds {
                let counts = IndicatorKind.allCases.compactMap { k in f.counts[k].map { "\(k.rawValue) \($0)" } }.joined(separator: ", ")
                print("\(safe: f.name)\t\(f.total) indicators (\(counts))\tadded \(f.added)\t\(safe: f.sources.joined(separator: ", "))")
            }
        }
    }
}

struct FeedShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a stored feed's indicators with their provenance.",
        discussion: "Examples:\n  vigil feed show sophos-3cx\n  vigil feed show sophos-3cx --format json --kind domain")

    @Argument(help: "The feed name.")
    var name: String

    @Option(help: "Output format: text or json.")
    var format: ListingFormat = .text

    @Option(help: "Only indicators of this kind (md5, sha1, sha256, domain, url, ipv4, ipv6, cidr, filename, email).")
    var kind: String?

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let store = storeOptions.feedStore
        var feed = try storeCall { try store.feed(named: name) }
        if let kind {
            guard let k = IndicatorKind(rawValue: kind) else { throw ValidationError("unknown kind '\(kind)'") }
            feed.indicators = feed.indicators.filter { $0.kind == k }
        }
        switch format {
        case .json: print(try jsonString(feed))
        case .text:
            print("feed \(safe: feed.name): \(feed.indicators.count) indicators, format \(feed.format), added \(feed.added)")
            print("sources: \(safe: feed.sources.joined(separator: ", "))")
            print(SummaryText.render(feed.summary))
            for i in feed.indicators {
                let p = i.provenance.first
                let location = [p?.file.map { ($0 as NSString).lastPathComponent }, p?.line.map(String.init)].compactMap { $0 }.joined(separator: ":")
                print("\(i.kind.rawValue)\t\(safe: i.value)\t\(safe: location)\t\(safe: i.summary ?? "")")
            }
        }
    }
}

struct FeedRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a feed from the store.",
        discussion: "Example:\n  vigil feed remove sophos-3cx")

    @Argument(help: "The feed name.")
    var name: String

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let store = storeOptions.feedStore
        try storeCall { try store.remove(named: name) }
        print("removed feed '\(name)' from \(store.directory.path)")
    }
}

struct FeedExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a stored feed as CSV, a STIX 2.1 bundle or a MISP event.",
        discussion: """
            The STIX bundle holds one indicator per value (pattern_type stix, valid_from, indicator_types); \
            the MISP event holds one attribute per value with to_ids set. Both validate with the stix2 and \
            pymisp libraries.

            Examples:
              vigil feed export sophos-3cx --format csv
              vigil feed export sophos-3cx --format stix > 3cx.json
              vigil feed export sophos-3cx --format misp > 3cx.misp.json
            """)

    @Argument(help: "The feed name.")
    var name: String

    @Option(help: "Export format: csv, stix or misp.")
    var format: ExportFormat

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let store = storeOptions.feedStore
        let feed = try storeCall { try store.feed(named: name) }
        print(FeedExporter.export(feed, as: format), terminator: "")
    }
}

extension ExportFormat: ExpressibleByArgument {}

/// Runs a store operation, turning a ``FeedError`` into a message and exit status 2.
func storeCall<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as FeedError {
        printToStandardError("vigil: \(error)")
        throw ExitCode(2)
    } catch let error as FeedStoreBusy {
        printToStandardError("vigil: \(error)")
        throw ExitCode(2)
    }
}

/// Lists damaged stored feeds on standard error: each is skipped, and can be removed.
func reportDamaged(_ damaged: [FeedError]) {
    for error in damaged {
        let name = ((error.path as NSString).lastPathComponent as NSString).deletingPathExtension
        printToStandardError("vigil: warning: \(error) (skipped; remove it with 'vigil feed remove \(name)' and add it again)")
    }
}
