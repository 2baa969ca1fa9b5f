import Foundation
import VigilCore

/// A web console login session. The store keeps only the SHA-256 of the session id the browser
/// holds in its cookie; the CSRF token is per session and checked on every form post.
public struct ConsoleSession: Sendable, Hashable {
    public var userID: Int64
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(userID: Int64, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.userID = userID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// One row of the audit log: who changed what, when.
public struct AuditEntry: Codable, Sendable, Hashable {
    public var id: Int64
    public var at: Date
    /// The user name (or `cli` for `vigil serve` subcommands run on the server).
    public var actor: String
    /// What was done: `login`, `logout`, `feed.add`, `secret.create`, `secret.revoke`, `user.add`, …
    public var action: String
    /// What it was done to (a feed name, a secret id, a user name).
    public var target: String
    /// Free text: counts, the caller's address.
    public var detail: String

    public init(id: Int64 = 0, at: Date, actor: String, action: String, target: String, detail: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
    }

    /// Checks the fields' sizes before storage (each at most 1 KiB, no NUL).
    public func validate() throws {
        for (label, value) in [("actor", actor), ("action", action), ("target", target), ("detail", detail)] {
            guard value.utf8.count <= FleetStoreLimits.maxTextBytes, !value.utf8.contains(0) else {
                throw FleetStoreError.invalidInput("audit \(label) longer than \(FleetStoreLimits.maxTextBytes) bytes or contains NUL")
            }
        }
    }
}

/// One page of hosts, ordered by host id (keyset pagination: the next page starts after the last id).
public struct HostPageQuery: Sendable, Hashable {
    /// Substring of the host name or host identifier, or prefix of an address; case-insensitive.
    public var search: String?
    /// Only hosts with a larger id.
    public var afterID: Int64?
    public var limit: Int

    public init(search: String? = nil, afterID: Int64? = nil, limit: Int = 50) {
        self.search = search
        self.afterID = afterID
        self.limit = limit
    }
}

/// Counts for the console's overview.
public struct FleetOverviewCounts: Sendable, Hashable {
    public var hosts: Int
    /// Findings on record per severity.
    public var findingsBySeverity: [Severity: Int]
    /// Hosts whose last contact is older than the cut-off asked for (or that never reported).
    public var hostsNotSeen: Int
    /// Agent versions and how many hosts run each, most common first.
    public var agentVersions: [AgentVersionCount]

    public init(hosts: Int, findingsBySeverity: [Severity: Int], hostsNotSeen: Int, agentVersions: [AgentVersionCount]) {
        self.hosts = hosts
        self.findingsBySeverity = findingsBySeverity
        self.hostsNotSeen = hostsNotSeen
        self.agentVersions = agentVersions
    }
}

public struct AgentVersionCount: Sendable, Hashable {
    public var version: String
    public var hosts: Int

    public init(version: String, hosts: Int) {
        self.version = version
        self.hosts = hosts
    }
}

/// Limits of the console's queries.
public enum ConsoleStoreLimits {
    public static let maxPage = 500
    public static let maxAgentVersions = 50
}
