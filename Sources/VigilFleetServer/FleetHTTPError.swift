import Foundation
import Hummingbird
import VigilFleetProtocol
import VigilFleetStore

/// An error answer of the fleet API: an HTTP status, the ``APIError`` body and any extra headers
/// (`Retry-After` on 429 and 503).
public struct FleetHTTPError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var body: APIError
    public var retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.body = APIError(code: code, message: message)
        self.retryAfterSeconds = retryAfterSeconds
    }

    static func unauthenticated(_ message: String) -> Self { .init(.unauthorized, "unauthenticated", message) }
    static func revoked(_ message: String) -> Self { .init(.unauthorized, "host-key-revoked", message) }
    static func forbidden(_ message: String) -> Self { .init(.forbidden, "forbidden", message) }
    static func tooLarge(_ message: String) -> Self { .init(.contentTooLarge, "too-large", message) }
    static func malformed(_ message: String) -> Self { .init(.badRequest, "malformed", message) }
    static func notFound(_ message: String) -> Self { .init(.notFound, "not-found", message) }
    static func conflict(_ message: String) -> Self { .init(.conflict, "conflict", message) }
    static func rateLimited(retryAfter: Int) -> Self {
        .init(.tooManyRequests, "rate-limited", "too many requests; retry after \(retryAfter) s", retryAfterSeconds: retryAfter)
    }
    static func unavailable(_ message: String, retryAfter: Int) -> Self {
        .init(.serviceUnavailable, "unavailable", message, retryAfterSeconds: retryAfter)
    }

    /// The JSON response for this error.
    func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        let data = (try? JSONEncoder().encode(body)) ?? Data(#"{"code":"internal","message":"error"}"#.utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error a route throws into an ``APIError`` JSON answer:
/// - ``FleetHTTPError`` as it is;
/// - Hummingbird's own errors (unknown route 404, wrong method 405, body over the router's cap 413) keep their
///   status with an API error code;
/// - ``FleetStoreError`` input refusals as 400/409/404;
/// - anything else comes from the store (database down, disk full, a lost connection): 503 with
///   `Retry-After`, so agents spool and back off instead of hammering a sick server.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let retryAfterSeconds: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as FleetHTTPError {
            return error.response()
        } catch let error as HTTPError {
            let code = switch error.status.code {
            case 404: "not-found"
            case 401: "unauthenticated"
            case 403: "forbidden"
            case 413: "too-large"
            case 429: "rate-limited"
            case 400..<500: "malformed"
            default: "unavailable"
            }
            return FleetHTTPError(error.status, code, error.body ?? error.status.reasonPhrase).response()
        } catch let error as FleetStoreError {
            // The store refusing a value is the caller's fault, not an outage.
            switch error {
            case .invalidInput(let why): return FleetHTTPError.malformed(why).response()
            case .conflict(let why): return FleetHTTPError.conflict(why).response()
            case .notFound(let why): return FleetHTTPError.notFound(why).response()
            case .schemaTooNew:
                context.logger.error("store: \(error)")
                return FleetHTTPError.unavailable(error.description, retryAfter: retryAfterSeconds).response()
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("store or internal failure on \(request.method) \(request.uri.path): \(error)")
            return FleetHTTPError.unavailable(
                "the server cannot reach its database or disk right now; retry later", retryAfter: retryAfterSeconds
            ).response()
        }
    }
}
