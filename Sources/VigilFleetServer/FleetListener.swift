import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// Where and how `vigil serve` listens.
public struct FleetListenOptions: Sendable {
    public var host: String
    public var port: Int
    /// PEM certificate chain and private key; nil for plain HTTP.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Allow plain HTTP on an address other than loopback.
    public var allowInsecureHTTP: Bool

    public init(listen: String, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil, allowInsecureHTTP: Bool = false) throws {
        (host, port) = try Self.parse(listen)
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.allowInsecureHTTP = allowInsecureHTTP
        guard (tlsCertificatePath == nil) == (tlsKeyPath == nil) else {
            throw FleetListenError("--tls-cert and --tls-key go together")
        }
        if tlsCertificatePath == nil && !allowInsecureHTTP && !Self.isLoopback(host) {
            throw FleetListenError(
                "refusing plain HTTP on \(host): host keys and API tokens would cross the network in clear. "
                    + "Give --tls-cert and --tls-key, listen on a loopback address, or pass --allow-insecure-http")
        }
    }

    public var usesTLS: Bool { tlsCertificatePath != nil }

    /// `HOST:PORT`, `[IPv6]:PORT`.
    static func parse(_ text: String) throws -> (String, Int) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw FleetListenError("--listen \(text): use [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw FleetListenError("--listen \(text): use HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw FleetListenError("--listen \(text): use HOST:PORT with a port from 0 to 65535")
        }
        return (String(host), port)
    }

    /// 127.0.0.0/8, ::1 and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

public struct FleetListenError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension FleetServer {
    /// Serves the API until SIGTERM or SIGINT. `onListening` receives the URL once the socket is bound
    /// (with the real port when 0 was asked for).
    /// `mount` adds further routes (the web console) beside the API's.
    public func run(
        _ options: FleetListenOptions, mount: (Router<FleetRequestContext>) -> Void = { _ in },
        onListening: @escaping @Sendable (String) -> Void
    ) async throws {
        var logger = Logger(label: "vigil.serve")
        logger.logLevel = .notice
        let scheme = options.usesTLS ? "https" : "http"
        // Verdicts as of the store's current evidence, before the first request arrives.
        verdicts.requestRecompute()
        let limits = configuration.limits
        let configuration = ApplicationConfiguration(
            address: .hostname(options.host, port: options.port), serverName: "vigil",
            availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections))
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(limits.idleTimeoutSeconds)))
        let announce: @Sendable (any Channel) async -> Void = { channel in
            let port = channel.localAddress?.port ?? options.port
            let host = options.host.contains(":") ? "[\(options.host)]" : options.host
            onListening("\(scheme)://\(host):\(port)")
        }
        if let certificate = options.tlsCertificatePath, let key = options.tlsKeyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw FleetListenError("\(certificate) holds no PEM certificate") }
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls.minimumTLSVersion = .tlsv12
            let app = Application(
                router: makeRouter(mount: mount), server: try .tls(http1, tlsConfiguration: tls), configuration: configuration,
                onServerRunning: announce, logger: logger)
            try await app.runService()
        } else {
            let app = Application(router: makeRouter(mount: mount), server: http1, configuration: configuration, onServerRunning: announce, logger: logger)
            try await app.runService()
        }
    }
}
