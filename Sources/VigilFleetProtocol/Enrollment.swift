/// Sent once by `vigil agent enroll`: the shared enrolment secret and what the machine is.
public struct EnrollmentRequest: Codable, Sendable, Hashable {
    public var secret: String
    public var agent: AgentFacts

    public init(secret: String, agent: AgentFacts) {
        self.secret = secret
        self.agent = agent
    }
}

/// The server's answer to a valid enrolment: the host's id and its own key, shown this once.
/// The server keeps only the key's SHA-256; the agent stores it with mode 0600 and sends it as
/// `Authorization: Bearer <hostKey>` on every later request. A revoked key gets 401 with
/// ``APIError/code`` `host-key-revoked`, and the agent enrols again.
public struct EnrollmentResponse: Codable, Sendable, Hashable {
    public var hostID: Int64
    public var hostKey: String

    public init(hostID: Int64, hostKey: String) {
        self.hostID = hostID
        self.hostKey = hostKey
    }
}

/// Every error body the server sends: a stable machine code and a sentence for people.
public struct APIError: Codable, Sendable, Hashable, Error {
    /// `unauthenticated`, `host-key-revoked`, `forbidden`, `too-large`, `rate-limited`, `malformed`,
    /// `unavailable`, `not-found`, `conflict`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
