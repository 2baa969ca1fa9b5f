import Foundation
import Testing
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilVerdicts

/// Finding marks and user management, run on both back ends by the conformance suites.
extension Cases {
    static func consoleFindingMarks(_ store: any FleetStore) async throws {
        let a = try await enroll(store, "mark-a"), b = try await enroll(store, "mark-b")
        _ = try await store.recordFindings([
            HostFinding(hostID: a.id, finding: hashFinding(path: "/a1", indicator: "i1")),
            HostFinding(hostID: a.id, finding: hashFinding(path: "/a2", indicator: "i2")),
            HostFinding(hostID: b.id, finding: hashFinding(path: "/b1", indicator: "i3")),
        ], at: t0)
        let all = try await store.findings(matching: FindingQuery())
        let a1 = try #require(all.first { $0.finding.path == "/a1" }), a2 = try #require(all.first { $0.finding.path == "/a2" })
        let b1 = try #require(all.first { $0.finding.path == "/b1" })

        let first = try #require(try await store.markFinding(id: a1.id, status: .confirmed, note: "seen <it>", by: "ana", at: at(10)))
        #expect(first.hostID == a.id && first.hostname == "mark-a" && first.markedAt == at(10))
        _ = try await store.markFinding(id: b1.id, status: .falsePositive, note: "", by: "ana", at: at(20))
        // A second mark replaces the first (the latest wins).
        _ = try await store.markFinding(id: a1.id, status: .resolved, note: "rebuilt", by: "root", at: at(30))
        #expect(try await store.markFinding(id: 999_999, status: .confirmed, note: "", by: "ana", at: at(40)) == nil)
        await #expect(throws: FleetStoreError.self) {
            _ = try await store.markFinding(id: a2.id, status: .confirmed, note: "a\0b", by: "ana", at: at(40))
        }
        await #expect(throws: FleetStoreError.self) {
            _ = try await store.markFinding(id: a2.id, status: .confirmed, note: String(repeating: "x", count: 1001), by: "ana", at: at(40))
        }

        let ofA = try await store.findingMarks(hostID: a.id, limit: 10)
        #expect(ofA.count == 1)
        #expect(ofA.first == FindingMark(findingID: a1.id, hostID: a.id, hostname: "mark-a", status: .resolved, note: "rebuilt",
                                         markedBy: "root", markedAt: at(30)))
        #expect(try await store.findingMarks(hostID: nil, limit: 10).map(\.findingID) == [a1.id, b1.id], "newest first")
        #expect(try await store.findingMarks(hostID: nil, limit: 1).count == 1)
        #expect(try await store.findingMarkCounts() == [.resolved: 1, .falsePositive: 1])
    }

    static func consoleUserManagement(_ store: any FleetStore) async throws {
        let zed = try await store.addUser(name: "zed", role: .viewer, passwordHash: "$2b$12$z", at: t0)
        let amy = try await store.addUser(name: "amy", role: .analyst, passwordHash: "$2b$12$a", at: t0)
        #expect(try await store.users().map(\.name) == ["amy", "zed"])
        #expect(try await store.user(id: zed.id) == zed)
        #expect(try await store.user(id: 31_337) == nil)

        #expect(try await store.setUserRole(id: zed.id, role: .admin))
        #expect(try await store.user(id: zed.id)?.role == .admin)
        #expect(try await store.setUserRole(id: 31_337, role: .admin) == false)

        let t1 = try await store.addAPIToken(userID: zed.id, name: "laptop", tokenHash: sha256("tok-1"), at: at(1))
        _ = try await store.addAPIToken(userID: zed.id, name: "ci", tokenHash: sha256("tok-2"), at: at(2))
        _ = try await store.addAPIToken(userID: amy.id, name: "amy's", tokenHash: sha256("tok-3"), at: at(3))
        #expect(try await store.revokeAPIToken(id: t1.id, at: at(4)))
        let tokens = try await store.apiTokens(userID: zed.id)
        #expect(tokens.map(\.name) == ["laptop", "ci"])
        #expect(tokens.first?.revokedAt == at(4) && tokens.last?.revokedAt == nil)

        try await store.createSession(idHash: sha256("zs"), session: ConsoleSession(userID: zed.id, csrfToken: "c", createdAt: t0, expiresAt: at(9999)))
        try await store.createSession(idHash: sha256("zs2"), session: ConsoleSession(userID: zed.id, csrfToken: "c", createdAt: t0, expiresAt: at(9999)))
        try await store.createSession(idHash: sha256("as"), session: ConsoleSession(userID: amy.id, csrfToken: "c", createdAt: t0, expiresAt: at(9999)))

        // Disabling: no password, every token revoked, every session gone; other users untouched.
        #expect(try await store.disableUser(id: zed.id, at: at(5)))
        #expect(try await store.user(id: zed.id)?.passwordHash == nil)
        #expect(try await store.apiToken(hash: sha256("tok-2")) == nil)
        #expect(try await store.apiTokens(userID: zed.id).allSatisfy { $0.revokedAt != nil })
        #expect(try await store.session(idHash: sha256("zs"), at: at(10)) == nil)
        #expect(try await store.session(idHash: sha256("as"), at: at(10)) != nil)
        #expect(try await store.apiToken(hash: sha256("tok-3")) != nil)
        #expect(try await store.disableUser(id: 31_337, at: at(5)) == false)

        #expect(try await store.deleteSessions(userID: amy.id) == 1)
        #expect(try await store.session(idHash: sha256("as"), at: at(10)) == nil)

        // Deleting takes the tokens along; the name is free again.
        #expect(try await store.deleteUser(id: amy.id))
        #expect(try await store.deleteUser(id: amy.id) == false)
        #expect(try await store.user(name: "amy") == nil)
        #expect(try await store.apiToken(hash: sha256("tok-3")) == nil)
        #expect(try await store.apiTokens(userID: amy.id).isEmpty)
        _ = try await store.addUser(name: "amy", role: .viewer, passwordHash: nil, at: at(6))
        #expect(try await store.users().map(\.name) == ["amy", "zed"])
    }

    static func consoleVerdictCounts(_ store: any FleetStore) async throws {
        let a = try await enroll(store, "va"), b = try await enroll(store, "vb"), c = try await enroll(store, "vc")
        #expect(try await store.verdictCounts().isEmpty)
        let day = 86_400
        _ = try await store.saveVerdicts([(a.id, verdict("va", .clean, reasons: [])), (b.id, verdict("vb", .clean, reasons: []))], at: at(0))
        _ = try await store.saveVerdicts([(a.id, verdict("va", .active, reasons: [])), (c.id, verdict("vc", .exposed, reasons: []))], at: at(day))
        _ = try await store.saveVerdicts([(b.id, verdict("vb", .dormant, reasons: []))], at: at(day + 60))
        #expect(try await store.verdictCounts() == [.active: 1, .dormant: 1, .exposed: 1])
        let tallies = try await store.verdictChangeTallies(since: at(0))
        let day0 = Int64((t0.timeIntervalSince1970 / 86_400).rounded(.down)), day1 = Int64((at(day).timeIntervalSince1970 / 86_400).rounded(.down))
        #expect(Set(tallies) == [
            VerdictChangeTally(day: day0, from: nil, to: .clean, count: 2),
            VerdictChangeTally(day: day1, from: .clean, to: .active, count: 1), VerdictChangeTally(day: day1, from: nil, to: .exposed, count: 1),
            VerdictChangeTally(day: day1, from: .clean, to: .dormant, count: 1),
        ])
        #expect(try await store.verdictChangeTallies(since: at(day)).reduce(0) { $0 + $1.count } == 3)
        #expect(try await store.verdictStates(hostIDs: [a.id, b.id, c.id, 999_999]) == [a.id: .active, b.id: .dormant, c.id: .exposed])
        #expect(try await store.verdictStates(hostIDs: []).isEmpty)
    }
}
