import Foundation
import Testing
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilVerdicts

/// The console's indexed searches (docs/console.md, "Search"), run on both back ends.
extension Cases {
    static func consoleSearch(_ store: any FleetStore) async throws {
        func add(_ name: String, id: String, _ addresses: [String]) async throws -> HostRecord {
            try await store.enrollHost(
                agent: AgentFacts(hostname: name, hostIdentifier: id, os: "linux", osVersion: "6", agentVersion: "0.3", addresses: addresses),
                keyHash: sha256("search-\(id)"), at: t0)
        }
        let web1 = try await add("Web-01", id: "MID-A1", ["10.9.0.1"])
        let web2 = try await add("web-02", id: "mid-a2", ["10.9.0.2", "FE80::1"])
        let db = try await add("db-01", id: "xyz-web", ["10.19.0.1"])
        let hostile = try await add("100%_done'\"<x>", id: "pct\\id", ["10.9.1.1"])
        let underscore = try await add("ab_c", id: "u1", ["192.0.2.1"])
        let plainX = try await add("abxc", id: "u2", ["192.0.2.2"])
        let umlaut = try await add("Äpfel-1", id: "u3", ["192.0.2.3"])

        func prefix(_ field: HostSearchField, _ text: String, limit: Int = 50) async throws -> [Int64] {
            try await store.hostsByPrefix(HostPrefixQuery(field: field, prefix: text, limit: limit)).map(\.host.id)
        }
        // Names: case-insensitive prefix, in name order; identifiers and addresses likewise.
        #expect(try await prefix(.name, "WEB") == [web1.id, web2.id])
        #expect(try await prefix(.name, "web-0") == [web1.id, web2.id])
        #expect(try await prefix(.name, "eb").isEmpty, "a name search is a prefix search")
        #expect(try await prefix(.identifier, "mid-A") == [web1.id, web2.id])
        #expect(try await prefix(.identifier, "XYZ") == [db.id])
        #expect(try await prefix(.address, "10.9.") == [web1.id, web2.id, hostile.id], "10.19.0.1 is not under 10.9.")
        #expect(try await prefix(.address, "fe80:") == [web2.id])
        #expect(try await prefix(.name, "Äpfel") == [umlaut.id])
        let hits = try await store.hostsByPrefix(HostPrefixQuery(field: .address, prefix: "10.9.0", limit: 10))
        #expect(hits.map(\.key) == ["10.9.0.1", "10.9.0.2"] && hits.first?.host.addresses.map(\.address) == ["10.9.0.1"])

        // Keyset pages of one: each host once, then nothing.
        var seen: [Int64] = []
        var cursor: HostSearchCursor?
        for _ in 0..<5 {
            let page = try await store.hostsByPrefix(HostPrefixQuery(field: .name, prefix: "web", after: cursor, limit: 1))
            guard let last = page.last else { break }
            seen.append(last.host.id)
            cursor = HostSearchCursor(key: last.key, hostID: last.host.id)
        }
        #expect(seen == [web1.id, web2.id])

        // Hostile text is text: LIKE wildcards, quotes and backslashes match themselves; NUL and
        // over-long input find nothing and do not fail.
        #expect(try await prefix(.name, "100%_done'\"<") == [hostile.id])
        #expect(try await prefix(.name, "%").isEmpty)
        #expect(try await prefix(.name, "_").isEmpty)
        #expect(try await prefix(.name, "ab_") == [underscore.id], "_ is not a wildcard")
        #expect(try await prefix(.identifier, "pct\\") == [hostile.id])
        #expect(try await prefix(.name, "web\u{0}").isEmpty)
        #expect(try await prefix(.name, String(repeating: "w", count: 5_000)).isEmpty)
        #expect(try await prefix(.name, "\u{10FFFF}").isEmpty)
        // A cursor from a tampered URL (a key outside the prefix) yields nothing rather than failing.
        #expect(try await store.hostsByPrefix(HostPrefixQuery(field: .name, prefix: "web", after: HostSearchCursor(key: "zzz", hostID: 1))).isEmpty)

        // Substring: names and identifiers, anywhere.
        func contains(_ text: String) async throws -> [Int64] {
            try await store.hostsContaining(HostSubstringQuery(text: text, limit: 50)).hosts.map(\.id)
        }
        #expect(try await contains("EB-0") == [web1.id, web2.id])
        #expect(try await contains("web") == [web1.id, web2.id, db.id], "xyz-web is db-01's identifier")
        #expect(try await contains("%") == [hostile.id])
        #expect(try await contains("_") == [hostile.id, underscore.id], "abxc has no underscore")
        #expect(try await contains("b_c") == [underscore.id])
        #expect(try await contains("'\"<x") == [hostile.id])
        #expect(try await contains("t\\i") == [hostile.id])
        #expect(try await contains("web\u{0}").isEmpty)
        #expect(try await contains(String(repeating: "e", count: 5_000)).isEmpty)
        #expect(!(try await contains("pfel")).contains(plainX.id))
        let whole = try await store.hostsContaining(HostSubstringQuery(text: "eb", limit: 50))
        #expect(whole.hosts.map(\.id) == [web1.id, web2.id, db.id] && whole.resumeAfter == nil)

        // A bounded scan (two host rows at a time) says where it stopped; following it finds the
        // same hosts as one scan, each once. ("eb" is too short for a trigram index.)
        var found: [Int64] = []
        var after: Int64 = 0
        var rounds = 0
        while rounds < 20 {
            rounds += 1
            let page = try await store.hostsContaining(HostSubstringQuery(text: "eb", afterID: after, limit: 50, scanLimit: 2))
            #expect(!page.indexed && page.scanned <= 2)
            found += page.hosts.map(\.id)
            guard let resume = page.resumeAfter else { break }
            #expect(resume > after)
            after = resume
        }
        #expect(found == [web1.id, web2.id, db.id] && rounds == 4, "7 hosts in slices of 2: \(rounds) rounds")
        // A full page stops early and resumes after its last match.
        let first = try await store.hostsContaining(HostSubstringQuery(text: "eb", limit: 1, scanLimit: 100))
        #expect(first.hosts.map(\.id) == [web1.id] && first.resumeAfter == web1.id)

        // Inventory pages: by digest (host order), exact path, base name (path by path).
        let lib = file("/opt/app/lib.so", content: "lib")
        _ = try await store.applyBatch(hostID: web1.id, batch: batch("s1", host: facts("Web-01", id: "MID-A1"), files: [lib]),
                                       serverFindings: [], receivedAt: t0)
        _ = try await store.applyBatch(hostID: web2.id, batch: batch("s2", host: facts("web-02", id: "mid-a2"), files: [lib]),
                                       serverFindings: [], receivedAt: t0)
        _ = try await store.applyBatch(
            hostID: db.id, batch: batch("s3", host: facts("db-01", id: "xyz-web"), files: [file("/usr/lib/lib.so", content: "other", md5: true)]),
            serverFindings: [], receivedAt: t0)
        func walk(_ match: InventoryMatch) async throws -> [String] {
            var out: [String] = []
            var cursor: InventoryCursor?
            for _ in 0..<10 {
                let page = try await store.inventoryPage(InventoryPageQuery(match: match, after: cursor, limit: 1))
                guard let last = page.last else { break }
                out += page.map { "\($0.hit.hostID):\($0.hit.file.path)" }
                cursor = last.cursor
            }
            return out
        }
        let libDigest = try #require(FleetHex.decode(lib.sha256, bytes: 32))
        #expect(try await walk(.sha256(libDigest)) == ["\(web1.id):/opt/app/lib.so", "\(web2.id):/opt/app/lib.so"])
        #expect(try await walk(.path("/opt/app/lib.so")) == ["\(web1.id):/opt/app/lib.so", "\(web2.id):/opt/app/lib.so"])
        #expect(Set(try await walk(.name("lib.so"))) == ["\(web1.id):/opt/app/lib.so", "\(web2.id):/opt/app/lib.so", "\(db.id):/usr/lib/lib.so"])
        #expect(try await walk(.name("lib.so")).count == 3, "each row once")
        let other = file("/usr/lib/lib.so", content: "other", md5: true)
        let otherMD5 = try #require(FleetHex.decode(other.md5 ?? "", bytes: 16))
        let otherSHA1 = try #require(FleetHex.decode(other.sha1 ?? "", bytes: 20))
        #expect(try await walk(.md5(otherMD5)) == ["\(db.id):/usr/lib/lib.so"])
        #expect(try await walk(.sha1(otherSHA1)) == ["\(db.id):/usr/lib/lib.so"])
        #expect(try await walk(.sha256(Data(count: 5))).isEmpty, "a digest of the wrong length finds nothing")
        #expect(try await walk(.path("/opt/app/lib.so\u{0}")).isEmpty)
        #expect(try await walk(.name("nope")).isEmpty)

        // Verdict keyset pages, in host id order.
        _ = try await store.saveVerdicts([(web1.id, verdict("Web-01", .clean, reasons: [])), (db.id, verdict("db-01", .clean, reasons: [])),
                                          (web2.id, verdict("web-02", .active, reasons: []))], at: t0)
        #expect(try await store.hostIDs(verdict: .clean, afterID: nil, limit: 1) == [web1.id])
        #expect(try await store.hostIDs(verdict: .clean, afterID: web1.id, limit: 5) == [db.id])
        #expect(try await store.hostIDs(verdict: .clean, afterID: db.id, limit: 5).isEmpty)
        #expect(try await store.hostIDs(verdict: .active, afterID: 0, limit: 5) == [web2.id])
    }
}
