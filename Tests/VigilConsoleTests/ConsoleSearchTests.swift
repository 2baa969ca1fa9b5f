import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import VigilConsole
import VigilCore
import VigilFleetProtocol
import VigilFleetStore

/// The hosts page's searches (docs/console.md, "Search"): each kind answers, pages follow their
/// cursors to the end with every match once, and a narrowed substring search says so.
@Suite("Web console: search")
struct ConsoleSearchTests {
    /// Follows next-page links from `uri`, collecting the host links of each page.
    func walk(_ viewer: Browser, _ client: any TestClientProtocol, _ uri: String, pages: Int = 20) async throws -> (hosts: [String], notes: [String]) {
        var uri = uri
        var hosts: [String] = [], notes: [String] = []
        for _ in 0..<pages {
            let html = text(try await viewer.get(client, uri))
            for match in html.matches(of: /<a href="\/hosts\/[0-9]+">([^<]*)<\/a>/) { hosts.append(String(match.1)) }
            if let note = html.firstMatch(of: /<p class="muted">([^<]*)<\/p>/) { notes.append(String(note.1)) }
            guard let next = html.firstMatch(of: /<a class="button" href="([^"]+)">Next page/) else { break }
            uri = String(next.1).replacingOccurrences(of: "&amp;", with: "&")
        }
        return (hosts, notes)
    }

    @Test("prefix, identifier, address, substring, path, name and hash searches; pages walk every match once")
    func searchKinds() async throws {
        let fx = try await ConsoleFixture {
            $0.pageSize = 3
            $0.substringScanRows = 2
        }
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let names = ["ws-0", "ws-1", "WS-2", "ws-3", "db-4", "ws-5", "100%_x", "ab_c", "abxc"]
            for (i, name) in names.enumerated() {
                let agent = AgentFacts(hostname: name, hostIdentifier: "id-\(i)", os: "linux", osVersion: "6", agentVersion: "0.2.0",
                                       addresses: ["10.1.\(i).7"])
                try await enrollAndReport(client, secret: fx.secret, agent: agent, files: [
                    InventoryFile(path: i < 5 ? "/opt/a/lib.so" : "/usr/lib/lib.so", sha256: i == 4 ? known3CXSHA256 : randomSHA256(),
                                  size: 10, modified: 1_700_000_000),
                ])
            }
            let viewer = try await signIn(client, "vic")

            // Name prefix, case-insensitive, pages of 3 in name order.
            let ws = try await walk(viewer, client, "/hosts?q=ws-")
            #expect(ws.hosts == ["ws-0", "ws-1", "WS-2", "ws-3", "ws-5"], "\(ws.hosts)")
            #expect(ws.notes.first?.contains("Hosts whose name starts with “ws-”") == true, "\(ws.notes)")
            // A name that starts no host name is tried as an identifier.
            let byID = try await walk(viewer, client, "/hosts?q=id-4")
            #expect(byID.hosts == ["db-4"] && byID.notes.first?.contains("identifier starts with") == true, "\(byID)")
            // Addresses by prefix: 10.1.1. is not 10.1.10. or 10.1.1x.
            let byAddress = try await walk(viewer, client, "/hosts?q=10.1.1.")
            #expect(byAddress.hosts == ["ws-1"])
            // Wildcards match themselves.
            let percent = try await walk(viewer, client, "/hosts?q=100%25")
            #expect(percent.hosts == ["100%_x"])
            let underscore = try await walk(viewer, client, "/hosts?in=name&q=ab_")
            #expect(underscore.hosts == ["ab_c"])

            // Substring, scanning 2 hosts per page: the note says the search was narrowed and the
            // next-page links go on until every host was searched, each match once.
            let sub = try await walk(viewer, client, "/hosts?in=contains&q=S-")
            #expect(sub.hosts == ["ws-0", "ws-1", "WS-2", "ws-3", "ws-5"], "\(sub.hosts)")
            #expect(sub.notes.first?.contains("Search narrowed: these are the matches among the 2 hosts") == true, "\(sub.notes)")
            #expect(sub.notes.last?.contains("every host after host id") == true, "\(sub.notes)")
            // With no prefix match, the automatic search falls back to the (narrowed) substring search and says so.
            let fallback = try await walk(viewer, client, "/hosts?q=_c")
            #expect(fallback.hosts == ["ab_c"] && fallback.notes.first?.contains("No host name or identifier starts with “_c”") == true,
                    "\(fallback)")
            // Hostile and impossible text: answered, escaped, nothing found.
            for q in ["%00", String(repeating: "x", count: 2_000), "%27%22%3Cscript%3E"] {
                let r = try await viewer.get(client, "/hosts?q=\(q)")
                #expect(r.status == .ok)
                #expect(!text(r).contains("<script>"))
            }
            let nul = text(try await viewer.get(client, "/hosts?q=ws%00"))
            #expect(nul.contains("contains a NUL character"))

            // Files: exact path (pages of 12 = 4 x page size), a base name over two paths, a hash.
            let path = text(try await viewer.get(client, "/hosts?q=%2Fopt%2Fa%2Flib.so"))
            #expect(path.contains("5 stored files at exactly this path."), "\(path)")
            let name = text(try await viewer.get(client, "/hosts?in=filename&q=lib.so"))
            #expect(name.contains("9 stored files named lib.so."))
            let missing = text(try await viewer.get(client, "/hosts?q=%2Fnowhere%2Flib.so"))
            #expect(missing.contains("No stored file at exactly this path. 9 stored files named lib.so."))
            let hash = text(try await viewer.get(client, "/hosts?q=\(known3CXSHA256)"))
            #expect(hash.contains(">db-4</a>") && hash.contains("1 stored files with this SHA256."))
        }
    }

    @Test("file pages follow their cursor to the last row")
    func filePages() async throws {
        let fx = try await ConsoleFixture { $0.pageSize = 1 }  // 4 files per page
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            for i in 0..<10 {
                let agent = AgentFacts(hostname: "h-\(i)", hostIdentifier: "hid-\(i)", os: "linux", osVersion: "6", agentVersion: "1",
                                       addresses: ["10.2.0.\(i)"])
                try await enrollAndReport(client, secret: fx.secret, agent: agent, files: [
                    InventoryFile(path: "/opt/x/common.so", sha256: String(repeating: "ab", count: 32), size: 1, modified: 1),
                ])
            }
            let viewer = try await signIn(client, "vic")
            var uri = "/hosts?q=" + String(repeating: "AB", count: 32)
            var seen: [String] = []
            for _ in 0..<10 {
                let html = text(try await viewer.get(client, uri))
                for match in html.matches(of: /<a href="\/hosts\/[0-9]+">([^<]*)<\/a>/) { seen.append(String(match.1)) }
                guard let next = html.firstMatch(of: /<a class="button" href="([^"]+)">Next page/) else { break }
                uri = String(next.1).replacingOccurrences(of: "&amp;", with: "&")
            }
            #expect(seen == (0..<10).map { "h-\($0)" })
        }
    }
}
