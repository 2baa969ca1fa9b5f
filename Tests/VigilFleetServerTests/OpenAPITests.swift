import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilFleetProtocol
import VigilFleetServer
import _VigilTestSupport

/// The paths and methods of docs/fleet-openapi.yaml, read line by line: a path is a two-space-indented
/// key starting with `/`, a method a four-space-indented HTTP verb under it.
func openAPIOperations() throws -> Set<String> {
    let url = TestSupport.repositoryRoot.appendingPathComponent("docs/fleet-openapi.yaml")
    let text = try String(contentsOf: url, encoding: .utf8)
    var operations = Set<String>()
    var current: String?
    var inPaths = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if !line.hasPrefix(" ") { inPaths = line.hasPrefix("paths:"); current = nil; continue }
        guard inPaths else { continue }
        if line.hasPrefix("  /"), line.hasSuffix(":") {
            current = String(line.dropFirst(2).dropLast())
        } else if line.hasPrefix("    "), !line.hasPrefix("     "), let current {
            let key = line.dropFirst(4).prefix { $0 != ":" }
            if ["get", "post", "put", "delete", "patch", "head"].contains(String(key)) {
                operations.insert("\(key.uppercased()) \(current)")
            }
        }
    }
    return operations
}

@Suite("Fleet server: route table and OpenAPI document")
struct OpenAPITests {
    @Test("the router's routes are exactly the OpenAPI document's operations")
    func routesMatchDocument() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        let router = fx.server.makeRouter()
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try openAPIOperations()
        #expect(routed.count == FleetRouteTable.routes.count)
        #expect(routed == documented, "only routed: \(routed.subtracting(documented)); only documented: \(documented.subtracting(routed))")
        // Every FleetRoutes constant is served.
        for path in [
            FleetRoutes.enroll, FleetRoutes.batches, FleetRoutes.agentIndicators, FleetRoutes.agentRules, FleetRoutes.hosts,
            FleetRoutes.files, FleetRoutes.findings, FleetRoutes.feeds, FleetRoutes.enrollmentSecrets, FleetRoutes.networkReports,
            FleetRoutes.verdicts, FleetRoutes.hostVerdict, FleetRoutes.verdictChanges,
        ] {
            #expect(routed.contains { $0.hasSuffix(" " + path) }, "\(path) is not routed")
        }
    }

    @Test("every route but enrolment refuses a request without credentials, and viewers cannot POST")
    func credentialsRequired() async throws {
        let fx = try await FleetFixture()
        defer { Task { await fx.finish() } }
        let routes = fx.server.makeRouter().routes.map { (method: $0.method, path: "\($0.path)") }
        try await fx.withClient { client in
            for route in routes {
                let path = route.path
                let bare = try await client.execute(uri: path, method: route.method, body: ByteBuffer(string: "{}"))
                if path == FleetRoutes.enroll {
                    #expect(bare.status == .badRequest, "enrolment with an empty body answered \(bare.status)")
                    continue
                }
                #expect(bare.status == .unauthorized, "\(route.method) \(path) answered \(bare.status) without credentials")
                #expect(try decodeBody(APIError.self, bare).code == "unauthenticated")
                // The wrong kind of credential is refused too.
                let wrongKind = try await client.execute(uri: path, method: route.method, headers: bearer(fx.secret), body: ByteBuffer(string: "{}"))
                #expect(wrongKind.status == .unauthorized, "\(route.method) \(path) accepted an enrolment secret as a bearer token")
                if route.method == .post, !path.hasPrefix("/api/v1/agent/") {
                    let viewer = try await client.execute(uri: path, method: .post, headers: bearer(fx.viewerToken), body: ByteBuffer(string: "{}"))
                    #expect(viewer.status == .forbidden, "a viewer token could POST \(path)")
                }
            }
            let unknown = try await client.execute(uri: "/api/v1/nothing", method: .get, headers: bearer(fx.adminToken))
            #expect(unknown.status == .notFound)
            #expect(try decodeBody(APIError.self, unknown).code == "not-found")
        }
    }
}
