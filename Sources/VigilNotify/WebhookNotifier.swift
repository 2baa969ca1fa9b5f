import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import VigilFleetProtocol

/// What went wrong delivering to a receiver.
public struct NotifyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// POSTs each ``VerdictChange`` as JSON to a URL.
///
/// With a secret, the request carries `X-Vigil-Signature: sha256=<hex HMAC-SHA256 of the body>`,
/// so the receiver can check that the change came from this server and was not altered. Any 2xx
/// answer is delivery; anything else (or no answer within the timeout) is retried with exponential
/// backoff and jitter. Redirects are not followed.
public final class WebhookNotifier: VerdictNotifier {
    public let name: String
    public let url: String
    private let queue: DeliveryQueue<VerdictChange>
    private let http: HTTPClient

    /// The signature header.
    public static let signatureHeader = "X-Vigil-Signature"

    /// - Parameters:
    ///   - url: `http://` or `https://` URL.
    ///   - secret: HMAC key (the bytes of the secret file, trailing newline removed); nil sends no signature.
    ///   - capacity: changes waiting at most.
    public init(
        url: String, secret: [UInt8]?, capacity: Int = 10_000, retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "vigil.notify.webhook")
    ) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = parsed.host, !host.isEmpty
        else {
            throw NotifyError("not an http:// or https:// URL: \(url.prefix(200))")
        }
        self.url = url
        self.name = "webhook \(scheme)://\(host)\(parsed.port.map { ":\($0)" } ?? "")"
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(timeout.components.seconds)))
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.http = http
        let key = secret.map { SymmetricKey(data: $0) }
        let timeAmount = TimeAmount.seconds(max(1, timeout.components.seconds))
        queue = DeliveryQueue(name: name, capacity: capacity, retry: retry, logger: logger) { change in
            let body = try WebhookNotifier.body(change)
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "vigil-serve")
            if let key { request.headers.add(name: Self.signatureHeader, value: Self.signature(body: body, key: key)) }
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await http.execute(request, timeout: timeAmount)
            _ = try? await response.body.collect(upTo: 64 << 10)
            guard (200..<300).contains(response.status.code) else { throw NotifyError("HTTP \(response.status.code)") }
        }
    }

    /// The JSON body of one change (sorted keys, ISO 8601 time).
    public static func body(_ change: VerdictChange) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(change))
    }

    /// `sha256=` and the lowercase hex HMAC-SHA256 of `body`.
    public static func signature(body: [UInt8], key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: key)
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Reads a secret file: its bytes without a trailing newline; refuses an empty or huge file.
    public static func readSecret(path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw NotifyError("cannot read the webhook secret file \(path)") }
        guard data.count <= 4096 else { throw NotifyError("the webhook secret file \(path) is larger than 4096 bytes") }
        var bytes = Array(data)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        guard !bytes.isEmpty else { throw NotifyError("the webhook secret file \(path) is empty") }
        return bytes
    }

    public func enqueue(_ changes: [VerdictChange]) { queue.offer(changes) }
    public func statistics() -> NotifierStatistics { queue.statistics() }

    public func shutdown(timeout: Duration) async {
        await queue.shutdown(timeout: timeout)
        try? await http.shutdown()
    }
}
