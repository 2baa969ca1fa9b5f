import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilConsole
import VigilCore
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetServer
import VigilFleetStore
import _VigilTestSupport

/// A known-bad SHA-256 of the built-in 3CX set (the trojanised ffmpeg.dll of the 2023 Windows installer).
let known3CXSHA256 = "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896"

/// A fleet server with the console mounted, over a real SQLite store, with one user per role.
struct ConsoleFixture {
    static let password = "correct horse battery"
    let directory: URL
    let store: SQLiteFleetStore
    let server: FleetServer
    let console: Console
    let secret: String

    init(_ adjust: (inout ConsoleConfiguration) -> Void = { _ in }) async throws {
        directory = try TestSupport.makeTemporaryDirectory("vigil-console")
        store = try SQLiteFleetStore(path: directory.appendingPathComponent("fleet.sqlite").path)
        try await store.migrate()
        var configuration = FleetServerConfiguration()
        configuration.indicatorCheckInterval = .zero
        server = FleetServer(store: store, configuration: configuration)
        var consoleConfiguration = ConsoleConfiguration()
        adjust(&consoleConfiguration)
        console = try Console(server: server, configuration: consoleConfiguration)
        (_, secret) = try await FleetServer.createEnrollmentSecret(name: "test", store: store)
        let hash = Console.hashPassword(Self.password)
        for (name, role) in [("root", UserRole.admin), ("ana", .analyst), ("vic", .viewer)] {
            _ = try await store.addUser(name: name, role: role, passwordHash: hash, at: Date())
        }
    }

    func finish() async {
        try? await store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    func withClient<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = Application(router: server.makeRouter(mount: console.mount(on:)))
        return try await app.test(.router, body)
    }
}

/// A signed-in browser: its session cookie and the session's CSRF token.
struct Browser: Sendable {
    var cookie: String
    var csrf: String

    var headers: HTTPFields { [.cookie: cookie] }

    func get(_ client: any TestClientProtocol, _ uri: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: headers)
    }

    /// Posts a form; `csrf: false` leaves the token out.
    func post(_ client: any TestClientProtocol, _ uri: String, _ fields: [(String, String)] = [], csrf: Bool = true) async throws -> TestResponse {
        var all = fields
        if csrf { all.append(("csrf", self.csrf)) }
        var headers = self.headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: formEncode(all)))
    }
}

func formEncode(_ fields: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
}

func text(_ response: TestResponse) -> String { String(buffer: response.body) }

/// The first `name="csrf" value="…"` of a page.
func csrfToken(in html: String) -> String? {
    guard let range = html.range(of: #"name="csrf" value="([0-9a-f]+)""#, options: .regularExpression) else { return nil }
    let match = html[range]
    return match.split(separator: "\"").dropFirst(3).first.map(String.init)
}

/// The value of cookie `name` in a response's Set-Cookie headers.
func setCookie(_ name: String, in response: TestResponse) -> (value: String, attributes: String)? {
    for header in response.headers[values: .setCookie] where header.hasPrefix(name + "=") {
        let value = header.dropFirst(name.count + 1).prefix { $0 != ";" }
        return (String(value), header)
    }
    return nil
}

/// Signs in through the login form like a browser.
func signIn(_ client: any TestClientProtocol, _ user: String, password: String = ConsoleFixture.password) async throws -> Browser {
    let form = try await client.execute(uri: "/login", method: .get)
    #expect(form.status == .ok)
    let loginCookie = try #require(setCookie("vigil_login", in: form))
    let token = try #require(csrfToken(in: text(form)))
    let posted = try await client.execute(
        uri: "/login", method: .post,
        headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "vigil_login=\(loginCookie.value)"],
        body: ByteBuffer(string: formEncode([("csrf", token), ("user", user), ("password", password)])))
    #expect(posted.status == .seeOther, "login of \(user) answered \(posted.status)")
    let session = try #require(setCookie("vigil_session", in: posted))
    let cookie = "vigil_session=\(session.value)"
    let page = try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie])
    #expect(page.status == .ok)
    return Browser(cookie: cookie, csrf: try #require(csrfToken(in: text(page))))
}

/// Enrols a host through the API and sends one batch of files.
@discardableResult
func enrollAndReport(
    _ client: any TestClientProtocol, secret: String, agent: AgentFacts, files: [InventoryFile]
) async throws -> EnrollmentResponse {
    let enrolled = try await client.execute(
        uri: FleetRoutes.enroll, method: .post, headers: [.contentType: "application/json"],
        body: ByteBuffer(bytes: try JSONEncoder().encode(EnrollmentRequest(secret: secret, agent: agent))))
    #expect(enrolled.status == .created)
    let key = try FleetJSON.decoder().decode(EnrollmentResponse.self, from: Data(enrolled.body.readableBytesView))
    let batch = InventoryBatch(
        batchID: UUID().uuidString, agent: agent, sweepID: "s1", sequence: 1, isLastOfSweep: true, sweepStarted: 1_700_000_000,
        sweepFinished: 1_700_000_100, roots: ["/opt"], files: files, removed: [], findings: [])
    let sent = try await client.execute(
        uri: FleetRoutes.batches, method: .post, headers: [.authorization: "Bearer \(key.hostKey)", .contentType: "application/json"],
        body: ByteBuffer(bytes: try JSONEncoder().encode(batch)))
    #expect(sent.status == .ok)
    return key
}

func randomSHA256() -> String {
    (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
}

/// A concrete URI for a route path (placeholders filled in).
func concrete(_ path: String) -> String {
    path.replacingOccurrences(of: "{id}", with: "1").replacingOccurrences(of: "{digest}", with: known3CXSHA256)
}
