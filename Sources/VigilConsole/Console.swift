import Crypto
import Foundation
import Synchronization
import Hummingbird
import HTTPTypes
import HummingbirdBcrypt
import Mustache
import NIOCore
import VigilFleetServer
import VigilFleetStore

/// How the console behaves.
public struct ConsoleConfiguration: Sendable {
    /// Mark cookies `Secure` (set when the server listens with TLS).
    public var secureCookies = false
    /// How long a login lasts.
    public var sessionLifetime: TimeInterval = 8 * 3600
    /// An agent silent for longer counts as "not seen recently".
    public var silentAfter: TimeInterval = 24 * 3600
    /// Login attempts per client address and per user name (token buckets, this process).
    public var loginRatePerAddress = RateLimit(burst: 10, perSecond: 0.2)
    public var loginRatePerUser = RateLimit(burst: 5, perSecond: 1.0 / 30)
    /// Form bodies other than feed uploads.
    public var maxFormBody = 64 << 10
    /// Rows per hosts page.
    public var pageSize = 50
    /// Host rows a substring search reads per page where the store has no index for it (SQLite; see
    /// docs/console.md, "Search"). The page says when a search was narrowed to them.
    public var substringScanRows = ConsoleSearchLimits.substringScanRows
    /// How long the overview reuses its verdict counts and chart data (seconds; 0 reads them every time).
    /// Grouping 100,000 verdict changes costs about 90 ms, so a busy overview does it once a minute.
    public var verdictSummaryLifetime: TimeInterval = 60

    public init() {}
}

/// The web console: server-rendered HTML pages over the fleet store, mounted on the fleet server's
/// router beside the API. Every page works without JavaScript. Sessions live in the store (hashed
/// ids), so several servers sharing PostgreSQL recognise each other's logins; every form carries the
/// session's CSRF token; every change is written to the audit log. See docs/console.md.
public final class Console: Sendable {
    public let server: FleetServer
    public let configuration: ConsoleConfiguration
    let library: MustacheLibrary
    let loginByAddress: RateLimiter
    let loginByUser: RateLimiter
    /// Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
    let dummyHash: String
    /// The overview's verdict summary, shared by concurrent requests.
    let verdictCache = Mutex<VerdictSummary?>(nil)

    static let sessionCookie = "vigil_session"
    static let loginCookie = "vigil_login"
    static let sessionPrefix = "vigil_cs_"

    public init(server: FleetServer, configuration: ConsoleConfiguration = ConsoleConfiguration()) throws {
        self.server = server
        self.configuration = configuration
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all { try library.register(text, named: name) }
        self.library = library
        self.loginByAddress = RateLimiter(configuration.loginRatePerAddress)
        self.loginByUser = RateLimiter(configuration.loginRatePerUser)
        self.dummyHash = Bcrypt.hash(FleetCredentials.newToken(prefix: "x"), cost: 8)
    }

    var store: any FleetStore { server.store }

    /// Adds every route of ``ConsoleRouteTable`` to the fleet server's router.
    public func mount(on router: Router<FleetRequestContext>) {
        for route in ConsoleRouteTable.routes {
            router.on(RouterPath(route.path), method: route.method) { [self] request, context in
                await self.handle(route, request: request, context: context)
            }
        }
    }

    /// The encoded bcrypt hash (cost 12) the users table keeps for a console password.
    public static func hashPassword(_ password: String) -> String { Bcrypt.hash(password, cost: 12) }

    // MARK: Dispatch

    /// What a signed-in request carries.
    struct Visit {
        var route: ConsoleRoute
        var request: Request
        var context: FleetRequestContext
        var user: UserRecord
        var session: ConsoleSession
        var sessionHash: Data
        /// Form fields of a post (multipart parts' text for uploads).
        var form: [String: String] = [:]
        var upload: FormParsing.Part?
    }

    func handle(_ route: ConsoleRoute, request: Request, context: FleetRequestContext) async -> Response {
        do {
            switch route.access {
            case .anyone:
                switch (route.method, route.path) {
                case (.get, ConsoleRouteTable.stylesheet):
                    return Response(
                        status: .ok,
                        headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600", .xContentTypeOptions: "nosniff"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: ConsoleTemplates.stylesheet)))
                case (.get, _): return try await loginPage(request)
                default: return try await login(request, context: context)
                }
            case .signedIn(let required):
                guard let (session, user, hash) = try await currentSession(request) else {
                    return Self.redirect(ConsoleRouteTable.login)
                }
                var visit = Visit(route: route, request: request, context: context, user: user, session: session, sessionHash: hash)
                guard user.role.consoleAllows(required) else {
                    return errorPage(visit, .forbidden, "Not allowed", "Your role (\(user.role.rawValue)) cannot do this; it needs \(required.rawValue).")
                }
                if route.isForm {
                    guard try await readForm(&visit) else {
                        return errorPage(visit, .forbidden, "Form expired", "The form's security token is missing or wrong. Reload the page and try again.")
                    }
                }
                return try await page(visit)
            }
        } catch let error as ConsoleInputError {
            return plainError(.badRequest, error.message)
        } catch {
            context.logger.error("console \(route.method) \(route.path): \(error)")
            return plainError(.serviceUnavailable, "The server cannot reach its database right now; try again shortly.")
        }
    }

    func page(_ visit: Visit) async throws -> Response {
        switch (visit.route.method, visit.route.path) {
        case (.post, ConsoleRouteTable.logout): return try await logout(visit)
        case (.get, ConsoleRouteTable.overview): return try await overview(visit)
        case (.get, ConsoleRouteTable.hosts): return try await hostsPage(visit)
        case (.get, ConsoleRouteTable.host): return try await hostPage(visit)
        case (.get, ConsoleRouteTable.hash): return try await hashPage(visit)
        case (.get, ConsoleRouteTable.feeds): return try await feedsPage(visit, result: nil, problem: nil)
        case (.post, ConsoleRouteTable.feeds): return try await uploadFeed(visit)
        case (.get, ConsoleRouteTable.blocklist): return try await blocklist(visit)
        case (.get, ConsoleRouteTable.agents): return try await agentsPage(visit, newSecret: nil, flash: nil)
        case (.post, ConsoleRouteTable.secrets): return try await createSecret(visit)
        case (.post, ConsoleRouteTable.revokeSecret): return try await revokeSecret(visit)
        case (.get, ConsoleRouteTable.audit): return try await auditPage(visit)
        case (.post, ConsoleRouteTable.markFinding): return try await markFinding(visit)
        case (.get, ConsoleRouteTable.users): return try await usersPage(visit, flash: nil)
        case (.post, ConsoleRouteTable.users): return try await createUser(visit)
        case (.post, ConsoleRouteTable.userRole): return try await changeRole(visit)
        case (.post, ConsoleRouteTable.userPassword): return try await resetPassword(visit)
        case (.post, ConsoleRouteTable.userDisable): return try await disableUser(visit)
        case (.post, ConsoleRouteTable.userDelete): return try await deleteUser(visit)
        case (.get, ConsoleRouteTable.tokens): return try await tokensPage(visit, newToken: nil, flash: nil)
        case (.post, ConsoleRouteTable.tokens): return try await createToken(visit)
        case (.post, ConsoleRouteTable.revokeToken): return try await revokeToken(visit)
        default: return errorPage(visit, .notFound, "Not found", "There is no such page.")
        }
    }

    // MARK: Sessions and CSRF

    func currentSession(_ request: Request) async throws -> (ConsoleSession, UserRecord, Data)? {
        guard let token = Self.cookie(Self.sessionCookie, in: request),
            FleetCredentials.isWellFormed(token, prefix: Self.sessionPrefix)
        else { return nil }
        let hash = FleetCredentials.hash(token)
        guard let (session, user) = try await store.session(idHash: hash, at: Date()) else { return nil }
        return (session, user, hash)
    }

    /// Reads a post's body (form or multipart) and checks its CSRF token against the session's.
    func readForm(_ visit: inout Visit) async throws -> Bool {
        let contentType = visit.request.headers[.contentType] ?? ""
        if let boundary = FormParsing.boundary(contentType: contentType) {
            let cap = server.configuration.limits.maxFeedBody + 64 << 10
            let bytes = try await Self.collect(visit.request, cap: cap)
            guard let parts = FormParsing.multipart(bytes, boundary: boundary) else {
                throw ConsoleInputError("the upload is not well-formed multipart/form-data")
            }
            for part in parts {
                if part.fileName != nil {
                    if visit.upload == nil { visit.upload = part }
                } else if part.body.count <= 4096, let text = String(validating: part.body, as: UTF8.self), visit.form[part.name] == nil {
                    visit.form[part.name] = text
                }
            }
        } else {
            visit.form = FormParsing.urlEncoded(try await Self.collect(visit.request, cap: configuration.maxFormBody))
        }
        guard let given = visit.form["csrf"] else { return false }
        return Self.constantTimeEqual(given, visit.session.csrfToken)
    }

    static func collect(_ request: Request, cap: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > cap {
            throw ConsoleInputError("the request body is \(length) bytes; at most \(cap) are accepted")
        }
        do {
            return Array(try await request.body.collect(upTo: cap).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw ConsoleInputError("the request body is larger than \(cap) bytes, the most accepted")
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for piece in header.split(separator: ";") {
                let pair = piece.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }

    /// A `Set-Cookie` value: always `HttpOnly` and `SameSite=Strict`, `Secure` under TLS.
    func setCookie(_ name: String, _ value: String, maxAge: Int, path: String = "/") -> String {
        var text = "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
        if configuration.secureCookies { text += "; Secure" }
        return text
    }

    // MARK: Login and logout

    func loginPage(_ request: Request, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        // Login CSRF: the form's token must equal a cookie set with the form (double submit).
        let token = FleetCredentials.newToken(prefix: "")
        var values: [String: Any] = ["title": "Sign in", "csrf": token]
        if let problem { values["problem"] = problem }
        var response = render("login", values, status: status)
        response.headers[values: .setCookie].append(setCookie(Self.loginCookie, token, maxAge: 3600, path: ConsoleRouteTable.login))
        return response
    }

    func login(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let form = FormParsing.urlEncoded(try await Self.collect(request, cap: configuration.maxFormBody))
        guard let given = form["csrf"], let expected = Self.cookie(Self.loginCookie, in: request), Self.constantTimeEqual(given, expected) else {
            return try await loginPage(request, problem: "The sign-in form expired; please try again.", status: .forbidden)
        }
        let name = String((form["user"] ?? "").prefix(100))
        let password = form["password"] ?? ""
        let address = context.remoteAddress ?? "unknown"
        if loginByAddress.acquire("addr:\(address)") != nil || loginByUser.acquire("user:\(name.lowercased())") != nil {
            try await audit(actor: name, action: "login.throttled", target: name, detail: "from \(address)")
            return try await loginPage(request, problem: "Too many sign-in attempts; wait a minute and try again.", status: .tooManyRequests)
        }
        let user = name.isEmpty ? nil : try await store.user(name: name)
        let hash = user?.passwordHash ?? dummyHash
        let matches = password.utf8.count <= 200 && Bcrypt.verify(password, hash: hash)
        guard let user, user.passwordHash != nil, matches else {
            try await audit(actor: name, action: "login.failed", target: name, detail: "from \(address)")
            return try await loginPage(request, problem: "Wrong user name or password.", status: .unauthorized)
        }
        let token = FleetCredentials.newToken(prefix: Self.sessionPrefix)
        let now = Date()
        let session = ConsoleSession(
            userID: user.id, csrfToken: FleetCredentials.newToken(prefix: ""), createdAt: now,
            expiresAt: now.addingTimeInterval(configuration.sessionLifetime))
        try await store.createSession(idHash: FleetCredentials.hash(token), session: session)
        _ = try? await store.deleteExpiredSessions(at: now)
        try await audit(actor: user.name, action: "login", target: user.name, detail: "from \(address)")
        var response = Self.redirect(ConsoleRouteTable.overview)
        response.headers[values: .setCookie].append(setCookie(Self.sessionCookie, token, maxAge: Int(configuration.sessionLifetime)))
        response.headers[values: .setCookie].append(setCookie(Self.loginCookie, "", maxAge: 0, path: ConsoleRouteTable.login))
        return response
    }

    func logout(_ visit: Visit) async throws -> Response {
        _ = try await store.deleteSession(idHash: visit.sessionHash)
        try await audit(actor: visit.user.name, action: "logout", target: visit.user.name, detail: "")
        var response = Self.redirect(ConsoleRouteTable.login)
        response.headers[values: .setCookie].append(setCookie(Self.sessionCookie, "", maxAge: 0))
        return response
    }

    func audit(actor: String, action: String, target: String, detail: String) async throws {
        try await store.appendAudit(AuditEntry(
            at: Date(), actor: String(actor.prefix(200)), action: action, target: String(target.prefix(500)), detail: String(detail.prefix(900))))
    }

    // MARK: Responses

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-store",
    ]

    func render(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(values, withTemplate: template) ?? "template \(template) missing"
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page for a signed-in user: the layout's user block and navigation are added.
    func render(_ visit: Visit, _ template: String, title: String, active: String, _ values: [String: Any],
                status: HTTPResponse.Status = .ok) -> Response {
        var all = values
        all["title"] = title
        var nav: [[String: Any]] = [
            ["href": "/", "label": "Overview", "active": active == "overview"],
            ["href": "/hosts", "label": "Hosts", "active": active == "hosts"],
            ["href": "/feeds", "label": "Feeds", "active": active == "feeds"],
            ["href": "/agents", "label": "Agents", "active": active == "agents"],
        ]
        nav.append(["href": "/tokens", "label": "API tokens", "active": active == "tokens"])
        if visit.user.role == .admin {
            nav.append(["href": "/users", "label": "Users", "active": active == "users"])
            nav.append(["href": "/audit", "label": "Audit log", "active": active == "audit"])
        }
        all["user"] = ["name": visit.user.name, "role": visit.user.role.rawValue, "csrf": visit.session.csrfToken, "nav": nav] as [String: Any]
        all["csrf"] = visit.session.csrfToken
        return render(template, all, status: status)
    }

    func errorPage(_ visit: Visit, _ status: HTTPResponse.Status, _ heading: String, _ message: String) -> Response {
        render(visit, "error", title: heading, active: "", ["heading": heading, "message": message], status: status)
    }

    func plainError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        render("error", ["title": "Error", "heading": "Something went wrong", "message": message], status: status)
    }
}

/// Input the console refuses (answered 400 with the message).
struct ConsoleInputError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
