import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import VigilConsole
import VigilCore
import VigilFleetProtocol
import VigilFleetServer
import VigilFleetStore
import VigilFleetSQLite
import HummingbirdBcrypt
import _VigilTestSupport

@Suite("Web console: access, sessions, CSRF, escaping")
struct ConsoleTests {
    @Test("every console page without a session redirects to /login; every API route without credentials answers 401")
    func routeTableNeedsAuthentication() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            var checked = 0
            for route in ConsoleRouteTable.routes {
                guard case .signedIn = route.access else { continue }
                let r = try await client.execute(uri: concrete(route.path), method: route.method)
                #expect(r.status == .seeOther, "\(route.method) \(route.path) answered \(r.status)")
                #expect(r.headers[.location] == "/login", "\(route.method) \(route.path)")
                // A forged or stale cookie is no better than none.
                let forged = try await client.execute(
                    uri: concrete(route.path), method: route.method, headers: [.cookie: "vigil_session=vigil_cs_" + String(repeating: "ab", count: 32)])
                #expect(forged.status == .seeOther, "\(route.method) \(route.path) with a forged cookie answered \(forged.status)")
                checked += 1
            }
            #expect(checked == ConsoleRouteTable.routes.count - 3)
            for route in FleetRouteTable.routes {
                let r: TestResponse
                if case .enrollmentSecret = route.access {
                    let body = try JSONEncoder().encode(EnrollmentRequest(
                        secret: "vigil_es_" + String(repeating: "0", count: 64),
                        agent: AgentFacts(hostname: "h", hostIdentifier: "h", os: "linux", osVersion: "1", agentVersion: "1", addresses: [])))
                    r = try await client.execute(uri: route.path, method: route.method, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body))
                } else {
                    r = try await client.execute(uri: route.path, method: route.method)
                }
                #expect(r.status == .unauthorized, "\(route.method) \(route.path) answered \(r.status)")
                // A console session cookie is not an API credential.
            }
            let browser = try await signIn(client, "root")
            for route in FleetRouteTable.routes where route.method == .get {
                if case .user = route.access {
                    let r = try await client.execute(uri: route.path, method: .get, headers: browser.headers)
                    #expect(r.status == .unauthorized, "\(route.path) accepted a console cookie")
                }
            }
        }
    }

    @Test("a viewer can read every page but change nothing (403), and nothing changes")
    func viewerCannotChange() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let viewer = try await signIn(client, "vic")
            for route in ConsoleRouteTable.routes where route.method == .get {
                guard case .signedIn(let role) = route.access, role == .viewer else { continue }
                let uri = route.path == ConsoleRouteTable.blocklist ? "/feeds/blocklist?format=hosts" : concrete(route.path)
                let r = try await viewer.get(client, uri)
                #expect([.ok, .notFound].contains(r.status), "viewer GET \(uri): \(r.status)")
            }
            for route in ConsoleRouteTable.routes where route.isForm {
                guard case .signedIn(let role) = route.access, role != .viewer else { continue }
                let r = try await viewer.post(client, concrete(route.path), [("name", "viewer-made")])
                #expect(r.status == .forbidden, "viewer POST \(route.path): \(r.status)")
            }
            let audit = try await viewer.get(client, "/audit")
            #expect(audit.status == .forbidden)
            // Nothing was created or revoked.
            let secrets = try await fx.store.enrollmentSecrets()
            #expect(secrets.count == 1 && secrets.allSatisfy { $0.revokedAt == nil && $0.name == "test" })
            #expect(try await fx.store.feeds().isEmpty)
            // The agents page shows a viewer no secrets.
            #expect(!text(try await viewer.get(client, "/agents")).contains("Revoke"))
        }
    }

    @Test("a form post without its CSRF token (or with another session's) gets 403 and changes nothing")
    func csrfRequired() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let admin = try await signIn(client, "root")
            let other = try await signIn(client, "ana")
            for route in ConsoleRouteTable.routes where route.isForm && route.path != ConsoleRouteTable.login {
                let missing = try await admin.post(client, concrete(route.path), [("name", "no-token")], csrf: false)
                #expect(missing.status == .forbidden, "POST \(route.path) without token: \(missing.status)")
                let foreign = try await admin.post(client, concrete(route.path), [("name", "no-token"), ("csrf", other.csrf)], csrf: false)
                #expect(foreign.status == .forbidden, "POST \(route.path) with another session's token: \(foreign.status)")
            }
            // Still signed in (logout without a token did nothing), still one secret.
            #expect(try await admin.get(client, "/").status == .ok)
            #expect(try await fx.store.enrollmentSecrets().count == 1)
            // The login form checks its own token against the login cookie.
            let login = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formEncode([("user", "root"), ("password", ConsoleFixture.password)])))
            #expect(login.status == .forbidden)
            #expect(setCookie("vigil_session", in: login) == nil)
            // With the token, the admin's change goes through and is audited.
            let made = try await admin.post(client, ConsoleRouteTable.secrets, [("name", "laptops")])
            #expect(made.status == .created)
            #expect(text(made).contains("vigil_es_"))
            let log = try await fx.store.auditLog(limit: 50)
            #expect(log.contains { $0.action == "secret.create" && $0.actor == "root" && $0.target.hasSuffix("laptops") })
        }
    }

    @Test("sign-in: cookies are HttpOnly and SameSite=Strict, wrong passwords fail and are throttled, logout ends the session")
    func sessions() async throws {
        let fx = try await ConsoleFixture { $0.loginRatePerUser = RateLimit(burst: 3, perSecond: 0.001) }
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            let form = try await client.execute(uri: "/login", method: .get)
            let loginCookie = try #require(setCookie("vigil_login", in: form))
            #expect(loginCookie.attributes.contains("HttpOnly") && loginCookie.attributes.contains("SameSite=Strict"))
            #expect(!loginCookie.attributes.contains("Secure"), "plain HTTP in tests: no Secure flag")
            let token = try #require(csrfToken(in: text(form)))
            func attempt(_ password: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/login", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "vigil_login=\(loginCookie.value)"],
                    body: ByteBuffer(string: formEncode([("csrf", token), ("user", "ana"), ("password", password)])))
            }
            let ok = try await attempt(ConsoleFixture.password)
            #expect(ok.status == .seeOther)
            let session = try #require(setCookie("vigil_session", in: ok))
            #expect(session.attributes.contains("HttpOnly") && session.attributes.contains("SameSite=Strict") && session.attributes.contains("Path=/"))
            #expect(try await attempt("wrong password!").status == .unauthorized)
            #expect(try await attempt("wrong password!").status == .unauthorized)
            // The bucket of 3 is spent: even the right password waits now.
            #expect(try await attempt(ConsoleFixture.password).status == .tooManyRequests)
            let log = try await fx.store.auditLog(limit: 50).map(\.action)
            #expect(log.filter { $0 == "login.failed" }.count == 2)
            #expect(log.contains("login.throttled"))

            // Logout ends the session server-side: the old cookie no longer works.
            let browser = Browser(cookie: "vigil_session=\(session.value)", csrf: try #require(csrfToken(in: text(try await client.execute(uri: "/", method: .get, headers: [.cookie: "vigil_session=\(session.value)"])))))
            let out = try await browser.post(client, "/logout")
            #expect(out.status == .seeOther && out.headers[.location] == "/login")
            #expect(try await browser.get(client, "/").status == .seeOther)
        }
    }

    @Test("the store keeps only session hashes and drops expired sessions")
    func sessionStore() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        let user = try #require(try await fx.store.user(name: "vic"))
        let hash = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        let now = Date()
        try await fx.store.createSession(idHash: hash, session: ConsoleSession(userID: user.id, csrfToken: "t", createdAt: now, expiresAt: now.addingTimeInterval(60)))
        #expect(try await fx.store.session(idHash: hash, at: now)?.1.name == "vic")
        #expect(try await fx.store.session(idHash: hash, at: now.addingTimeInterval(61)) == nil)
        #expect(try await fx.store.deleteExpiredSessions(at: now.addingTimeInterval(61)) == 1)
        #expect(try await fx.store.session(idHash: hash, at: now) == nil)
        await #expect(throws: FleetStoreError.self) {
            try await fx.store.createSession(idHash: Data([1, 2]), session: ConsoleSession(userID: user.id, csrfToken: "t", createdAt: now, expiresAt: now))
        }
    }

    @Test("hostile host names, paths, indicators and secret names are escaped on every page")
    func hostileDataEscaped() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        let evil = #"<script>alert("x")</script>'"javascript:alert(1)"#
        try await fx.withClient { client in
            let agent = AgentFacts(
                hostname: evil, hostIdentifier: "id-" + evil, os: evil, osVersion: "1", agentVersion: evil, addresses: ["<b>10.0.0.1"])
            let key = try await enrollAndReport(client, secret: fx.secret, agent: agent, files: [
                InventoryFile(path: "/opt/" + evil + "/ffmpeg.dll", sha256: known3CXSHA256, size: 10, modified: 1_700_000_000, signer: evil),
            ])
            // A finding whose indicator is hostile too.
            _ = try await fx.store.recordFindings([HostFinding(hostID: key.hostID, finding: Finding(
                check: "ioc.name", title: evil, severity: .high, path: "/x/" + evil, explanation: evil, attack: [evil], indicator: evil))], at: Date())
            let admin = try await signIn(client, "root")
            _ = try await admin.post(client, ConsoleRouteTable.secrets, [("name", evil)])
            _ = try await client.execute(uri: "/login", method: .get)
            let pages = [
                "/", "/hosts", "/hosts?q=" + formEncode([("", evil)]).dropFirst(), "/hosts?in=file&q=" + formEncode([("", "/opt/" + evil + "/ffmpeg.dll")]).dropFirst(),
                "/hosts/\(key.hostID)", "/hash/\(known3CXSHA256)", "/feeds", "/agents", "/audit",
            ]
            var sawEscaped = 0
            for page in pages {
                let r = try await admin.get(client, String(page))
                #expect(r.status == .ok, "\(page): \(r.status)")
                let html = text(r)
                #expect(!html.contains("<script"), "\(page) holds a raw <script")
                #expect(!html.contains("<b>"), "\(page) holds raw markup from data")
                #expect(!html.lowercased().contains("href=\"javascript:"), "\(page) links to javascript:")
                #expect(!html.contains(#"alert("x")"#), "\(page) holds an unescaped quote")
                if html.contains("&lt;script&gt;") { sawEscaped += 1 }
                #expect(r.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            }
            // The hostile text is shown (escaped), not dropped: on the overview, hosts, host, hash, agents, audit pages at least.
            #expect(sawEscaped >= 6)
        }
    }

    @Test("overview, hosts, host and hash pages show what the store holds; keyset paging walks every host once")
    func pages() async throws {
        let fx = try await ConsoleFixture { $0.pageSize = 3 }
        defer { Task { await fx.finish() } }
        try await fx.withClient { client in
            for i in 0..<7 {
                let agent = AgentFacts(hostname: "ws-\(i)", hostIdentifier: "id-\(i)", os: "linux", osVersion: "6", agentVersion: i < 5 ? "0.2.0" : "0.1.0", addresses: ["10.1.0.\(i)"])
                try await enrollAndReport(client, secret: fx.secret, agent: agent, files: [
                    InventoryFile(path: "/opt/3cx/ffmpeg.dll", sha256: i == 4 ? known3CXSHA256 : randomSHA256(), size: 10, modified: 1_700_000_000),
                ])
            }
            let viewer = try await signIn(client, "vic")
            let overview = text(try await viewer.get(client, "/"))
            #expect(overview.contains(#"<div class="num">7</div><div class="label">hosts enrolled"#))
            #expect(overview.contains("ws-4"), "the 3CX finding of ws-4 is among the newest")
            #expect(overview.contains(#"id="verdicts""#), "the verdict placeholder is there")

            // Keyset pages of 3: 3 + 3 + 1 hosts, each once.
            var seen: [String] = []
            var uri = "/hosts"
            for _ in 0..<5 {
                let html = text(try await viewer.get(client, uri))
                for i in 0..<7 where html.contains(">ws-\(i)</a>") { seen.append("ws-\(i)") }
                guard let r = html.range(of: #"href="/hosts\?after=[0-9]+""#, options: .regularExpression) else { break }
                uri = String(html[r].dropFirst(6).dropLast())
            }
            #expect(seen.sorted() == (0..<7).map { "ws-\($0)" })
            // Search by address prefix, by hash and by path.
            let byAddress = text(try await viewer.get(client, "/hosts?q=10.1.0.5"))
            #expect(byAddress.contains(">ws-5</a>") && !byAddress.contains(">ws-4</a>"))
            let byHash = text(try await viewer.get(client, "/hosts?q=\(known3CXSHA256.uppercased())"))
            #expect(byHash.contains(">ws-4</a>") && !byHash.contains(">ws-3</a>"))
            let byPath = text(try await viewer.get(client, "/hosts?q=%2Fopt%2F3cx%2Fffmpeg.dll"))
            #expect(byPath.contains("7 stored files at exactly this path."))
            // The hash page: the host holding it, with the indicator's provenance from the built-in set.
            let hash = text(try await viewer.get(client, "/hash/\(known3CXSHA256)"))
            #expect(hash.contains(">ws-4</a>") && hash.contains("known bad"))
            #expect(try await viewer.get(client, "/hash/xyz").status == .notFound)
            #expect(try await viewer.get(client, "/hosts/999999").status == .notFound)
            // The agents page counts versions and the blocklist downloads.
            let agents = text(try await viewer.get(client, "/agents"))
            #expect(agents.contains("<td>0.2.0</td><td class=\"n\">5</td>"))
            let blocklist = try await viewer.get(client, "/feeds/blocklist?format=hosts")
            #expect(blocklist.status == .ok && blocklist.headers[.contentDisposition]?.contains("attachment") == true)
            #expect(text(blocklist).contains("0.0.0.0 "))
        }
    }

    @Test("a feed uploaded as multipart goes through the import and retro-hunt path and is audited")
    func feedUpload() async throws {
        let fx = try await ConsoleFixture()
        defer { Task { await fx.finish() } }
        let bad = randomSHA256()
        try await fx.withClient { client in
            try await enrollAndReport(client, secret: fx.secret, agent: AgentFacts(hostname: "victim", hostIdentifier: "v", os: "linux", osVersion: "6", agentVersion: "1", addresses: []), files: [
                InventoryFile(path: "/usr/lib/libevil.so", sha256: bad, size: 10, modified: 1_700_000_000),
            ])
            let analyst = try await signIn(client, "ana")
            let boundary = "----vigiltest\(UInt32.random(in: 0...UInt32.max))"
            var body = ""
            for (name, value) in [("csrf", analyst.csrf), ("name", "advisory"), ("format", "auto")] {
                body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
            }
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"iocs.txt\"\r\nContent-Type: text/plain\r\n\r\n# advisory\n\(bad)\nnot-an-indicator\n\r\n--\(boundary)--\r\n"
            var headers = analyst.headers
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            let r = try await client.execute(uri: "/feeds", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(r.status == .created)
            let html = text(r)
            #expect(html.contains("Imported advisory"))
            #expect(html.contains("<strong>1</strong> matching files on <strong>1</strong> hosts"))
            #expect(try await fx.store.feeds().map(\.name) == ["advisory"])
            #expect(try await fx.store.findings(matching: FindingQuery()).contains { $0.finding.path == "/usr/lib/libevil.so" })
            #expect(try await fx.store.auditLog(limit: 10).contains { $0.action == "feed.add" && $0.actor == "ana" && $0.target == "advisory" })
            // A truncated multipart body is refused, not half-read.
            let broken = try await client.execute(uri: "/feeds", method: .post, headers: headers, body: ByteBuffer(string: String(body.prefix(60))))
            #expect(broken.status == .badRequest)
        }
    }
}

@Suite("Web console: cookies under TLS, API-only users, form parsing")
struct ConsoleEdgeTests {
    @Test("under TLS the cookies are Secure; a user without a password (API only) cannot sign in")
    func secureCookiesAndAPIOnlyUsers() async throws {
        let fx = try await ConsoleFixture { $0.secureCookies = true }
        defer { Task { await fx.finish() } }
        _ = try await fx.store.addUser(name: "robot", role: .admin, passwordHash: nil, at: Date())
        try await fx.withClient { client in
            let form = try await client.execute(uri: "/login", method: .get)
            let loginCookie = try #require(setCookie("vigil_login", in: form))
            #expect(loginCookie.attributes.contains("; Secure"))
            let token = try #require(csrfToken(in: text(form)))
            func attempt(_ user: String, _ password: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/login", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "vigil_login=\(loginCookie.value)"],
                    body: ByteBuffer(string: formEncode([("csrf", token), ("user", user), ("password", password)])))
            }
            #expect(try await attempt("robot", "").status == .unauthorized)
            #expect(try await attempt("nobody", ConsoleFixture.password).status == .unauthorized)
            let ok = try await attempt("root", ConsoleFixture.password)
            let session = try #require(setCookie("vigil_session", in: ok))
            #expect(session.attributes.contains("; Secure") && session.attributes.contains("HttpOnly"))
        }
    }
}

@Suite("Web console: hostile form bodies")
struct FormParsingTests {
    @Test("url-encoded fields decode, bad escapes are left out, the field count is capped")
    func urlEncoded() {
        let form = FormParsing.urlEncoded(Array("a=1+2&b=%3Cx%3E&c=%zz&a=second&&=empty".utf8))
        #expect(form["a"] == "1 2")
        #expect(form["b"] == "<x>")
        #expect(form["c"] == nil)
        let many = (0..<1000).map { "k\($0)=v" }.joined(separator: "&")
        #expect(FormParsing.urlEncoded(Array(many.utf8)).count == FormParsing.maxFields)
    }

    @Test("multipart: parts and file names read, truncated or part-bombed bodies refused, random bytes never trap")
    func multipart() {
        #expect(FormParsing.boundary(contentType: "multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(FormParsing.boundary(contentType: "text/plain; boundary=abc") == nil)
        #expect(FormParsing.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
        let body = "--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\nline1\r\nline2\r\n--B--\r\n"
        let parts = FormParsing.multipart(Array(body.utf8), boundary: "B")
        #expect(parts?.count == 2)
        #expect(parts?[1].fileName == "f.txt")
        #expect(parts.map { String(decoding: $0[1].body, as: UTF8.self) } == "line1\r\nline2")
        #expect(FormParsing.multipart(Array(body.utf8.prefix(40)), boundary: "B") == nil)
        let bomb = String(repeating: "--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n", count: 200) + "--B--\r\n"
        #expect(FormParsing.multipart(Array(bomb.utf8), boundary: "B") == nil)
        // Near-misses of the boundary over a large body: linear search, no trap.
        let nearMiss = Array(String(repeating: "-", count: 1 << 20).utf8)
        #expect(FormParsing.multipart(nearMiss, boundary: String(repeating: "-", count: 69) + "x") == nil)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let n = Int.random(in: 0..<400, using: &generator)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random() { bytes.insert(contentsOf: Array("--B\r\n".utf8), at: 0) }
            _ = FormParsing.multipart(bytes, boundary: "B")
            _ = FormParsing.urlEncoded(bytes)
        }
    }
}

@Suite("vigil serve user add --password-stdin")
struct PasswordStdinTests {
    @Test(
        "the password comes from standard input, is stored as bcrypt, and the addition is audited; short passwords are refused",
        .enabled(if: TestSupport.vigilExecutable != nil, "the vigil executable is not built (swift build)"))
    func passwordFromStandardInput() async throws {
        let exe = try #require(TestSupport.vigilExecutable)
        let dir = try TestSupport.makeTemporaryDirectory("vigil-console-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        func add(_ name: String, _ password: String) throws -> TestSupport.RunResult {
            try TestSupport.run(URL(fileURLWithPath: "/bin/sh"), [
                "-c", "printf '%s\\n' \"$PW\" | \"$VIGIL\" serve user add \"$NAME\" --role admin --password-stdin --data-dir \"$DIR\"",
            ], environment: ["PW": password, "VIGIL": exe.path, "NAME": name, "DIR": dir.path])
        }
        let ok = try add("first-admin", "a long enough password")
        #expect(ok.status == 0, "\(ok.stderr)")
        let short = try add("shorty", "short")
        #expect(short.status != 0)
        #expect(short.stderr.contains("10 to 200 bytes"))

        let store = try SQLiteFleetStore(path: dir.appendingPathComponent("fleet.sqlite").path)
        try await store.migrate()
        let user = try #require(try await store.user(name: "first-admin"))
        let hash = try #require(user.passwordHash)
        #expect(hash.hasPrefix("$2"), "a bcrypt hash")
        #expect(Bcrypt.verify("a long enough password", hash: hash))
        #expect(!Bcrypt.verify("a long enough passwore", hash: hash))
        #expect(try await store.user(name: "shorty") == nil)
        #expect(try await store.auditLog(limit: 5).contains { $0.actor == "cli" && $0.action == "user.add" && $0.target == "first-admin" })
        try await store.close()
    }
}
