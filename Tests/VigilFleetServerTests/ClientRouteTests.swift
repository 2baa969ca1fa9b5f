import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCore
import VigilFleetProtocol
import VigilFleetServer
import VigilFleetStore
import _VigilTestSupport

@Suite("Fleet server: client routes, feeds and retro-hunt")
struct ClientRouteTests {
    @Test("a feed posted after a host reported a file retro-hunts it, and a viewer cannot post")
    func retroHunt() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        let badSHA = randomSHA256()
        try await fx.withClient { client in
            let infected = try await enroll(client, secret: fx.secret, name: "infected")
            let clean = try await enroll(client, secret: fx.secret, name: "clean")
            for (host, files) in [
                (infected, [file("/opt/app/update.dll", sha256: badSHA), file("/opt/app/app.exe")]),
                (clean, [file("/opt/app/app.exe")]),
            ] {
                let r = try await client.execute(
                    uri: FleetRoutes.batches, method: .post, headers: bearer(host.hostKey, gzip: true),
                    body: try gzipBatch(batch(agent: facts(host == infected ? "infected" : "clean"), files: files)))
                #expect(r.status == .ok)
            }
            // The infected host's key is revoked (its agent is gone): the hunt reads the stored inventory.
            #expect(try await fx.store.revokeHostKey(hostID: infected.hostID, at: Date()))
            #expect(try await fx.store.findings(matching: FindingQuery()).isEmpty)

            let feed = "# vendor advisory\n\(badSHA)\n"
            let viewer = try await client.execute(
                uri: FleetRoutes.feeds + "?name=advisory&format=plain", method: .post, headers: bearer(fx.viewerToken), body: ByteBuffer(string: feed))
            #expect(viewer.status == .forbidden)
            #expect(try decodeBody(APIError.self, viewer).code == "forbidden")

            let posted = try await client.execute(
                uri: FleetRoutes.feeds + "?name=advisory&format=plain", method: .post, headers: bearer(fx.analystToken), body: ByteBuffer(string: feed))
            #expect(posted.status == .created)
            let result = try decodeBody(FeedImportResponse.self, posted)
            #expect(result.retroHunt.hashIndicators == 1)
            #expect(result.retroHunt.hits >= 1)
            #expect(result.retroHunt.hosts == 1)
            #expect(result.retroHunt.newFindings >= 1)
            #expect(result.retroHunt.milliseconds >= 0)

            let listed = try await client.execute(uri: FleetRoutes.findings + "?host=\(infected.hostID)", method: .get, headers: bearer(fx.viewerToken))
            let findings = try decodeBody([StoredFinding].self, listed)
            let hit = try #require(findings.first { $0.finding.check == "ioc.hash" })
            #expect(hit.finding.path == "/opt/app/update.dll")
            #expect(hit.hostID == infected.hostID)
            let none = try await client.execute(uri: FleetRoutes.findings + "?host=\(clean.hostID)", method: .get, headers: bearer(fx.viewerToken))
            #expect(try decodeBody([StoredFinding].self, none).isEmpty)

            // The inventory search answers by hash and by name.
            let bySHA = try await client.execute(uri: FleetRoutes.files + "?sha256=\(badSHA)", method: .get, headers: bearer(fx.viewerToken))
            #expect(try decodeBody([InventoryHit].self, bySHA).map(\.hostID) == [infected.hostID])
            let byName = try await client.execute(uri: FleetRoutes.files + "?name=APP.EXE", method: .get, headers: bearer(fx.viewerToken))
            #expect(Set(try decodeBody([InventoryHit].self, byName).map(\.hostID)) == [infected.hostID, clean.hostID])

            // A Loki file-name feed: the regex's literal name is looked up, and the regex confirms the path.
            let names = "# 3CX-style loader names\n\\\\update\\.dll$;80\n\\\\[a-z]+\\.tmp$;70\n"
            let byRegex = try await client.execute(
                uri: FleetRoutes.feeds + "?name=names&format=loki-filename", method: .post, headers: bearer(fx.analystToken), body: ByteBuffer(string: names))
            #expect(byRegex.status == .created)
            let hunt = try decodeBody(FeedImportResponse.self, byRegex).retroHunt
            #expect(hunt.nameIndicators == 1)
            #expect(hunt.nameIndicatorsNotIndexable == 1)
            #expect(hunt.newFindings == 1)
            let all = try decodeBody([StoredFinding].self, try await client.execute(uri: FleetRoutes.findings, method: .get, headers: bearer(fx.viewerToken)))
            let nameHit = try #require(all.first { $0.finding.check == "ioc.filename" })
            #expect(nameHit.hostID == infected.hostID)
            #expect(nameHit.finding.path == "/opt/app/update.dll")

            let feeds = try await client.execute(uri: FleetRoutes.feeds, method: .get, headers: bearer(fx.viewerToken))
            #expect(try decodeBody([FeedRecord].self, feeds).map(\.name).sorted() == ["advisory", "names"])
        }
    }

    @Test("the file-name literal used for index lookups is taken only from plain regex tails")
    func literalNames() {
        #expect(RetroHunt.literalBaseName(#"\\3CXDesktopApp-18\.12\.416\.msi"#) == "3CXDesktopApp-18.12.416.msi")
        #expect(RetroHunt.literalBaseName(#"/opt/x/ffmpeg\.dll$"#) == "ffmpeg.dll")
        #expect(RetroHunt.literalBaseName(#"\\d3dcompiler_47\.dll"#) == "d3dcompiler_47.dll")
        #expect(RetroHunt.literalBaseName(#"\\ffmpeg\.(dll|so)"#) == nil)
        #expect(RetroHunt.literalBaseName(#"\\[a-z]+\.exe"#) == nil)
        #expect(RetroHunt.literalBaseName(#"\\tmp\\.*"#) == nil)
    }

    @Test("admin creates enrolment secrets over the API; analysts may not")
    func enrollmentSecrets() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let denied = try await client.execute(
                uri: FleetRoutes.enrollmentSecrets, method: .post, headers: bearer(fx.analystToken),
                body: try jsonBuffer(EnrollmentSecretRequest(name: "x")))
            #expect(denied.status == .forbidden)
            let created = try await client.execute(
                uri: FleetRoutes.enrollmentSecrets, method: .post, headers: bearer(fx.adminToken),
                body: try jsonBuffer(EnrollmentSecretRequest(name: "laptops")))
            #expect(created.status == .created)
            let secret = try decodeBody(EnrollmentSecretCreated.self, created)
            #expect(secret.secret.hasPrefix(FleetTokenPrefix.enrollmentSecret))
            _ = try await enroll(client, secret: secret.secret, name: "laptop-1")
            let listed = try await client.execute(uri: FleetRoutes.enrollmentSecrets, method: .get, headers: bearer(fx.adminToken))
            let records = try decodeBody([EnrollmentSecretRecord].self, listed)
            #expect(records.map(\.name).sorted() == ["laptops", "test"])
            #expect(!String(buffer: listed.body).contains(secret.secret))
        }
    }

    @Test("a failing store answers 503 with Retry-After")
    func storeDown() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let host = try await enroll(client, secret: fx.secret, name: "a")
            // Take the database away underneath the running server.
            try await fx.store.close()
            let r = try await client.execute(
                uri: FleetRoutes.batches, method: .post, headers: bearer(host.hostKey, gzip: true),
                body: try gzipBatch(batch(agent: facts("a"), files: [file("/opt/a")])))
            #expect(r.status == .serviceUnavailable)
            #expect(try decodeBody(APIError.self, r).code == "unavailable")
            #expect(r.headers[.retryAfter].flatMap { Int($0) } != nil)
        }
    }

    @Test("a second server on the same database follows a feed posted to the first (feed generation)")
    func sharedDatabase() async throws {
        let fx = try await FleetFixture { c in c.includeDefaultIndicators = false }
        defer { Task { await fx.finish() } }
        var configuration = FleetServerConfiguration()
        configuration.includeDefaultIndicators = false
        configuration.indicatorCheckInterval = .zero
        let second = FleetServer(store: fx.store, configuration: configuration)
        let bad = randomSHA256()
        // The second process has built its indicator set before the feed exists.
        #expect(try await second.indicators.current().indicators.isEmpty)
        try await fx.withClient { client in
            let posted = try await client.execute(
                uri: FleetRoutes.feeds + "?name=late&format=plain", method: .post, headers: bearer(fx.analystToken), body: ByteBuffer(string: bad + "\n"))
            #expect(posted.status == .created)
        }
        let app = Application(router: second.makeRouter())
        try await app.test(.router) { client in
            let host = try await enroll(client, secret: fx.secret, name: "b")
            let r = try await client.execute(
                uri: FleetRoutes.batches, method: .post, headers: bearer(host.hostKey, gzip: true),
                body: try gzipBatch(batch(agent: facts("b"), files: [file("/srv/bad.bin", sha256: bad)])))
            #expect(try decodeBody(BatchAcknowledgement.self, r).findingsRecorded == 1)
            let indicators = try await client.execute(uri: FleetRoutes.agentIndicators, method: .get, headers: bearer(host.hostKey))
            #expect(String(buffer: indicators.body).contains(bad))
        }
    }
}
