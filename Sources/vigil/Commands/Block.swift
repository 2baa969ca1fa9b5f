import ArgumentParser
import Foundation
import VigilFeeds
import VigilIndicators

extension BlocklistFormat: ExpressibleByArgument {}

/// `vigil block`: turn the stored feeds (and extra IoC files) into a blocklist for a DNS server or IDS.
struct Block: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block",
        abstract: "Write a blocklist (hosts, dnsmasq, unbound, rpz, suricata, zeek-intel, csv) from the stored feeds.",
        discussion: """
            Domain indicators and the hosts of URL indicators are blocked with their subdomains (except in \
            hosts files, which match exact names only). Shared infrastructure named in a URL indicator \
            (raw.githubusercontent.com, github.com, CDNs, cloud storage, file sharing) is never blocked \
            domain-wide: such URLs go to URL-capable outputs only (suricata, zeek-intel, csv) and the \
            decision is reported on standard error, as is every allowlist decision.

            The guard also refuses, each listed on standard error with its feed, file and line: names \
            on the Public Suffix List (co.uk, com.au, blogspot.com, in-addr.arpa…) as domain-wide \
            blocks; addresses and networks that are a default route (0.0.0.0/0, ::/0), loopback, \
            unspecified or link-local, or that overlap --own-network ranges; and any value with a \
            control character or that is not a valid normalised indicator (it could forge blocklist \
            lines). --force writes what the guard refuses (never unsafe values). The suffix list is \
            read from /usr/share/publicsuffix/public_suffix_list.dat (Debian package publicsuffix) \
            unless --public-suffix-list names another; without one a small built-in list is used, \
            with a warning.

            Examples:
              vigil block --format unbound > /etc/unbound/unbound.conf.d/vigil.conf
              vigil block --format rpz --output /etc/bind/rpz.local
              vigil block --format dnsmasq --allow allow.txt
              vigil block --format suricata --iocs "3CX IoCs 2023-03.csv" --no-store
              vigil block --format zeek-intel --feed sophos-3cx
            """
    )

    @Option(help: "Output format: \(BlocklistFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: BlocklistFormat

    @Option(name: .customLong("iocs"), help: ArgumentHelp("Also read this indicator file (any feed format); repeatable.", valueName: "FILE"))
    var iocs: [String] = []

    @Option(name: .customLong("feed"), help: ArgumentHelp("Use only this stored feed; repeatable (default: all).", valueName: "NAME"))
    var feeds: [String] = []

    @Flag(name: .customLong("no-store"), help: "Do not read the feed store (only --iocs files).")
    var noStore = false

    @Option(help: ArgumentHelp("Names, URLs or addresses never to block, one per line.", valueName: "FILE"))
    var allow: String?

    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(help: "First Suricata sid; every sid written stays within 1…4294967295 (2^32-1).")
    var sidBase = 9_100_001

    @Option(name: .customLong("own-network"), help: ArgumentHelp("Your own network (CIDR or address); nothing overlapping it is blocked. Repeatable.", valueName: "CIDR"))
    var ownNetworks: [String] = []

    @Option(name: .customLong("public-suffix-list"), help: ArgumentHelp("The Public Suffix List file (default: /usr/share/publicsuffix/public_suffix_list.dat).", valueName: "FILE"))
    var publicSuffixList: String?

    @Flag(help: "Write public suffixes, default routes, loopback, link-local and own-network blocks anyway (each reported as forced).")
    var force = false

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        for text in ownNetworks where Normalizer.normalizeCIDR(text) == nil && Normalizer.normalizeIPv4(text) == nil && Normalizer.normalizeIPv6(text) == nil {
            throw ValidationError("--own-network: '\(text)' is not an address or CIDR")
        }
    }

    func run() async throws {
        var set = IndicatorSet()
        let store = storeOptions.feedStore
        if !noStore {
            if feeds.isEmpty {
                let loaded = try storeCall { try store.loadAll() }
                reportDamaged(loaded.damaged)
                set = loaded.indicators
            } else {
                for name in feeds {
                    for i in try storeCall({ try store.feed(named: name) }).indicators { set.insert(i) }
                }
            }
        }
        for path in iocs {
            let imported = try storeCall { try FeedReader.read(contentsOf: URL(fileURLWithPath: path), feed: "cli:" + (path as NSString).lastPathComponent) }
            for d in imported.diagnostics where d.kind != "skipped" { printToStandardError(d.description) }
            set.formUnion(imported.indicators)
        }
        guard !set.isEmpty else {
            printToStandardError("vigil block: no indicators (the store at \(store.directory.path) is empty and no --iocs file was given)")
            throw ExitCode(2)
        }
        var allowSet = IndicatorSet()
        if let allow {
            let imported = try storeCall { try FeedReader.read(contentsOf: URL(fileURLWithPath: allow), feed: "allowlist", format: .plain) }
            for d in imported.diagnostics { printToStandardError("allowlist: \(d.description)") }
            allowSet = imported.indicators
        }
        let suffixes: PublicSuffixList
        do { suffixes = try PublicSuffixList.load(path: publicSuffixList) } catch {
            printToStandardError("vigil block: cannot read the public suffix list \(publicSuffixList ?? ""): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        if !suffixes.isFullList { printToStandardError("vigil block: warning: public suffixes from the \(suffixes.source)") }
        let blockGuard = BlocklistGuard(publicSuffixes: suffixes, ownNetworks: ownNetworks, force: force)
        let plan = BlocklistBuilder.plan(set, allow: allowSet, guard: blockGuard)
        for decision in plan.decisions { printToStandardError(decision) }
        if !plan.refusals.isEmpty {
            printToStandardError("vigil block: \(plan.refusals.count) indicator(s) refused (listed above as 'refused:'); the rest were written")
        }
        if format == .suricata, let problem = BlocklistBuilder.sidRangeProblem(plan, sidBase: sidBase) {
            printToStandardError("vigil block: \(problem)")
            throw ExitCode(2)
        }
        let text = BlocklistBuilder.render(plan, as: format, sidBase: sidBase)
        if let output {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                printToStandardError("vigil block: cannot write \(output): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        } else {
            print(text, terminator: "")
        }
    }
}
