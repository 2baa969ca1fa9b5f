import Foundation
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import NIOCore
import Testing
@testable import VigilConsole
import VigilCore
import VigilFleetProtocol
import VigilFleetServer
import VigilFleetStore

@Suite("Web console: finding marks, users, API tokens")
struct ConsoleAdminTests {
    @Test("an analyst marks a finding from the host page; the mark shows on host and overview and is audited; a viewer cannot")
    func markFindings() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        let evil = #"<script>alert("m")</script>"#
        try await fx.withClient { client in
            let key = try await enrollAndReport(client, secret: fx.secret, agent: AgentFacts(
                hostname: "pc-7", hostIdentifier: "pc-7", os: "windows", osVersion: "10", agentVersion: "1", addresses: ["10.0.0.7"]), files: [
                InventoryFile(path: "C:/Program Files/3CXDesktopApp/ffmpeg.dll", sha256: known3CXSHA256, size: 10, modified: 1_700_000_000),
            ])
            let finding = try #require(try await fx.store.findings(matching: FindingQuery(hostID: key.hostID)).first)
            let viewer = try await signIn(client, "vic")
            let viewerPage = text(try await viewer.get(client, "/hosts/\(key.hostID)"))
            #expect(viewerPage.contains(#"id="finding-\#(finding.id)""#) && viewerPage.contains("not marked"))
            #expect(!viewerPage.contains("/findings/\(finding.id)/mark"), "no mark form for a viewer")
            let refused = try await viewer.post(client, "/findings/\(finding.id)/mark", [("status", "false-positive")])
            #expect(refused.status == .forbidden)
            #expect(try await fx.store.findingMarks(hostID: nil, limit: 10).isEmpty)

            let analyst = try await signIn(client, "ana")
            #expect(text(try await analyst.get(client, "/hosts/\(key.hostID)")).contains(#"action="/findings/\#(finding.id)/mark""#))
            let marked = try await analyst.post(client, "/findings/\(finding.id)/mark", [("status", "confirmed"), ("note", "called home " + evil)])
            #expect(marked.status == .seeOther)
            #expect(marked.headers[.location] == "/hosts/\(key.hostID)#finding-\(finding.id)")
            let hostPage = text(try await viewer.get(client, "/hosts/\(key.hostID)"))
            #expect(hostPage.contains(#"<span class="markt markt-confirmed">confirmed</span> <span class="muted small">by ana"#))
            #expect(hostPage.contains("called home &lt;script&gt;"))
            #expect(!hostPage.contains("<script"))
            let overview = text(try await viewer.get(client, "/"))
            #expect(overview.contains(#"<span class="markt markt-confirmed">1 confirmed</span>"#))
            #expect(overview.contains(#"href="/hosts/\#(key.hostID)#finding-\#(finding.id)">pc-7</a>"#))
            #expect(try await fx.store.auditLog(limit: 5).contains {
                $0.action == "finding.mark" && $0.actor == "ana" && $0.detail.hasPrefix("confirmed: called home")
            })
            // Unknown status, unknown finding, an over-long note.
            #expect(try await analyst.post(client, "/findings/\(finding.id)/mark", [("status", "pwned")]).status == .badRequest)
            #expect(try await analyst.post(client, "/findings/999999/mark", [("status", "resolved")]).status == .notFound)
            #expect(try await analyst.post(client, "/findings/\(finding.id)/mark", [("status", "resolved"), ("note", String(repeating: "n", count: 1001))]).status == .badRequest)
            // An admin may mark too; the latest mark wins.
            let admin = try await signIn(client, "root")
            #expect(try await admin.post(client, "/findings/\(finding.id)/mark", [("status", "resolved")]).status == .seeOther)
            #expect(try await fx.store.findingMarks(hostID: key.hostID, limit: 5).map(\.status) == [.resolved])
        }
    }

    @Test("an admin creates users (password twice, minimum length, bcrypt), changes roles, resets passwords, disables and deletes; all audited")
    func userManagement() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let analyst = try await signIn(client, "ana")
            #expect(try await analyst.get(client, "/users").status == .forbidden)
            #expect(try await analyst.post(client, "/users", [("name", "x"), ("role", "admin"), ("password", "0123456789"), ("again", "0123456789")]).status == .forbidden)
            #expect(try await fx.store.user(name: "x") == nil)

            let admin = try await signIn(client, "root")
            let page = text(try await admin.get(client, "/users"))
            #expect(page.contains("<td>ana</td>") || page.contains("<td>ana"))
            let root = try #require(try await fx.store.user(name: "root"))
            #expect(!page.contains("/users/\(root.id)/delete"), "no delete button for oneself")

            let pw = "a fine new password"
            #expect(try await admin.post(client, "/users", [("name", "dora"), ("role", "analyst"), ("password", pw), ("again", pw + "!")]).status == .badRequest)
            #expect(try await admin.post(client, "/users", [("name", "dora"), ("role", "analyst"), ("password", "short"), ("again", "short")]).status == .badRequest)
            #expect(try await admin.post(client, "/users", [("name", "dora"), ("role", "boss"), ("password", pw), ("again", pw)]).status == .badRequest)
            #expect(try await fx.store.user(name: "dora") == nil)
            let made = try await admin.post(client, "/users", [("name", "dora"), ("role", "analyst"), ("password", pw), ("again", pw)])
            #expect(made.status == .created)
            #expect(text(made).contains("User dora (analyst) added"))
            let dora = try #require(try await fx.store.user(name: "dora"))
            #expect(dora.role == .analyst && dora.passwordHash?.hasPrefix("$2") == true && Bcrypt.verify(pw, hash: dora.passwordHash!))
            #expect(try await admin.post(client, "/users", [("name", "dora"), ("role", "viewer"), ("password", pw), ("again", pw)]).status == .conflict)

            let doraBrowser = try await signIn(client, "dora", password: pw)
            #expect(try await admin.post(client, "/users/\(dora.id)/role", [("role", "viewer")]).status == .ok)
            #expect(try await fx.store.user(id: dora.id)?.role == .viewer)
            // The role applies at once to the running session.
            #expect(try await doraBrowser.post(client, "/findings/1/mark", [("status", "confirmed")]).status == .forbidden)

            // Administrators cannot demote, disable or delete themselves.
            #expect(try await admin.post(client, "/users/\(root.id)/role", [("role", "viewer")]).status == .conflict)
            #expect(try await admin.post(client, "/users/\(root.id)/disable").status == .conflict)
            #expect(try await admin.post(client, "/users/\(root.id)/delete").status == .conflict)
            #expect(try await fx.store.user(id: root.id)?.role == .admin)
            #expect(try await admin.post(client, "/users/999999/role", [("role", "viewer")]).status == .notFound)

            // A reset ends the user's sessions; the new password works, the old one no longer.
            let newPassword = "another good password"
            #expect(try await admin.post(client, "/users/\(dora.id)/password", [("password", newPassword), ("again", newPassword)]).status == .ok)
            #expect(try await doraBrowser.get(client, "/").status == .seeOther)
            let again = try await signIn(client, "dora", password: newPassword)

            // Disable: no sign-in, tokens revoked, sessions gone.
            let (_, token) = try await FleetServer.createAPIToken(user: dora, name: "t", store: fx.store)
            #expect(try await fx.store.apiToken(hash: FleetCredentials.hash(token)) != nil)
            #expect(try await admin.post(client, "/users/\(dora.id)/disable").status == .ok)
            #expect(try await again.get(client, "/").status == .seeOther)
            #expect(try await fx.store.apiToken(hash: FleetCredentials.hash(token)) == nil)
            #expect(try await fx.store.user(id: dora.id)?.passwordHash == nil)

            #expect(try await admin.post(client, "/users/\(dora.id)/delete").status == .ok)
            #expect(try await fx.store.user(name: "dora") == nil)

            let actions = try await fx.store.auditLog(limit: 50).filter { $0.actor == "root" }.map(\.action)
            for action in ["user.add", "user.role", "user.password", "user.disable", "user.delete"] {
                #expect(actions.contains(action), "\(action) audited")
            }
        }
    }

    @Test("each user creates API tokens (shown once, usable on the API) and revokes only their own")
    func ownTokens() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let viewer = try await signIn(client, "vic")
            let made = try await viewer.post(client, "/tokens", [("name", "laptop <1>")])
            #expect(made.status == .created)
            let html = text(made)
            #expect(html.contains("laptop &lt;1&gt;"))
            let range = try #require(html.range(of: #"vigil_ut_[0-9a-f]+"#, options: .regularExpression))
            let token = String(html[range])
            let api = try await client.execute(uri: FleetRoutes.hosts, method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(api.status == .ok)
            // Shown once: the tokens page lists it without the secret.
            let listed = text(try await viewer.get(client, "/tokens"))
            #expect(listed.contains("laptop &lt;1&gt;") && !listed.contains(token))

            let vic = try #require(try await fx.store.user(name: "vic"))
            let tokenID = try #require(try await fx.store.apiTokens(userID: vic.id).first?.id)
            // Another user cannot revoke it (answered as if it did not exist).
            let analyst = try await signIn(client, "ana")
            #expect(try await analyst.post(client, "/tokens/\(tokenID)/revoke").status == .notFound)
            #expect(try await fx.store.apiToken(hash: FleetCredentials.hash(token)) != nil)
            #expect(try await viewer.post(client, "/tokens/\(tokenID)/revoke").status == .ok)
            #expect(try await client.execute(uri: FleetRoutes.hosts, method: .get, headers: [.authorization: "Bearer \(token)"]).status == .unauthorized)
            #expect(try await viewer.post(client, "/tokens/\(tokenID)/revoke").status == .notFound)
            let log = try await fx.store.auditLog(limit: 20)
            #expect(log.contains { $0.action == "token.create" && $0.actor == "vic" })
            #expect(log.contains { $0.action == "token.revoke" && $0.actor == "vic" && $0.target == String(tokenID) })
        }
    }
}
