import Foundation
import VigilCore

/// What an agent says about the machine it runs on, sent with enrolment and with every batch.
public struct AgentFacts: Codable, Sendable, Hashable {
    /// The host name the machine reports (`uname -n`).
    public var hostname: String
    /// A stable machine identifier (`/etc/machine-id`, the macOS hardware UUID), so a re-enrolled or
    /// renamed machine keeps its server-side history.
    public var hostIdentifier: String
    /// `linux`, `macos`, `windows`.
    public var os: String
    /// Kernel or OS release, free text.
    public var osVersion: String
    /// The `vigil` version running the agent.
    public var agentVersion: String
    /// Addresses the machine holds now (IPv4 and IPv6 text form, loopback excluded).
    public var addresses: [String]

    public init(hostname: String, hostIdentifier: String, os: String, osVersion: String, agentVersion: String, addresses: [String]) {
        self.hostname = hostname
        self.hostIdentifier = hostIdentifier
        self.os = os
        self.osVersion = osVersion
        self.agentVersion = agentVersion
        self.addresses = addresses
    }
}

/// One file as the agent holds it: where, what (digests), and the identity facts a responder asks for.
public struct InventoryFile: Codable, Sendable, Hashable {
    /// Absolute path on the host.
    public var path: String
    /// Lower-case hex SHA-256 of the file's bytes (64 characters).
    public var sha256: String
    /// MD5 and SHA-1, lower-case hex, when the agent computed them (for MD5/SHA-1-only indicators).
    public var md5: String?
    public var sha1: String?
    /// Size in bytes.
    public var size: Int64
    /// Modification time, seconds since 1970 UTC.
    public var modified: Int64
    /// The signer's subject common name from an Authenticode or code signature, when signed.
    public var signer: String?
    /// Product and file version from VS_VERSIONINFO or Info.plist, when present.
    public var productName: String?
    public var version: String?

    public init(
        path: String, sha256: String, md5: String? = nil, sha1: String? = nil, size: Int64, modified: Int64,
        signer: String? = nil, productName: String? = nil, version: String? = nil
    ) {
        self.path = path
        self.sha256 = sha256
        self.md5 = md5
        self.sha1 = sha1
        self.size = size
        self.modified = modified
        self.signer = signer
        self.productName = productName
        self.version = version
    }
}

/// One upload from an agent: the inventory delta since its last acknowledged batch, plus the
/// findings its local sweep produced (YARA rules and structural checks run on the host).
///
/// Batches are idempotent: the server applies a `batchID` once per host and acknowledges a repeat
/// as a duplicate without changing anything, so an agent may resend after any failure.
/// The body travels as JSON, gzip-compressed (`Content-Encoding: gzip`).
public struct InventoryBatch: Codable, Sendable, Hashable {
    /// A random UUID chosen by the agent when it writes the batch to its spool.
    public var batchID: String
    /// The agent's facts at the time of the sweep.
    public var agent: AgentFacts
    /// The sweep this batch belongs to; a sweep may be split into several batches.
    public var sweepID: String
    /// 1-based position of this batch in its sweep, and whether it is the sweep's last one.
    public var sequence: Int
    public var isLastOfSweep: Bool
    /// When the sweep started and (on the last batch) ended, seconds since 1970 UTC.
    public var sweepStarted: Int64
    public var sweepFinished: Int64?
    /// The folders the sweep covered.
    public var roots: [String]
    /// Files added or changed since the last acknowledged batch (a changed file replaces the old row).
    public var files: [InventoryFile]
    /// Paths that disappeared since the last acknowledged batch.
    public var removed: [String]
    /// Findings from the host's own sweep. Their `path` is the path on the host.
    public var findings: [Finding]

    public init(
        batchID: String, agent: AgentFacts, sweepID: String, sequence: Int, isLastOfSweep: Bool,
        sweepStarted: Int64, sweepFinished: Int64? = nil, roots: [String], files: [InventoryFile],
        removed: [String], findings: [Finding]
    ) {
        self.batchID = batchID
        self.agent = agent
        self.sweepID = sweepID
        self.sequence = sequence
        self.isLastOfSweep = isLastOfSweep
        self.sweepStarted = sweepStarted
        self.sweepFinished = sweepFinished
        self.roots = roots
        self.files = files
        self.removed = removed
        self.findings = findings
    }
}

/// The server's answer to an accepted batch.
public struct BatchAcknowledgement: Codable, Sendable, Hashable {
    public var batchID: String
    /// True when this batch id had already been applied for the host: nothing changed this time.
    public var duplicate: Bool
    /// Inventory rows written (added or changed) and removed.
    public var filesApplied: Int
    public var filesRemoved: Int
    /// Findings recorded for the host from this batch: the agent's own plus the server's matches
    /// of the batch's files against every indicator the server holds.
    public var findingsRecorded: Int
    /// True when the server holds no inventory for this host (a new host id after re-enrolment, a
    /// restored database): the agent must forget what it reported and send a full inventory.
    public var resync: Bool

    public init(batchID: String, duplicate: Bool, filesApplied: Int, filesRemoved: Int, findingsRecorded: Int, resync: Bool) {
        self.batchID = batchID
        self.duplicate = duplicate
        self.filesApplied = filesApplied
        self.filesRemoved = filesRemoved
        self.findingsRecorded = findingsRecorded
        self.resync = resync
    }
}
