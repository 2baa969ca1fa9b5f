import Foundation
import Hummingbird
import NIOCore
import VigilCore
import VigilFeeds
import VigilFleetProtocol
import VigilFleetStore
import VigilGzip
import VigilIndicators

/// The fleet API over one ``FleetStore``: enrolment, inventory batches, indicator and rule downloads
/// for agents; hosts, inventory search, findings, feeds and enrolment secrets for users.
///
/// Stateless apart from caches (the indicator snapshot, rate-limit buckets), so several processes can
/// serve one PostgreSQL database.
public final class FleetServer: Sendable {
    public let store: any FleetStore
    public let configuration: FleetServerConfiguration
    public let indicators: ServerIndicators
    /// Per-host verdicts: recomputed when evidence arrives, served by the verdict routes.
    public let verdicts: VerdictService
    let hostLimiter: RateLimiter
    let tokenLimiter: RateLimiter
    let enrollLimiter: RateLimiter
    /// Called after network evidence changed (a report applied, a retro-hunt of the contact index
    /// found contacts); see ``NetworkEvidenceChanged``.
    public let networkEvidenceChanged: NetworkEvidenceChanged

    /// - Parameter networkEvidenceChanged: nil (the default) recomputes verdicts with ``verdicts`` and
    ///   reports the changes of the pass that includes the change; tests pass their own hook.
    public init(
        store: any FleetStore, configuration: FleetServerConfiguration = FleetServerConfiguration(),
        networkEvidenceChanged: NetworkEvidenceChanged? = nil
    ) {
        self.store = store
        self.configuration = configuration
        self.indicators = ServerIndicators(
            store: store, includeDefaults: configuration.includeDefaultIndicators, checkInterval: configuration.indicatorCheckInterval)
        let verdicts = VerdictService(
            store: store, indicators: indicators, options: configuration.verdicts, notifiers: configuration.verdictNotifiers)
        self.verdicts = verdicts
        let wait = configuration.verdictWait
        self.networkEvidenceChanged = networkEvidenceChanged ?? { _ in
            await verdicts.recomputeAndWait(timeout: wait)?.changes ?? 0
        }
        self.hostLimiter = RateLimiter(configuration.limits.hostRate)
        self.tokenLimiter = RateLimiter(configuration.limits.tokenRate)
        self.enrollLimiter = RateLimiter(configuration.limits.enrollRate)
    }

    var limits: FleetServerLimits { configuration.limits }

    /// A router holding every route of ``FleetRouteTable``, behind the error middleware; `mount` adds
    /// further routes (the web console) to the same router.
    public func makeRouter(mount: (Router<FleetRequestContext>) -> Void = { _ in }) -> Router<FleetRequestContext> {
        let router = Router(context: FleetRequestContext.self)
        router.add(middleware: APIErrorMiddleware<FleetRequestContext>(retryAfterSeconds: limits.unavailableRetryAfterSeconds))
        for route in FleetRouteTable.routes {
            let deadline = switch route.path {
            case FleetRoutes.feeds where route.method == .post: limits.feedDeadline
            case FleetRoutes.batches: limits.batchDeadline
            case FleetRoutes.networkReports: limits.networkReportDeadline
            default: limits.requestDeadline
            }
            router.on(RouterPath(route.path), method: route.method) { [self] request, context in
                do {
                    return try await withDeadline(deadline) { try await self.respond(to: route, request: request, context: context) }
                } catch is DeadlineExceeded {
                    context.logger.error("\(route.method) \(route.path) took longer than \(deadline): store unresponsive?")
                    throw FleetHTTPError.unavailable(
                        "the server's database did not answer in time; retry later", retryAfter: limits.unavailableRetryAfterSeconds)
                }
            }
        }
        mount(router)
        return router
    }

    // MARK: Dispatch

    func respond(to route: FleetRoute, request: Request, context: FleetRequestContext) async throws -> Response {
        switch route.access {
        case .enrollmentSecret:
            if let wait = enrollLimiter.acquire(context.remoteAddress ?? "unknown") { throw FleetHTTPError.rateLimited(retryAfter: wait) }
            return try await enroll(request)
        case .hostKey:
            let host = try await authenticateHost(request)
            if let wait = hostLimiter.acquire("host:\(host.id)") { throw FleetHTTPError.rateLimited(retryAfter: wait) }
            switch route.path {
            case FleetRoutes.batches: return try await receiveBatch(request, host: host)
            case FleetRoutes.agentIndicators: return try await agentIndicators(request)
            default: return try await agentRules(request)
            }
        case .user(let required):
            let (token, user) = try await authenticateUser(request)
            guard user.role.allows(required) else {
                throw FleetHTTPError.forbidden("user \(user.name) has role \(user.role.rawValue); this needs \(required.rawValue)")
            }
            if let wait = tokenLimiter.acquire("token:\(token.id)") { throw FleetHTTPError.rateLimited(retryAfter: wait) }
            let post = route.method == .post
            switch route.path {
            case FleetRoutes.hosts: return try await listHosts(request)
            case FleetRoutes.files: return try await searchFiles(request)
            case FleetRoutes.findings: return try await listFindings(request)
            case FleetRoutes.verdicts: return try await listVerdicts(request)
            case FleetRoutes.hostVerdict: return try await hostVerdict(request, context: context)
            case FleetRoutes.verdictChanges: return try await listVerdictChanges(request)
            case FleetRoutes.feeds: return post ? try await addFeed(request) : try json(try await store.feeds())
            case FleetRoutes.networkReports: return try await receiveNetworkReport(request, user: user)
            default: return post ? try await createEnrollmentSecret(request) : try json(try await store.enrollmentSecrets())
            }
        }
    }

    // MARK: Authentication

    static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    func authenticateHost(_ request: Request) async throws -> HostRecord {
        guard let token = Self.bearer(request) else {
            throw FleetHTTPError.unauthenticated("this route needs Authorization: Bearer <host key>")
        }
        guard FleetCredentials.isWellFormed(token, prefix: FleetTokenPrefix.hostKey) else {
            throw FleetHTTPError.unauthenticated("the bearer token is not a host key (\(FleetTokenPrefix.hostKey)…)")
        }
        guard let host = try await store.host(keyHash: FleetCredentials.hash(token)), !host.keyRevoked else {
            // The store keeps only current key hashes: a revoked key, one replaced by a later enrolment and a
            // key this server never issued look alike, and all mean the same to the agent: enrol again.
            throw FleetHTTPError.revoked("this host key is revoked or no longer current; enrol again with an enrolment secret")
        }
        return host
    }

    func authenticateUser(_ request: Request) async throws -> (APITokenRecord, UserRecord) {
        guard let token = Self.bearer(request) else {
            throw FleetHTTPError.unauthenticated("this route needs Authorization: Bearer <API token>")
        }
        guard FleetCredentials.isWellFormed(token, prefix: FleetTokenPrefix.apiToken),
            let found = try await store.apiToken(hash: FleetCredentials.hash(token))
        else {
            throw FleetHTTPError.unauthenticated("unknown or revoked API token (create one with `vigil serve token create`)")
        }
        return found
    }

    // MARK: Bodies

    /// The request body, refused with 413 beyond `cap` bytes (by `Content-Length` first, then while reading).
    func body(_ request: Request, cap: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > cap {
            throw FleetHTTPError.tooLarge("body is \(length) bytes; this route takes at most \(cap)")
        }
        do {
            return try await request.body.collect(upTo: cap)
        } catch is NIOTooManyBytesError {
            throw FleetHTTPError.tooLarge("body is larger than \(cap) bytes, the most this route takes")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw FleetHTTPError.tooLarge("body is larger than \(cap) bytes, the most this route takes")
        }
    }

    /// The body un-gzipped (`Content-Encoding: gzip`) or as sent (identity), refused with 413 past
    /// `cap` compressed or `expandedCap` expanded bytes, 400 when the gzip stream is corrupt, 415
    /// for other encodings.
    func expandedBody(_ request: Request, cap: Int, expandedCap: Int, what: String) async throws -> [UInt8] {
        let raw = try await body(request, cap: cap)
        let encoding = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces)
        switch encoding {
        case "gzip", "x-gzip":
            do {
                return try GzipDecoder.gunzip(Array(raw.readableBytesView), maxOutput: expandedCap)
            } catch let error as GzipError {
                if error.limitExceeded {
                    throw FleetHTTPError.tooLarge("\(what) expands to more than \(expandedCap) bytes; send smaller ones")
                }
                throw FleetHTTPError.malformed("the gzip body is corrupt or truncated: \(error.message)")
            }
        case nil, "", "identity":
            guard raw.readableBytes <= expandedCap else {
                throw FleetHTTPError.tooLarge("\(what) is larger than \(expandedCap) bytes")
            }
            return Array(raw.readableBytesView)
        default:
            throw FleetHTTPError(.unsupportedMediaType, "malformed", "Content-Encoding \(encoding ?? "") is not supported; use gzip")
        }
    }

    func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>, what: String) throws -> T {
        do {
            return try FleetJSON.decoder().decode(T.self, from: Data(bytes))
        } catch {
            throw FleetHTTPError.malformed("\(what) is not valid JSON of the expected shape: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        let text: String
        switch error {
        case DecodingError.dataCorrupted(let c): text = "data corrupted at \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case DecodingError.keyNotFound(let k, let c): text = "missing key \(k.stringValue) at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let c): text = "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case DecodingError.valueNotFound(_, let c): text = "null at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: text = String(describing: error)
        }
        return String(text.prefix(300))
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        let data = try FleetJSON.encoder().encode(value)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Agent routes

    func enroll(_ request: Request) async throws -> Response {
        let bytes = try await body(request, cap: limits.maxEnrollBody)
        let enrolment = try decode(EnrollmentRequest.self, from: bytes.readableBytesView, what: "the enrolment request")
        try BatchValidator(limits: limits).validate(enrolment.agent)
        guard enrolment.secret.hasPrefix(FleetTokenPrefix.enrollmentSecret),
            let secret = try await store.enrollmentSecret(hash: FleetCredentials.hash(enrolment.secret)), secret.revokedAt == nil
        else {
            throw FleetHTTPError.unauthenticated("unknown or revoked enrolment secret")
        }
        let key = FleetCredentials.newToken(prefix: FleetTokenPrefix.hostKey)
        let host = try await store.enrollHost(agent: enrolment.agent, keyHash: FleetCredentials.hash(key), at: Date())
        return try json(EnrollmentResponse(hostID: host.id, hostKey: key), status: .created)
    }

    func receiveBatch(_ request: Request, host: HostRecord) async throws -> Response {
        let expanded = try await expandedBody(request, cap: limits.maxBatchBody, expandedCap: limits.maxBatchExpanded, what: "the batch")
        var batch = try decode(InventoryBatch.self, from: expanded, what: "the batch")
        try BatchValidator(limits: limits).validate(&batch)

        // Match on arrival, against this process's current view of every feed.
        let snapshot = try await indicators.current()
        var serverFindings: [Finding] = []
        for file in batch.files { serverFindings += snapshot.findings(for: file) }

        let now = Date()
        // The host id comes from the key, never from the body.
        let hadInventory = try await store.hasInventory(hostID: host.id)
        let outcome = try await store.applyBatch(hostID: host.id, batch: batch, serverFindings: serverFindings, receivedAt: now)
        try await store.recordContact(hostID: host.id, agent: batch.agent, at: now)
        // The store held nothing for this host and the batch is a delta on top of something: the agent must
        // forget what it believes the server has and send everything again.
        let resync = !outcome.duplicate && !hadInventory && !(batch.sequence == 1 && batch.removed.isEmpty)
        if !outcome.duplicate, outcome.findingsRecorded > 0 || !serverFindings.isEmpty || batch.touchesVersionFiles(configuration.verdicts.versionFileNames) {
            verdicts.requestRecompute()
        }
        let ack = BatchAcknowledgement(
            batchID: batch.batchID, duplicate: outcome.duplicate, filesApplied: outcome.filesApplied,
            filesRemoved: outcome.filesRemoved, findingsRecorded: outcome.findingsRecorded, resync: resync)
        return try json(ack)
    }

    func agentIndicators(_ request: Request) async throws -> Response {
        let snapshot = try await indicators.current()
        return conditional(request, etag: snapshot.indicatorsETag, contentType: "application/json", body: snapshot.agentIndicatorsJSON)
    }

    func agentRules(_ request: Request) async throws -> Response {
        let snapshot = try await indicators.current()
        return conditional(request, etag: snapshot.rulesETag, contentType: "text/plain; charset=utf-8", body: Data(snapshot.rulesText.utf8))
    }

    /// 304 when `If-None-Match` names the current ETag, else the body with its ETag.
    func conditional(_ request: Request, etag: String, contentType: String, body: Data) -> Response {
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" })
        {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        return Response(
            status: .ok, headers: [.eTag: etag, .contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: Client routes

    func intParameter(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw FleetHTTPError.malformed("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    func listHosts(_ request: Request) async throws -> Response {
        let name = request.uri.queryParameters.get("name")
        if let name, name.utf8.count > limits.maxTextBytes { throw FleetHTTPError.malformed("name is too long") }
        let query = HostQuery(
            nameContains: name, limit: try intParameter(request, "limit", default: 1000, range: 1...limits.maxQueryRows),
            offset: try intParameter(request, "offset", default: 0, range: 0...Int(Int32.max)))
        return try json(try await store.hosts(matching: query))
    }

    func searchFiles(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        if let sha = parameters.get("sha256")?.lowercased() {
            guard BatchValidator.isHex(sha, length: 64), let digest = RetroHunt.rawDigest(sha) else {
                throw FleetHTTPError.malformed("sha256 must be 64 hexadecimal digits")
            }
            return try json(Array(try await store.inventory(sha256: [digest]).prefix(limits.maxQueryRows)))
        }
        if let name = parameters.get("name") {
            guard !name.isEmpty, name.utf8.count <= limits.maxPathBytes, !name.contains("/") else {
                throw FleetHTTPError.malformed("name must be a file name (no /), 1 to \(limits.maxPathBytes) bytes")
            }
            return try json(Array(try await store.inventory(names: [name]).prefix(limits.maxQueryRows)))
        }
        throw FleetHTTPError.malformed("give sha256=<64 hex digits> or name=<file name>")
    }

    func listFindings(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        var query = FindingQuery(
            limit: try intParameter(request, "limit", default: 1000, range: 1...limits.maxQueryRows),
            offset: try intParameter(request, "offset", default: 0, range: 0...Int(Int32.max)))
        if let host = parameters.get("host") {
            guard let id = Int64(host) else { throw FleetHTTPError.malformed("host must be a host id") }
            query.hostID = id
        }
        if let since = parameters.get("since") {
            if let seconds = Int64(since) {
                query.since = Date(timeIntervalSince1970: TimeInterval(seconds))
            } else if let date = ISO8601DateFormatter().date(from: since) {
                query.since = date
            } else {
                throw FleetHTTPError.malformed("since must be ISO 8601 (2026-01-31T00:00:00Z) or seconds since 1970")
            }
        }
        if let severity = parameters.get("severity") {
            guard let level = Severity(rawValue: severity.lowercased()) else {
                throw FleetHTTPError.malformed("severity must be one of \(Severity.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.minimumSeverity = level
        }
        return try json(try await store.findings(matching: query))
    }

    func addFeed(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let name = parameters.get("name"), BatchValidator.isFeedName(name) else {
            throw FleetHTTPError.malformed("name=<feed name> is required: 1 to 64 of A-Z a-z 0-9 . _ -")
        }
        let bytes = try await body(request, cap: limits.maxFeedBody)
        guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw FleetHTTPError.malformed("the feed is not UTF-8 text")
        }
        var format: FeedFormat?
        if let given = parameters.get("format") {
            guard let f = FeedFormat(rawValue: given) else {
                throw FleetHTTPError.malformed("format must be one of \(FeedFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            format = f
        }
        let response = try await importFeed(name: name, text: text, format: format, fileName: parameters.get("filename"))
        return try json(response, status: .created)
    }

    /// Imports a feed (format detected from the text and file name unless given), stores it, reloads the
    /// indicator set and retro-hunts the indicators that are new across every stored inventory, and its
    /// new domain and address indicators across the contact index (network history). The one
    /// code path of `POST /api/v1/feeds` and the web console's upload.
    public func importFeed(name: String, text: String, format given: FeedFormat?, fileName: String?) async throws -> FeedImportResponse {
        guard BatchValidator.isFeedName(name) else {
            throw FleetHTTPError.malformed("the feed name must be 1 to 64 of A-Z a-z 0-9 . _ -")
        }
        let format = given ?? FeedReader.detect(text: text, fileName: fileName ?? name)
        let imported: FeedImport
        do {
            imported = try FeedReader.parse(text: text, path: "upload:\(name)", feed: name, format: format, options: FeedReadOptions())
        } catch {
            throw FleetHTTPError.malformed("not a \(format.rawValue) feed: \(error)")
        }
        guard !imported.indicators.isEmpty else {
            throw FleetHTTPError.malformed("the feed holds no usable indicator (\(imported.summary.totalRejected) rejected)")
        }

        // What the server did not hold before: these are the indicators to hunt for.
        let before = try await indicators.current().indicators
        let fresh = imported.indicators.indicators.filter { ($0.kind.isHash || $0.kind == .filename) && !before.contains($0.kind, $0.value) }

        let data = try FleetJSON.encoder().encode(imported.indicators.indicators)
        let record = FeedRecord(
            name: name, format: format.rawValue, addedAt: Date(), indicatorCount: imported.indicators.count,
            digest: FleetCredentials.sha256Hex(data))
        try await store.saveFeed(record, indicatorsJSON: data)
        try await indicators.reload()
        let hunt = try await RetroHunt.run(fresh, store: store)
        // New domain and address indicators against the contact index (network history).
        let freshNetwork = imported.indicators.indicators.filter { NetworkRetroHunt.isNetwork($0.kind) && !before.contains($0.kind, $0.value) }
        let networkHunt = try await NetworkRetroHunt.run(freshNetwork, store: store)
        if networkHunt.evidence > 0 {
            _ = await announce(.retroHunt(feed: name, newEvidence: networkHunt.newEvidence))
        }
        verdicts.requestRecompute()
        let response = FeedImportResponse(
            feed: record, summary: imported.summary, newIndicators: fresh.count,
            diagnostics: Array(imported.diagnostics.prefix(FeedImportResponse.maxDiagnostics)),
            diagnosticsOmitted: max(0, imported.diagnostics.count - FeedImportResponse.maxDiagnostics), retroHunt: hunt,
            newNetworkIndicators: freshNetwork.count, networkRetroHunt: networkHunt)
        return response
    }

    func createEnrollmentSecret(_ request: Request) async throws -> Response {
        let bytes = try await body(request, cap: limits.maxSecretBody)
        let wanted = try decode(EnrollmentSecretRequest.self, from: bytes.readableBytesView, what: "the request")
        guard !wanted.name.isEmpty, wanted.name.utf8.count <= 200 else { throw FleetHTTPError.malformed("name must be 1 to 200 bytes") }
        let (record, secret) = try await Self.createEnrollmentSecret(name: wanted.name, store: store)
        return try json(EnrollmentSecretCreated(record: record, secret: secret), status: .created)
    }

    /// Creates an enrolment secret; the store keeps only its hash.
    public static func createEnrollmentSecret(name: String, store: any FleetStore) async throws -> (EnrollmentSecretRecord, String) {
        let secret = FleetCredentials.newToken(prefix: FleetTokenPrefix.enrollmentSecret)
        let record = try await store.addEnrollmentSecret(name: name, secretHash: FleetCredentials.hash(secret), at: Date())
        return (record, secret)
    }

    /// Creates an API token for a user; the store keeps only its hash.
    public static func createAPIToken(user: UserRecord, name: String, store: any FleetStore) async throws -> (APITokenRecord, String) {
        let token = FleetCredentials.newToken(prefix: FleetTokenPrefix.apiToken)
        let record = try await store.addAPIToken(userID: user.id, name: name, tokenHash: FleetCredentials.hash(token), at: Date())
        return (record, token)
    }
}
