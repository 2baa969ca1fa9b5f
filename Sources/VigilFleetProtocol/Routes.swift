/// The HTTP API between `vigil agent` / `vigil fleet` and `vigil serve`, in one place so the
/// server's route table, the clients and the OpenAPI document (docs/fleet-openapi.yaml) agree.
///
/// Authentication: agent routes take a host key, client routes a user API token, both as
/// `Authorization: Bearer …`; only ``enroll`` takes neither (it carries the enrolment secret).
public enum FleetRoutes {
    public static let prefix = "/api/v1"

    // Agent side (host key).
    /// POST ``EnrollmentRequest`` → ``EnrollmentResponse``.
    public static let enroll = "/api/v1/agent/enroll"
    /// POST ``InventoryBatch`` (gzip) → ``BatchAcknowledgement``.
    public static let batches = "/api/v1/agent/batches"
    /// GET → the server's indicators as JSON (`[Indicator]`), with `ETag`; `If-None-Match` → 304.
    public static let agentIndicators = "/api/v1/agent/indicators"
    /// GET → YARA rule source text the agent compiles, with `ETag`; `If-None-Match` → 304.
    public static let agentRules = "/api/v1/agent/rules"

    // Client side (user API token).
    /// GET → hosts.
    public static let hosts = "/api/v1/hosts"
    /// GET `?sha256=…` or `?name=…` → inventory hits across all hosts.
    public static let files = "/api/v1/files"
    /// GET `?host=…&since=…` → findings with first and last seen.
    public static let findings = "/api/v1/findings"
    /// GET → feeds; POST (body: the feed file; `?name=…&format=…`) → import, then retro-hunt.
    public static let feeds = "/api/v1/feeds"
    /// GET/POST → enrolment secrets (admin only).
    public static let enrollmentSecrets = "/api/v1/enrollment-secrets"
    /// POST ``NetworkReport`` (gzip) → ``NetworkReportAcknowledgement`` (analyst or admin token):
    /// `vigil hunt --report-to`.
    public static let networkReports = "/api/v1/network-reports"
    /// GET `?state=…` → ``HostVerdictRecord`` list, every host's current verdict.
    public static let verdicts = "/api/v1/verdicts"
    /// GET → ``HostVerdictDetail`` for the host named `{name}` (host name or identifier).
    public static let hostVerdict = "/api/v1/hosts/{name}/verdict"
    /// GET `?since=…` → ``VerdictChange`` list, oldest first.
    public static let verdictChanges = "/api/v1/verdict-changes"
}

/// Token prefixes, so a leaked value says what it is (and secret scanners can find it).
public enum FleetTokenPrefix {
    /// Enrolment secret, created by `vigil serve secret create`.
    public static let enrollmentSecret = "vigil_es_"
    /// Per-host key returned by enrolment.
    public static let hostKey = "vigil_hk_"
    /// Per-user API token for `vigil fleet`.
    public static let apiToken = "vigil_ut_"
}
