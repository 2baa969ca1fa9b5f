import Foundation
import VigilCore
import VigilHunt

/// Network evidence sent to the server: what `vigil hunt --report-to` posts, and what `vigil serve
/// --logs` produces from each stretch of a log folder it reads.
///
/// The server merges ``contacts`` into its contact index (for the network retro-hunt), keeps
/// ``hits`` and ``beacons`` as unattributed network evidence (the client address is tied to a host
/// when verdicts are computed, with the address book of that moment), and stores ``leases`` for
/// address attribution. A report is idempotent on `(sensor, reportID)`: sending it again changes
/// nothing, so a sender that is unsure whether its report arrived simply sends it again.
public struct NetworkReport: Codable, Sendable {
    /// The sensor (one Zeek box, one proxy) that saw the traffic; the unit of coverage.
    public var sensor: String
    /// Unique per sensor: a random UUID for `vigil hunt`, a digest of the file identity and byte range
    /// for the log follower.
    public var reportID: String
    /// When the report was made (sender's clock).
    public var generatedAt: Date
    /// Distinct contacts per day and client (see ``ContactSummary``).
    public var contacts: ContactSummary
    /// Indicator hits of the hunt run.
    public var hits: [IndicatorHit]
    /// Reported beacons (suppressed ones are left out).
    public var beacons: [BeaconResult]
    /// DHCP leases read from `dhcp.log`.
    public var leases: [DHCPLease]
    /// For the log follower: where reading stopped, stored in the same transaction as the report so
    /// a restart resumes exactly there (nil for `vigil hunt`).
    public var cursor: LogCursor?

    public init(
        sensor: String, reportID: String, generatedAt: Date, contacts: ContactSummary, hits: [IndicatorHit] = [],
        beacons: [BeaconResult] = [], leases: [DHCPLease] = [], cursor: LogCursor? = nil
    ) {
        self.sensor = sensor
        self.reportID = reportID
        self.generatedAt = generatedAt
        self.contacts = contacts
        self.hits = hits
        self.beacons = beacons
        self.leases = leases
        self.cursor = cursor
    }
}

/// How far the server's log follower has read one log file.
public struct LogCursor: Codable, Sendable, Hashable {
    /// The log source (the folder given to `vigil serve --logs`, or a name for it).
    public var source: String
    /// The file's identity, stable across renames by rotation: device and inode where available,
    /// plus a digest of the file's first bytes (so a reused inode is not mistaken for the old file).
    public var fileIdentity: String
    /// The path when last read (for messages; identity decides).
    public var path: String
    /// Bytes of the file consumed so far (always at a line boundary).
    public var offset: Int64
    /// Lines consumed so far (for `file:line` citations of later records).
    public var lines: Int64
    /// True once the file was rotated away or compressed and read to its end: never read again.
    public var finished: Bool

    public init(source: String, fileIdentity: String, path: String, offset: Int64, lines: Int64, finished: Bool) {
        self.source = source
        self.fileIdentity = fileIdentity
        self.path = path
        self.offset = offset
        self.lines = lines
        self.finished = finished
    }
}

/// The server's answer to a ``NetworkReport``.
public struct NetworkReportAcknowledgement: Codable, Sendable, Hashable {
    public var reportID: String
    /// True when the report had been received before (nothing changed).
    public var duplicate: Bool
    /// Contact rows merged into the index (new or updated).
    public var contactRows: Int
    /// Hits and beacons stored as network evidence.
    public var evidence: Int
    public var leases: Int
    /// Hosts whose verdict changed because of this report.
    public var verdictChanges: Int

    public init(reportID: String, duplicate: Bool, contactRows: Int, evidence: Int, leases: Int, verdictChanges: Int) {
        self.reportID = reportID
        self.duplicate = duplicate
        self.contactRows = contactRows
        self.evidence = evidence
        self.leases = leases
        self.verdictChanges = verdictChanges
    }
}

extension NetworkReport {
    /// The report with every text field its producers copy from logs (client and server addresses,
    /// MAC addresses, DHCP host names, what a hit observed, beacon destinations, evidence files)
    /// within the fleet server's byte limits (``ReportFieldLimits``): control characters written
    /// `\xNN`, longer values cut at a character boundary. The server refuses a whole report for one
    /// field over its limit; this keeps a hostile log line from costing the rest. `shortened` counts
    /// the fields changed, for the sender to say so. Contact names are left as they are: the contact
    /// summary keeps them within the limit, and a cut name would be another name.
    public func fittedToLimits() -> (report: NetworkReport, shortened: Int) {
        var r = self
        var shortened = 0
        var paths: [String: String] = [:]
        func fit(_ s: inout String, _ max: Int) {
            let f = ReportFieldLimits.storable(s, maxBytes: max)
            if f != s {
                s = f
                shortened += 1
            }
        }
        func fit(_ s: inout String?, _ max: Int) {
            guard var v = s else { return }
            fit(&v, max)
            s = v
        }
        func fitPath(_ s: inout String) {
            // Rows share a handful of evidence files: each is checked once.
            if let known = paths[s] {
                if known != s { s = known; shortened += 1 }
                return
            }
            let original = s
            fit(&s, ReportFieldLimits.maxPathBytes)
            if paths.count < 4096 { paths[original] = s }
        }
        for i in r.contacts.names.indices {
            fit(&r.contacts.names[i].client, ReportFieldLimits.maxAddressBytes)
            fitPath(&r.contacts.names[i].evidenceFile)
        }
        for i in r.contacts.servers.indices {
            fit(&r.contacts.servers[i].client, ReportFieldLimits.maxAddressBytes)
            fitPath(&r.contacts.servers[i].evidenceFile)
        }
        for i in r.hits.indices {
            fit(&r.hits[i].host, ReportFieldLimits.maxAddressBytes)
            fit(&r.hits[i].observed, ReportFieldLimits.maxPathBytes)
            fit(&r.hits[i].indicator, ReportFieldLimits.maxPathBytes)
        }
        for i in r.beacons.indices {
            fit(&r.beacons[i].source, ReportFieldLimits.maxAddressBytes)
            fit(&r.beacons[i].destination, ReportFieldLimits.maxPathBytes)
            fit(&r.beacons[i].evidence, ReportFieldLimits.maxPathBytes)
        }
        for i in r.leases.indices {
            fit(&r.leases[i].mac, ReportFieldLimits.maxAddressBytes)
            fit(&r.leases[i].hostName, ReportFieldLimits.maxNameBytes)
            fit(&r.leases[i].server, ReportFieldLimits.maxAddressBytes)
            fitPath(&r.leases[i].evidenceFile)
        }
        return (r, shortened)
    }
}
