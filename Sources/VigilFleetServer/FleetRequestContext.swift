import Hummingbird
import NIOCore

/// The request context of the fleet API: Hummingbird's core storage plus the peer's address
/// (the key for enrolment rate limits).
public struct FleetRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, when the channel has one.
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are collected by each route with its own cap; this is only the ceiling for the router's
    /// own decoding helpers, which the fleet routes do not use.
    public var maxUploadSize: Int { 1 << 20 }
}
