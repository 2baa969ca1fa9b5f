import Foundation
import Testing
import VigilCore
import VigilFleetProtocol
import VigilFleetStore

/// The web console's store methods, run on both back ends by the conformance suites.
extension Cases {
    static func consoleSessionsAndAudit(_ store: any FleetStore, _ harness: Harness) async throws {
        let user = try await store.addUser(name: "alice", role: .analyst, passwordHash: nil, at: t0)
        #expect(try await store.setPasswordHash(userName: "alice", passwordHash: "$2b$12$abc"))
        #expect(try await store.user(name: "alice")?.passwordHash == "$2b$12$abc")
        #expect(try await store.setPasswordHash(userName: "nobody", passwordHash: "x") == false)

        let idHash = sha256("session-1")
        try await store.createSession(
            idHash: idHash, session: ConsoleSession(userID: user.id, csrfToken: "csrf-1", createdAt: t0, expiresAt: at(3600)))
        // Another server process on the same database sees the session (nothing lives in one process).
        let second = try harness.open()
        let seen = try #require(try await second.session(idHash: idHash, at: at(10)))
        #expect(seen.0.csrfToken == "csrf-1" && seen.0.expiresAt == at(3600) && seen.1.name == "alice" && seen.1.role == .analyst)
        try await second.close()
        #expect(try await store.session(idHash: idHash, at: at(3600)) == nil, "expired at its expiry time")
        #expect(try await store.session(idHash: sha256("other"), at: t0) == nil)
        await #expect(throws: FleetStoreError.self) {
            try await store.createSession(idHash: idHash, session: ConsoleSession(userID: user.id, csrfToken: "c", createdAt: t0, expiresAt: at(1)))
        }
        await #expect(throws: (any Error).self) {
            try await store.createSession(idHash: sha256("s2"), session: ConsoleSession(userID: 31_337, csrfToken: "c", createdAt: t0, expiresAt: at(1)))
        }
        try await store.createSession(
            idHash: sha256("s3"), session: ConsoleSession(userID: user.id, csrfToken: "c3", createdAt: t0, expiresAt: at(10)))
        #expect(try await store.deleteExpiredSessions(at: at(100)) == 1)
        #expect(try await store.session(idHash: idHash, at: at(50)) != nil)
        #expect(try await store.deleteSession(idHash: idHash))
        #expect(try await store.deleteSession(idHash: idHash) == false)
        #expect(try await store.session(idHash: idHash, at: at(50)) == nil)

        for (i, action) in ["login", "feed.add", "logout"].enumerated() {
            try await store.appendAudit(AuditEntry(at: at(i), actor: "alice", action: action, target: "t\(i)", detail: "<d>"))
        }
        let log = try await store.auditLog(limit: 2)
        #expect(log.map(\.action) == ["logout", "feed.add"])
        #expect(log.first?.at == at(2) && log.first?.detail == "<d>")
        await #expect(throws: FleetStoreError.self) {
            try await store.appendAudit(AuditEntry(at: t0, actor: "a\0b", action: "x", target: "", detail: ""))
        }
    }

    static func consoleQueries(_ store: any FleetStore) async throws {
        var ids: [Int64] = []
        for i in 0..<7 {
            let agent = AgentFacts(hostname: "Web-\(i)", hostIdentifier: "mid-\(i)", os: "linux", osVersion: "6",
                                   agentVersion: i < 4 ? "0.2.0" : "0.1.0", addresses: ["10.9.\(i).1"])
            let host = try await store.enrollHost(agent: agent, keyHash: sha256("k\(i)"), at: t0)
            ids.append(host.id)
            if i >= 5 { continue }
            try await store.recordContact(hostID: host.id, agent: agent, at: at(1000))
        }
        // Keyset pages of 3 walk every host once, in id order.
        var seen: [Int64] = []
        var after: Int64?
        while true {
            let page = try await store.hostPage(HostPageQuery(afterID: after, limit: 3))
            seen += page.map(\.id)
            guard page.count == 3 else { break }
            after = page.last?.id
        }
        #expect(seen == ids)
        #expect(try await store.hostPage(HostPageQuery(search: "web-3", limit: 10)).map(\.hostname) == ["Web-3"])
        #expect(try await store.hostPage(HostPageQuery(search: "MID-5", limit: 10)).map(\.hostname) == ["Web-5"])
        #expect(try await store.hostPage(HostPageQuery(search: "10.9.6", limit: 10)).map(\.hostname) == ["Web-6"])
        #expect(try await store.hostPage(HostPageQuery(search: "9.6", limit: 10)).isEmpty, "addresses match by prefix")
        #expect(try await store.hostPage(HostPageQuery(search: "web", afterID: ids[4], limit: 10)).map(\.id) == [ids[5], ids[6]])

        _ = try await store.recordFindings([
            HostFinding(hostID: ids[0], finding: hashFinding(path: "/a", indicator: "i1", severity: .critical)),
            HostFinding(hostID: ids[1], finding: hashFinding(path: "/b", indicator: "i2", severity: .critical)),
            HostFinding(hostID: ids[1], finding: hashFinding(path: "/c", indicator: "i3", severity: .low)),
        ], at: at(5))
        let counts = try await store.overviewCounts(notSeenSince: at(500))
        #expect(counts.hosts == 7)
        #expect(counts.findingsBySeverity == [.critical: 2, .low: 1])
        #expect(counts.hostsNotSeen == 2)
        #expect(counts.agentVersions == [AgentVersionCount(version: "0.2.0", hosts: 4), AgentVersionCount(version: "0.1.0", hosts: 3)])
        #expect(try await store.hostsNotSeen(since: at(500), limit: 10).map(\.id) == [ids[5], ids[6]])
    }
}
