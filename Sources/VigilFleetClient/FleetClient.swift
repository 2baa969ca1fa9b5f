import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import VigilCore
import VigilFleetProtocol
import VigilFleetStore
import VigilGzip
import VigilIndicators
import VigilVerdicts

/// Where and how to reach a `vigil serve`.
public struct FleetServerEndpoint: Sendable, Hashable {
    /// `https://host:port` (a path prefix is kept; the API's own paths are appended).
    public var baseURL: String
    /// PEM file of the CA that signed the server's certificate. When set, it is the only trust
    /// root: the system's CAs are not consulted, so a certificate from any other CA is refused.
    public var caFile: String?
    /// Allow `http://` to a host other than loopback (tests, a TLS-terminating proxy on the same
    /// machine). Without it plain HTTP is accepted only for 127.0.0.0/8, ::1 and `localhost`.
    public var allowInsecureHTTP: Bool

    public init(baseURL: String, caFile: String? = nil, allowInsecureHTTP: Bool = false) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.caFile = caFile
        self.allowInsecureHTTP = allowInsecureHTTP
    }

    /// Checks the URL's scheme and the plain-HTTP rule.
    public func validate() throws(FleetClientError) {
        guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw FleetClientError(.fatal, message: "not a server URL: \(baseURL)")
        }
        switch scheme {
        case "https": return
        case "http":
            let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
            if !loopback && !allowInsecureHTTP {
                throw FleetClientError(.fatal, message: "plain HTTP to \(host) refused: use https:// (or allow insecure HTTP explicitly)")
            }
        default:
            throw FleetClientError(.fatal, message: "unsupported URL scheme \(scheme) in \(baseURL)")
        }
    }
}

/// A conditional GET's answer (indicators and rules with ETags).
public enum Conditional<Value: Sendable>: Sendable {
    /// 304: what the caller holds under that ETag is current.
    case notModified
    case updated(Value, etag: String?)
}

/// HTTP client for every route in ``FleetRoutes``: the agent's (host key) and the user's (API token).
///
/// TLS against a pinned CA (``FleetServerEndpoint/caFile``), `Authorization: Bearer`, JSON bodies
/// (batches gzip-compressed), ``APIError`` bodies decoded, every failure classified as a
/// ``FleetClientError`` (retryable, revoked, fatal). Responses are read up to a size cap.
/// Call ``shutdown()`` when done.
public final class FleetClient: Sendable {
    public let endpoint: FleetServerEndpoint
    /// Bearer token: a host key (agent routes) or a user API token (client routes); nil for enrolment.
    public let token: String?
    private let http: HTTPClient
    private let requestTimeout: TimeAmount

    /// Largest response body read (indicator sets can be large).
    public static let maxResponseBytes = 256 << 20
    /// Largest compressed batch body sent (the server's request limit is the real bound).
    public static let maxBatchBodyBytes = 32 << 20

    public init(endpoint: FleetServerEndpoint, token: String?, requestTimeoutSeconds: Int64 = 60) throws(FleetClientError) {
        try endpoint.validate()
        self.endpoint = endpoint
        self.token = token
        self.requestTimeout = .seconds(requestTimeoutSeconds)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile = endpoint.caFile {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
                guard !certificates.isEmpty else { throw FleetClientError(.fatal, message: "no certificate in CA file \(caFile)") }
                tls.trustRoots = .certificates(certificates)
            } catch let e as FleetClientError {
                throw e
            } catch {
                throw FleetClientError(.fatal, message: "cannot read CA file \(caFile): \(error)")
            }
        }
        // The pool retries a refused connection until the connect timeout: 5 s keeps an unreachable
        // server from costing the whole request timeout.
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(requestTimeoutSeconds)))
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Closes connections.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: Agent routes

    /// `POST /agent/enroll`: the enrolment secret for a host key.
    public func enroll(_ request: EnrollmentRequest) async throws(FleetClientError) -> EnrollmentResponse {
        let body = try encode(request)
        return try await decode(EnrollmentResponse.self, from: send(.POST, FleetRoutes.enroll, body: body, contentType: "application/json"))
    }

    /// Encodes a batch as gzip-compressed JSON, the body ``sendBatch(body:)`` sends (and the spool stores).
    public static func encodeBatch(_ batch: InventoryBatch) throws(FleetClientError) -> [UInt8] {
        let json: Data
        do { json = try fleetEncoder().encode(batch) } catch {
            throw FleetClientError(.fatal, message: "cannot encode batch: \(error)")
        }
        do {
            return try GzipEncoder.gzip(Array(json), level: 6, maxOutput: maxBatchBodyBytes)
        } catch {
            throw FleetClientError(.fatal, message: "batch \(batch.batchID) too large to send: \(error)")
        }
    }

    /// `POST /agent/batches` with an already gzip-compressed JSON body.
    public func sendBatch(body: [UInt8]) async throws(FleetClientError) -> BatchAcknowledgement {
        let response = try await send(
            .POST, FleetRoutes.batches, body: body, contentType: "application/json", extraHeaders: [("Content-Encoding", "gzip")])
        return try decode(BatchAcknowledgement.self, from: response)
    }

    public func sendBatch(_ batch: InventoryBatch) async throws(FleetClientError) -> BatchAcknowledgement {
        try await sendBatch(body: Self.encodeBatch(batch))
    }

    /// `GET /agent/indicators` with `If-None-Match`.
    public func indicators(ifNoneMatch etag: String?) async throws(FleetClientError) -> Conditional<[Indicator]> {
        let response = try await send(.GET, FleetRoutes.agentIndicators, ifNoneMatch: etag)
        if response.status == 304 { return .notModified }
        return .updated(try decode([Indicator].self, from: response), etag: response.etag)
    }

    /// `GET /agent/rules` with `If-None-Match`: YARA source text.
    public func rules(ifNoneMatch etag: String?) async throws(FleetClientError) -> Conditional<String> {
        let response = try await send(.GET, FleetRoutes.agentRules, ifNoneMatch: etag)
        if response.status == 304 { return .notModified }
        return .updated(String(decoding: response.body, as: UTF8.self), etag: response.etag)
    }

    // MARK: Client routes

    public func hosts() async throws(FleetClientError) -> [HostRecord] {
        try decode([HostRecord].self, from: await send(.GET, FleetRoutes.hosts))
    }

    /// Inventory hits for a SHA-256 (64 hex digits) or else a file name.
    public func find(_ term: String) async throws(FleetClientError) -> [InventoryHit] {
        let isHash = term.count == 64 && term.allSatisfy(\.isHexDigit)
        let query = isHash ? "sha256=\(term.lowercased())" : "name=\(Self.percentEncode(term))"
        return try decode([InventoryHit].self, from: await send(.GET, FleetRoutes.files + "?" + query))
    }

    /// Findings, for every host or the one with this id.
    public func findings(hostID: Int64? = nil) async throws(FleetClientError) -> [StoredFinding] {
        let path = hostID.map { FleetRoutes.findings + "?host=\($0)" } ?? FleetRoutes.findings
        return try decode([StoredFinding].self, from: await send(.GET, path))
    }

    public func feeds() async throws(FleetClientError) -> [FeedRecord] {
        try decode([FeedRecord].self, from: await send(.GET, FleetRoutes.feeds))
    }

    /// `POST /feeds`: uploads a feed file; returns the server's JSON answer as is (the stored feed,
    /// import counts and the retro-hunt report).
    /// - Parameters:
    ///   - format: a `vigil feed` format name; nil lets the server detect it from the contents and `fileName`.
    public func addFeed(contents: [UInt8], name: String, format: String?, fileName: String? = nil) async throws(FleetClientError) -> Data {
        var path = FleetRoutes.feeds + "?name=" + Self.percentEncode(name)
        if let format { path += "&format=" + Self.percentEncode(format) }
        if let fileName { path += "&filename=" + Self.percentEncode(fileName) }
        let response = try await send(.POST, path, body: contents, contentType: "application/octet-stream")
        return Data(response.body)
    }

    // MARK: Verdicts

    /// `GET /verdicts`: every host's current verdict, or those in one state.
    /// Pages through the server's answer (`limit`/`offset`), `pageSize` records at a time.
    public func verdicts(state: VerdictState? = nil, pageSize: Int = 5000) async throws(FleetClientError) -> [HostVerdictRecord] {
        var all: [HostVerdictRecord] = []
        while true {
            var path = FleetRoutes.verdicts + "?limit=\(pageSize)&offset=\(all.count)"
            if let state { path += "&state=" + state.rawValue }
            let page = try decode([HostVerdictRecord].self, from: await send(.GET, path))
            all += page
            if page.count < pageSize { return all }
        }
    }

    /// `GET /hosts/{name}/verdict`: one host's verdict, timeline and history, by host name, host
    /// identifier or host id.
    public func hostVerdict(_ name: String) async throws(FleetClientError) -> HostVerdictDetail {
        let path = FleetRoutes.hostVerdict.replacingOccurrences(of: "{name}", with: Self.percentEncode(name))
        return try decode(HostVerdictDetail.self, from: await send(.GET, path))
    }

    /// `GET /verdict-changes`: verdict changes of every host, oldest first, optionally since a time.
    public func verdictChanges(since: Date? = nil) async throws(FleetClientError) -> [VerdictChange] {
        let path = since.map { FleetRoutes.verdictChanges + "?since=" + String(Int64($0.timeIntervalSince1970)) } ?? FleetRoutes.verdictChanges
        return try decode([VerdictChange].self, from: await send(.GET, path))
    }

    // MARK: Plumbing

    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var etag: String? { headers.first(name: "ETag") }
    }

    static func fleetEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }

    static func fleetDecoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }

    static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    private func encode(_ value: some Encodable) throws(FleetClientError) -> [UInt8] {
        do { return Array(try Self.fleetEncoder().encode(value)) } catch {
            throw FleetClientError(.fatal, message: "cannot encode request: \(error)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from response: Response) throws(FleetClientError) -> T {
        do { return try Self.fleetDecoder().decode(T.self, from: Data(response.body)) } catch {
            throw FleetClientError(.fatal, status: response.status, message: "unexpected answer from the server (\(T.self)): \(error)")
        }
    }

    private func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil, ifNoneMatch: String? = nil,
        extraHeaders: [(String, String)] = []
    ) async throws(FleetClientError) -> Response {
        var request = HTTPClientRequest(url: endpoint.baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "vigil-fleet-client")
        if let token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let ifNoneMatch { request.headers.add(name: "If-None-Match", value: ifNoneMatch) }
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }

        let status: Int
        let headers: HTTPHeaders
        let bytes: [UInt8]
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            status = Int(response.status.code)
            headers = response.headers
            var buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw Self.classifyTransport(error)
        }
        if (200..<300).contains(status) || status == 304 {
            return Response(status: status, headers: headers, body: bytes)
        }
        let apiError = try? Self.fleetDecoder().decode(APIError.self, from: Data(bytes))
        throw FleetClientError.classify(
            status: status, apiError: apiError, retryAfter: FleetClientError.parseRetryAfter(headers.first(name: "Retry-After")),
            fallback: "\(method.rawValue) \(path) failed")
    }

    /// Transport failures: TLS problems and bad requests are fatal (retrying cannot fix a CA that
    /// does not sign the server's certificate); refused connections, resets and timeouts are retryable.
    static func classifyTransport(_ error: any Error) -> FleetClientError {
        if let e = error as? NIOSSLError {
            return FleetClientError(.fatal, message: "TLS failure (is --ca-file the CA that signed the server's certificate?): \(e)")
        }
        if error is BoringSSLError || String(reflecting: type(of: error)).contains("NIOSSL") {
            return FleetClientError(.fatal, message: "TLS failure: \(error)")
        }
        if let e = error as? HTTPClientError {
            let fatal: [HTTPClientError] = [.invalidURL, .emptyHost, .emptyScheme, .redirectLimitReached, .redirectCycleDetected, .bodyLengthMismatch]
            if fatal.contains(e) { return FleetClientError(.fatal, message: "request failed: \(e)") }
            return FleetClientError(.retryable(retryAfter: nil), message: "server unreachable: \(e)")
        }
        if error is NIOTooManyBytesError {
            return FleetClientError(.fatal, message: "response larger than \(maxResponseBytes) bytes")
        }
        return FleetClientError(.retryable(retryAfter: nil), message: "server unreachable: \(error)")
    }
}
