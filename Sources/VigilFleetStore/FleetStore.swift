import Foundation
import VigilCore
import VigilFleetProtocol
import VigilHunt
import VigilVerdicts

/// Where the fleet server keeps hosts, inventories, findings, feeds and credentials.
///
/// One protocol, two real back ends: SQLite through GRDB (the embedded default, one file under the
/// data directory) and PostgreSQL through postgres-nio (several `vigil serve` processes may share one
/// database, so an implementation keeps no state that only one process knows). The same test suite
/// runs against both.
///
/// Rules every implementation keeps:
/// - parameterised SQL only; values never spliced into statement text;
/// - a write that returns has been committed durably (SQLite WAL with `synchronous=FULL`, PostgreSQL
///   with its default `synchronous_commit`): the server acknowledges a batch only after that;
/// - ``applyBatch(hostID:batch:serverFindings:receivedAt:)`` is one transaction, idempotent on
///   `(hostID, batchID)`;
/// - secrets arrive here only as hashes (SHA-256 of a random token).
public protocol FleetStore: Sendable {
    /// Brings the schema to the newest version (versioned migrations, safe to run from several
    /// servers at once on one PostgreSQL database).
    func migrate() async throws
    /// Releases connections.
    func close() async throws

    // MARK: Enrolment secrets

    func addEnrollmentSecret(name: String, secretHash: Data, at: Date) async throws -> EnrollmentSecretRecord
    /// The unrevoked secret with this hash, if any.
    func enrollmentSecret(hash: Data) async throws -> EnrollmentSecretRecord?
    func enrollmentSecrets() async throws -> [EnrollmentSecretRecord]
    /// Revokes a secret; false when there was no such unrevoked secret.
    func revokeEnrollmentSecret(id: Int64, at: Date) async throws -> Bool

    // MARK: Hosts

    /// Creates the host, or finds it again by `agent.hostIdentifier`, and gives it a new key hash
    /// (any older key stops working). Records the facts and addresses as of `at`.
    func enrollHost(agent: AgentFacts, keyHash: Data, at: Date) async throws -> HostRecord
    /// The host whose current, unrevoked key has this hash.
    func host(keyHash: Data) async throws -> HostRecord?
    func host(id: Int64) async throws -> HostRecord?
    func hosts(matching query: HostQuery) async throws -> [HostRecord]
    /// Revokes the host's key; its agent must enrol again. False when no such host.
    func revokeHostKey(hostID: Int64, at: Date) async throws -> Bool
    /// Last contact, facts and addresses (each with first and last seen) as of `at`.
    func recordContact(hostID: Int64, agent: AgentFacts, at: Date) async throws

    // MARK: Inventory

    /// Applies an inventory delta and records findings, in one transaction. A batch id the host
    /// already sent changes nothing and returns `duplicate: true`. `serverFindings` are the
    /// server's matches of the batch's files against its indicators; the batch's own findings are
    /// recorded too. First/last seen of a finding already on record are updated, not duplicated.
    func applyBatch(hostID: Int64, batch: InventoryBatch, serverFindings: [Finding], receivedAt: Date) async throws -> BatchOutcome
    /// Every host's file with one of these SHA-256 digests (32 raw bytes each).
    func inventory(sha256 digests: [Data]) async throws -> [InventoryHit]
    /// Every host's file whose MD5 or SHA-1 (raw bytes) is one of these, where agents reported them.
    func inventory(md5 digests: [Data]) async throws -> [InventoryHit]
    func inventory(sha1 digests: [Data]) async throws -> [InventoryHit]
    /// Every host's file whose base name equals one of these (case-insensitive).
    func inventory(names: [String]) async throws -> [InventoryHit]
    /// Whether the store holds any inventory for the host (false after a re-enrolment to a new id).
    func hasInventory(hostID: Int64) async throws -> Bool
    /// Number of inventory rows in all.
    func inventoryCount() async throws -> Int

    // MARK: Findings

    /// Records findings for hosts (from a retro-hunt); returns how many were new.
    func recordFindings(_ findings: [HostFinding], at: Date) async throws -> Int
    func findings(matching query: FindingQuery) async throws -> [StoredFinding]

    // MARK: Feeds

    /// Stores or replaces a feed (its indicators as the JSON of `[Indicator]`), bumping the feed
    /// generation that every server process watches to reload its indicator set.
    func saveFeed(_ feed: FeedRecord, indicatorsJSON: Data) async throws
    func feeds() async throws -> [FeedRecord]
    func feedIndicatorsJSON(name: String) async throws -> Data?
    func removeFeed(name: String) async throws -> Bool
    /// A number that changes whenever a feed is saved or removed.
    func feedGeneration() async throws -> Int64

    // MARK: Users and API tokens

    func addUser(name: String, role: UserRole, passwordHash: String?, at: Date) async throws -> UserRecord
    func user(name: String) async throws -> UserRecord?
    func addAPIToken(userID: Int64, name: String, tokenHash: Data, at: Date) async throws -> APITokenRecord
    /// The unrevoked token with this hash and its user.
    func apiToken(hash: Data) async throws -> (APITokenRecord, UserRecord)?
    func revokeAPIToken(id: Int64, at: Date) async throws -> Bool

    // MARK: Web console (sessions, audit log, overview queries; docs/console.md)

    /// Sets (or clears) a user's password hash (an encoded bcrypt string). False when no such user.
    func setPasswordHash(userName: String, passwordHash: String?) async throws -> Bool
    /// Stores a new session under the SHA-256 of its id.
    func createSession(idHash: Data, session: ConsoleSession) async throws
    /// The unexpired session with this id hash, and its user.
    func session(idHash: Data, at: Date) async throws -> (ConsoleSession, UserRecord)?
    /// Ends a session; false when there was none.
    func deleteSession(idHash: Data) async throws -> Bool
    /// Removes sessions expired before `at`; returns how many.
    func deleteExpiredSessions(at: Date) async throws -> Int
    /// Appends to the audit log.
    func appendAudit(_ entry: AuditEntry) async throws
    /// The newest audit entries first.
    func auditLog(limit: Int) async throws -> [AuditEntry]
    /// A page of hosts by keyset (host id), optionally filtered by name, identifier or address.
    func hostPage(_ query: HostPageQuery) async throws -> [HostRecord]
    /// Hosts count, findings per severity, hosts not seen since `notSeenSince`, agent versions.
    func overviewCounts(notSeenSince: Date) async throws -> FleetOverviewCounts
    /// Hosts whose last contact is before `since` (or missing), longest silent first.
    func hostsNotSeen(since: Date, limit: Int) async throws -> [HostRecord]

    // MARK: Web console: finding marks and user management (ConsoleAdminRecords.swift)

    /// Sets the mark of a finding (replacing an earlier one); nil when there is no such finding.
    func markFinding(id: Int64, status: FindingMarkStatus, note: String, by user: String, at: Date) async throws -> FindingMark?
    /// Marks of one host's findings, or of every host's, newest first; at most `limit`.
    func findingMarks(hostID: Int64?, limit: Int) async throws -> [FindingMark]
    /// How many findings carry each mark.
    func findingMarkCounts() async throws -> [FindingMarkStatus: Int]
    /// Every user by name (at most ``ConsoleAdminLimits/maxUsers``).
    func users() async throws -> [UserRecord]
    func user(id: Int64) async throws -> UserRecord?
    /// Changes a user's role; false when there is no such user.
    func setUserRole(id: Int64, role: UserRole) async throws -> Bool
    /// In one transaction: clears the password (no console sign-in), revokes every API token and
    /// ends every session of the user. False when there is no such user.
    func disableUser(id: Int64, at: Date) async throws -> Bool
    /// Deletes a user with their tokens and sessions; false when there is no such user.
    func deleteUser(id: Int64) async throws -> Bool
    /// Ends every session of a user; returns how many.
    func deleteSessions(userID: Int64) async throws -> Int
    /// A user's API tokens, revoked ones too, oldest first.
    func apiTokens(userID: Int64) async throws -> [APITokenRecord]
    /// How many hosts have each verdict now (the console's overview). A default implementation pages
    /// through ``verdicts(state:limit:offset:)``; stores override it with one counting query.
    func verdictCounts() async throws -> [VerdictState: Int]
    /// Verdict changes since a time, counted per UTC day and transition (the overview's chart).
    func verdictChangeTallies(since: Date) async throws -> [VerdictChangeTally]
    /// The verdict states of these hosts (hosts without a verdict are left out).
    func verdictStates(hostIDs: [Int64]) async throws -> [Int64: VerdictState]
    /// Hosts whose name, identifier or an address starts with a prefix, in key order (an index range;
    /// docs/console.md, "Search").
    func hostsByPrefix(_ query: HostPrefixQuery) async throws -> [HostSearchHit]
    /// Hosts whose name or identifier contains a text, in host id order: from an index where the
    /// store has one, else from a bounded scan of host rows that says where it stopped.
    func hostsContaining(_ query: HostSubstringQuery) async throws -> HostSubstringPage
    /// One page of the inventory rows with a digest, at a path or with a base name (an index range).
    func inventoryPage(_ query: InventoryPageQuery) async throws -> [InventoryPageHit]
    /// Ids of the hosts whose current verdict has this state, in host id order after `afterID`
    /// (keyset pages over the verdict-state index).
    func hostIDs(verdict state: VerdictState, afterID: Int64?, limit: Int) async throws -> [Int64]

    // MARK: Network evidence and the contact index (docs/verdicts.md)

    /// Applies a network report in one transaction: merges its contact rows into the contact index,
    /// stores its hits and beacons as unattributed network evidence, its DHCP leases, and its log
    /// cursor when it has one. Idempotent on `(report.sensor, report.reportID)`.
    func applyNetworkReport(_ report: NetworkReport, receivedAt: Date) async throws -> NetworkReportOutcome
    /// Contact-index name rows whose name equals one of `domains` or lies below one of them
    /// (`a.evil.com` below `evil.com`); at most `limit` rows. Domains are lowercase, no trailing dot.
    func contactNames(matching domains: [String], limit: Int) async throws -> [SensorContact]
    /// Contact-index server rows whose server address is inside one of `networks`; at most `limit`.
    func contactServers(in networks: [IPNetwork], limit: Int) async throws -> [SensorContact]
    /// Coverage rows (per sensor, client and day) for every client, or for these clients only.
    func coverageRows(clients: [String]?) async throws -> [CoverageRow]
    /// Number of contact-index rows (names and servers).
    func contactCount() async throws -> Int
    /// Removes contact rows whose day is before `day` (`YYYY-MM-DD`); returns how many.
    func pruneContacts(before day: String) async throws -> Int
    /// Stores network evidence (from a retro-hunt of the contact index); returns how many were new.
    func recordNetworkEvidence(_ evidence: [NetworkEvidence], at: Date) async throws -> Int
    /// All network evidence on record, oldest first, at most `limit` items.
    func networkEvidence(limit: Int) async throws -> [StoredNetworkEvidence]
    /// Every DHCP lease on record.
    func dhcpLeases() async throws -> [DHCPLease]
    /// The log follower's cursor for one file, if it has read it before.
    func logCursor(source: String, fileIdentity: String) async throws -> LogCursor?
    /// Every cursor of a log source.
    func logCursors(source: String) async throws -> [LogCursor]

    // MARK: Verdicts

    /// Stores the verdicts just computed. For each host whose state differs from its stored one (or
    /// that had none) a ``VerdictChange`` is appended to the history and returned; a verdict with the
    /// same state replaces the stored one but keeps its `since`.
    func saveVerdicts(_ verdicts: [(hostID: Int64, verdict: HostVerdict)], at: Date) async throws -> [VerdictChange]
    /// Current verdicts, optionally of one state, by host name.
    func verdicts(state: VerdictState?, limit: Int, offset: Int) async throws -> [HostVerdictRecord]
    func verdict(hostID: Int64) async throws -> HostVerdictRecord?
    /// Verdict changes, oldest first: of one host, or of all hosts since a time.
    func verdictChanges(hostID: Int64?, since: Date?, limit: Int) async throws -> [VerdictChange]
}

public struct EnrollmentSecretRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: Int64, name: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// An address a host reported, with when it was first and last seen there.
public struct HostAddress: Codable, Sendable, Hashable {
    public var address: String
    public var firstSeen: Date
    public var lastSeen: Date

    public init(address: String, firstSeen: Date, lastSeen: Date) {
        self.address = address
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

public struct HostRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var hostname: String
    public var hostIdentifier: String
    public var os: String
    public var osVersion: String
    public var agentVersion: String
    public var enrolledAt: Date
    public var lastContact: Date?
    public var keyRevoked: Bool
    public var addresses: [HostAddress]

    public init(
        id: Int64, hostname: String, hostIdentifier: String, os: String, osVersion: String, agentVersion: String,
        enrolledAt: Date, lastContact: Date?, keyRevoked: Bool, addresses: [HostAddress]
    ) {
        self.id = id
        self.hostname = hostname
        self.hostIdentifier = hostIdentifier
        self.os = os
        self.osVersion = osVersion
        self.agentVersion = agentVersion
        self.enrolledAt = enrolledAt
        self.lastContact = lastContact
        self.keyRevoked = keyRevoked
        self.addresses = addresses
    }
}

public struct HostQuery: Sendable, Hashable {
    /// Substring of the host name, case-insensitive.
    public var nameContains: String?
    public var limit: Int
    public var offset: Int

    public init(nameContains: String? = nil, limit: Int = 1000, offset: Int = 0) {
        self.nameContains = nameContains
        self.limit = limit
        self.offset = offset
    }
}

/// One host's file found by an inventory lookup.
public struct InventoryHit: Codable, Sendable, Hashable {
    public var hostID: Int64
    public var hostname: String
    public var file: InventoryFile
    public var firstSeen: Date
    public var lastSeen: Date

    public init(hostID: Int64, hostname: String, file: InventoryFile, firstSeen: Date, lastSeen: Date) {
        self.hostID = hostID
        self.hostname = hostname
        self.file = file
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

public struct BatchOutcome: Codable, Sendable, Hashable {
    public var duplicate: Bool
    public var filesApplied: Int
    public var filesRemoved: Int
    public var findingsRecorded: Int

    public init(duplicate: Bool, filesApplied: Int, filesRemoved: Int, findingsRecorded: Int) {
        self.duplicate = duplicate
        self.filesApplied = filesApplied
        self.filesRemoved = filesRemoved
        self.findingsRecorded = findingsRecorded
    }
}

/// A finding about one host, as a retro-hunt or a batch produces it.
public struct HostFinding: Codable, Sendable, Hashable {
    public var hostID: Int64
    public var finding: Finding

    public init(hostID: Int64, finding: Finding) {
        self.hostID = hostID
        self.finding = finding
    }
}

/// A finding on record. Identity: host, check, path and indicator; seeing it again moves `lastSeen`.
public struct StoredFinding: Codable, Sendable, Hashable {
    public var id: Int64
    public var hostID: Int64
    public var hostname: String
    public var finding: Finding
    public var firstSeen: Date
    public var lastSeen: Date

    public init(id: Int64, hostID: Int64, hostname: String, finding: Finding, firstSeen: Date, lastSeen: Date) {
        self.id = id
        self.hostID = hostID
        self.hostname = hostname
        self.finding = finding
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

public struct FindingQuery: Sendable, Hashable {
    public var hostID: Int64?
    /// Only findings last seen at or after this time.
    public var since: Date?
    public var minimumSeverity: Severity?
    public var limit: Int
    public var offset: Int

    public init(hostID: Int64? = nil, since: Date? = nil, minimumSeverity: Severity? = nil, limit: Int = 1000, offset: Int = 0) {
        self.hostID = hostID
        self.since = since
        self.minimumSeverity = minimumSeverity
        self.limit = limit
        self.offset = offset
    }
}

public struct FeedRecord: Codable, Sendable, Hashable {
    public var name: String
    public var format: String
    public var addedAt: Date
    public var indicatorCount: Int
    /// Hex SHA-256 of the stored indicators JSON (the agents' ETag is built from these).
    public var digest: String

    public init(name: String, format: String, addedAt: Date, indicatorCount: Int, digest: String) {
        self.name = name
        self.format = format
        self.addedAt = addedAt
        self.indicatorCount = indicatorCount
        self.digest = digest
    }
}

public enum UserRole: String, Codable, Sendable, CaseIterable {
    /// Everything, including enrolment secrets, users and host keys.
    case admin
    /// May add feeds and mark findings.
    case analyst
    /// May read.
    case viewer
}

public struct UserRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var role: UserRole
    /// A password hash (bcrypt or Argon2 encoded string) for the web console; nil for API-only users.
    public var passwordHash: String?
    public var createdAt: Date

    public init(id: Int64, name: String, role: UserRole, passwordHash: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

public struct APITokenRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var userID: Int64
    public var name: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: Int64, userID: Int64, name: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.userID = userID
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
