import Foundation
import VigilFleetProtocol

/// A failed fleet API call, classified by what the caller should do about it.
public struct FleetClientError: Error, Sendable, CustomStringConvertible {
    public enum Disposition: Sendable, Hashable {
        /// Try again later: the server is unreachable, timed out, overloaded (503) or rate-limited
        /// (429). `retryAfter` is the server's `Retry-After` in seconds when it sent one.
        case retryable(retryAfter: Int?)
        /// The host key was revoked (401 `host-key-revoked`): enrol again, then retry.
        case revoked
        /// Do not retry this request as it is: wrong credentials (401/403), a request the server
        /// refuses (400, 413, 422), a TLS failure against the pinned CA, a bad URL.
        case fatal
    }

    public var disposition: Disposition
    /// The HTTP status, when the server answered.
    public var status: Int?
    /// The server's error body, when it sent one.
    public var apiError: APIError?
    public var message: String

    public init(_ disposition: Disposition, status: Int? = nil, apiError: APIError? = nil, message: String) {
        self.disposition = disposition
        self.status = status
        self.apiError = apiError
        self.message = message
    }

    public var isRetryable: Bool {
        if case .retryable = disposition { return true }
        return false
    }

    public var description: String {
        var s = message
        if let status { s = "HTTP \(status): " + s }
        if let apiError { s += " [\(apiError.code)]" }
        return s
    }

    /// How an HTTP error status is handled: 429 and 5xx other than 501 are retryable, 401 with
    /// `host-key-revoked` means enrol again, the rest is fatal.
    public static func classify(status: Int, apiError: APIError?, retryAfter: Int?, fallback: String) -> FleetClientError {
        let message = apiError?.message ?? fallback
        switch status {
        case 429, 500, 502, 503, 504:
            return FleetClientError(.retryable(retryAfter: retryAfter), status: status, apiError: apiError, message: message)
        case 401 where apiError?.code == "host-key-revoked":
            return FleetClientError(.revoked, status: status, apiError: apiError, message: message)
        default:
            return FleetClientError(.fatal, status: status, apiError: apiError, message: message)
        }
    }

    /// `Retry-After` as delay seconds (the HTTP-date form is read as "unknown"), capped at a day.
    public static func parseRetryAfter(_ value: String?) -> Int? {
        guard let value, let n = Int(value.trimmingCharacters(in: .whitespaces)), n >= 0 else { return nil }
        return min(n, 86_400)
    }
}

