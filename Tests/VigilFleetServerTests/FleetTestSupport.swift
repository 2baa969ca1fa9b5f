import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCore
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetServer
import VigilFleetStore
import _VigilTestSupport

/// A server over a real store (SQLite in a fresh folder by default, or a fresh PostgreSQL database),
/// with its admin credentials.
struct FleetFixture {
    let directory: URL
    let backend: StoreBackend
    let store: any FleetStore
    let opened: OpenedStore
    let server: FleetServer
    let secret: String
    let adminToken: String
    let analystToken: String
    let viewerToken: String

    init(
        _ adjust: (inout FleetServerConfiguration) -> Void = { _ in },
        networkEvidenceChanged: NetworkEvidenceChanged? = NetworkEvidenceChange.ignore,
        backend: StoreBackend = .sqlite
    ) async throws {
        directory = try TestSupport.makeTemporaryDirectory("vigil-fleet")
        self.backend = backend
        do {
            opened = try await backend.open(in: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        store = opened.store
        var configuration = FleetServerConfiguration()
        configuration.includeDefaultIndicators = true
        configuration.indicatorCheckInterval = .zero
        adjust(&configuration)
        server = FleetServer(store: store, configuration: configuration, networkEvidenceChanged: networkEvidenceChanged)
        (_, secret) = try await FleetServer.createEnrollmentSecret(name: "test", store: store)
        adminToken = try await Self.token("root", .admin, store)
        analystToken = try await Self.token("ana", .analyst, store)
        viewerToken = try await Self.token("vic", .viewer, store)
    }

    static func token(_ name: String, _ role: UserRole, _ store: any FleetStore) async throws -> String {
        let user = try await store.addUser(name: name, role: role, passwordHash: nil, at: Date())
        return try await FleetServer.createAPIToken(user: user, name: "t", store: store).1
    }

    func finish() async {
        try? await store.close()
        await opened.drop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a router-level test client.
    func withClient<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = Application(router: server.makeRouter())
        return try await app.test(.router, body)
    }
}

/// Agent facts for a test machine.
func facts(_ name: String) -> AgentFacts {
    AgentFacts(hostname: name, hostIdentifier: "id-\(name)", os: "linux", osVersion: "6.1", agentVersion: "0.1.0", addresses: ["192.0.2.10"])
}

/// A random 64-hex SHA-256 text.
func randomSHA256() -> String {
    (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
}

func batch(_ id: String = UUID().uuidString, agent: AgentFacts, files: [InventoryFile], removed: [String] = [], sequence: Int = 1) -> InventoryBatch {
    InventoryBatch(
        batchID: id, agent: agent, sweepID: "sweep-1", sequence: sequence, isLastOfSweep: true, sweepStarted: 1_700_000_000,
        sweepFinished: 1_700_000_100, roots: ["/opt"], files: files, removed: removed, findings: [])
}

func file(_ path: String, sha256: String = randomSHA256()) -> InventoryFile {
    InventoryFile(path: path, sha256: sha256, size: 1234, modified: 1_700_000_000)
}

func jsonBuffer(_ value: some Encodable) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONEncoder().encode(value))
}

/// gzip-compresses bytes with the system's gzip (tests only; the agent has its own encoder).
func gzip(_ data: Data) throws -> Data {
    let dir = try TestSupport.makeTemporaryDirectory("vigil-gzip")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    try data.write(to: input)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "gzip -c -n '\(input.path)' > '\(input.path).gz'"]
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    return try Data(contentsOf: URL(fileURLWithPath: input.path + ".gz"))
}

func gzipBatch(_ b: InventoryBatch) throws -> ByteBuffer {
    ByteBuffer(bytes: try gzip(try JSONEncoder().encode(b)))
}

func bearer(_ token: String, gzip: Bool = false) -> HTTPFields {
    var fields: HTTPFields = [.authorization: "Bearer \(token)"]
    if gzip { fields[.contentEncoding] = "gzip" }
    return fields
}

func decodeBody<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try FleetJSON.decoder().decode(T.self, from: Data(response.body.readableBytesView))
}

/// Enrols `name` through the API and returns its id and key.
func enroll(_ client: any TestClientProtocol, secret: String, name: String) async throws -> EnrollmentResponse {
    let response = try await client.execute(
        uri: FleetRoutes.enroll, method: .post, headers: [.contentType: "application/json"],
        body: try jsonBuffer(EnrollmentRequest(secret: secret, agent: facts(name))))
    #expect(response.status == .created)
    return try decodeBody(EnrollmentResponse.self, response)
}
