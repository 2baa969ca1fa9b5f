import Hummingbird
import VigilFleetStore

/// Who may use a console route.
public enum ConsoleAccess: Sendable, Hashable {
    /// No session needed (the login page, the style sheet).
    case anyone
    /// A signed-in user with at least this role. Pages without a session redirect to `/login`;
    /// form posts also need the session's CSRF token.
    case signedIn(UserRole)
}

/// One route of the web console.
public struct ConsoleRoute: Sendable, Hashable {
    public var method: HTTPRequest.Method
    public var path: String
    public var access: ConsoleAccess
    /// Whether the route is a form post that changes something (CSRF token checked, audit written).
    public var isForm: Bool { method == .post }
}

/// Every route of the console; the router is built from this list and a test walks it.
public enum ConsoleRouteTable {
    public static let login = "/login"
    public static let logout = "/logout"
    public static let overview = "/"
    public static let hosts = "/hosts"
    public static let host = "/hosts/{id}"
    public static let hash = "/hash/{digest}"
    public static let feeds = "/feeds"
    public static let blocklist = "/feeds/blocklist"
    public static let agents = "/agents"
    public static let secrets = "/agents/secrets"
    public static let revokeSecret = "/agents/secrets/{id}/revoke"
    public static let audit = "/audit"
    public static let stylesheet = "/static/console.css"
    public static let markFinding = "/findings/{id}/mark"
    public static let users = "/users"
    public static let userRole = "/users/{id}/role"
    public static let userPassword = "/users/{id}/password"
    public static let userDisable = "/users/{id}/disable"
    public static let userDelete = "/users/{id}/delete"
    public static let tokens = "/tokens"
    public static let revokeToken = "/tokens/{id}/revoke"

    public static let routes: [ConsoleRoute] = [
        ConsoleRoute(method: .get, path: login, access: .anyone),
        ConsoleRoute(method: .post, path: login, access: .anyone),
        ConsoleRoute(method: .get, path: stylesheet, access: .anyone),
        ConsoleRoute(method: .post, path: logout, access: .signedIn(.viewer)),
        ConsoleRoute(method: .get, path: overview, access: .signedIn(.viewer)),
        ConsoleRoute(method: .get, path: hosts, access: .signedIn(.viewer)),
        ConsoleRoute(method: .get, path: host, access: .signedIn(.viewer)),
        ConsoleRoute(method: .get, path: hash, access: .signedIn(.viewer)),
        ConsoleRoute(method: .get, path: feeds, access: .signedIn(.viewer)),
        ConsoleRoute(method: .post, path: feeds, access: .signedIn(.analyst)),
        ConsoleRoute(method: .get, path: blocklist, access: .signedIn(.viewer)),
        ConsoleRoute(method: .get, path: agents, access: .signedIn(.viewer)),
        ConsoleRoute(method: .post, path: secrets, access: .signedIn(.admin)),
        ConsoleRoute(method: .post, path: revokeSecret, access: .signedIn(.admin)),
        ConsoleRoute(method: .get, path: audit, access: .signedIn(.admin)),
        ConsoleRoute(method: .post, path: markFinding, access: .signedIn(.analyst)),
        ConsoleRoute(method: .get, path: users, access: .signedIn(.admin)),
        ConsoleRoute(method: .post, path: users, access: .signedIn(.admin)),
        ConsoleRoute(method: .post, path: userRole, access: .signedIn(.admin)),
        ConsoleRoute(method: .post, path: userPassword, access: .signedIn(.admin)),
        ConsoleRoute(method: .post, path: userDisable, access: .signedIn(.admin)),
        ConsoleRoute(method: .post, path: userDelete, access: .signedIn(.admin)),
        // Every user manages their own API tokens (for `vigil fleet`); a token acts with its user's role.
        ConsoleRoute(method: .get, path: tokens, access: .signedIn(.viewer)),
        ConsoleRoute(method: .post, path: tokens, access: .signedIn(.viewer)),
        ConsoleRoute(method: .post, path: revokeToken, access: .signedIn(.viewer)),
    ]
}

extension UserRole {
    /// Whether this role may do what `required` allows (viewer < analyst < admin).
    func consoleAllows(_ required: UserRole) -> Bool {
        func rank(_ r: UserRole) -> Int {
            switch r {
            case .viewer: 0
            case .analyst: 1
            case .admin: 2
            }
        }
        return rank(self) >= rank(required)
    }
}
