import Hummingbird
import VigilFleetProtocol
import VigilFleetStore

/// Who may call a route.
public enum FleetAccess: Sendable, Hashable {
    /// The enrolment secret travels in the body; no bearer token.
    case enrollmentSecret
    /// `Authorization: Bearer vigil_hk_…` (a host key).
    case hostKey
    /// `Authorization: Bearer vigil_ut_…` (an API token) of a user with at least this role.
    case user(UserRole)
}

/// One route of the API.
public struct FleetRoute: Sendable, Hashable {
    public var method: HTTPRequest.Method
    public var path: String
    public var access: FleetAccess
}

extension UserRole {
    /// Whether a user with this role may do what `required` allows.
    func allows(_ required: UserRole) -> Bool {
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

/// The server's route table: every route ``FleetServer`` registers, with the access it demands. The
/// router is built from this list, and a test checks it against docs/fleet-openapi.yaml.
public enum FleetRouteTable {
    public static let routes: [FleetRoute] = [
        FleetRoute(method: .post, path: FleetRoutes.enroll, access: .enrollmentSecret),
        FleetRoute(method: .post, path: FleetRoutes.batches, access: .hostKey),
        FleetRoute(method: .get, path: FleetRoutes.agentIndicators, access: .hostKey),
        FleetRoute(method: .get, path: FleetRoutes.agentRules, access: .hostKey),
        FleetRoute(method: .get, path: FleetRoutes.hosts, access: .user(.viewer)),
        FleetRoute(method: .get, path: FleetRoutes.files, access: .user(.viewer)),
        FleetRoute(method: .get, path: FleetRoutes.findings, access: .user(.viewer)),
        FleetRoute(method: .get, path: FleetRoutes.feeds, access: .user(.viewer)),
        FleetRoute(method: .post, path: FleetRoutes.feeds, access: .user(.analyst)),
        FleetRoute(method: .get, path: FleetRoutes.verdicts, access: .user(.viewer)),
        FleetRoute(method: .get, path: FleetRoutes.hostVerdict, access: .user(.viewer)),
        FleetRoute(method: .get, path: FleetRoutes.verdictChanges, access: .user(.viewer)),
        FleetRoute(method: .get, path: FleetRoutes.enrollmentSecrets, access: .user(.admin)),
        FleetRoute(method: .post, path: FleetRoutes.enrollmentSecrets, access: .user(.admin)),
        FleetRoute(method: .post, path: FleetRoutes.networkReports, access: .user(.analyst)),
    ]
}
