import Foundation
import Hummingbird
import NIOCore
import VigilCore
import VigilFeeds
import VigilFleetProtocol
import VigilFleetServer
import VigilFleetStore
import VigilIndicators
import VigilVerdicts

/// The pages. Each builds a plain dictionary for its template; every string in it is escaped by
/// the template's `{{ }}`.
extension Console {
    // MARK: Overview

    func overview(_ visit: Visit) async throws -> Response {
        let now = Date()
        let cutoff = now.addingTimeInterval(-configuration.silentAfter)
        let counts = try await store.overviewCounts(notSeenSince: cutoff)
        let newest = try await store.findings(matching: FindingQuery(limit: 15))
        let feeds = try await store.feeds()
        let silent = try await store.hostsNotSeen(since: cutoff, limit: 10)
        let recentMarks = try await store.findingMarks(hostID: nil, limit: 200)
        let markByFinding = Dictionary(recentMarks.map { ($0.findingID, $0) }, uniquingKeysWith: { a, _ in a })
        let markCounts = try await store.findingMarkCounts()
        let verdicts = await verdictOverview(now: now)
        let severities: [[String: Any]] = Severity.allCases.reversed().map {
            let n = counts.findingsBySeverity[$0] ?? 0
            return ["name": $0.rawValue, "count": n, "zero": n == 0]
        }
        return render(visit, "overview", title: "Overview", active: "overview", [
            "hostCount": counts.hosts,
            "verdicts": verdicts,
            "severities": severities,
            "silentCount": counts.hostsNotSeen,
            "silentWarn": counts.hostsNotSeen > 0,
            "silentWindow": Self.duration(configuration.silentAfter),
            "feedCount": feeds.count,
            "findings": newest.map { Self.findingRow($0, now: now, mark: markByFinding[$0.id]) },
            "markCounts": FindingMarkStatus.allCases.map { ["status": $0.rawValue, "label": $0.label, "count": markCounts[$0] ?? 0] as [String: Any] },
            "recentMarks": recentMarks.prefix(8).map { Self.markRow($0, now: now) },
            "feeds": feeds.map { Self.feedRow($0, now: now) },
            "silent": silent.map { Self.hostRow($0, now: now) },
        ])
    }

    // MARK: Hosts

    /// The kinds of search the hosts page offers (docs/console.md, "Search"). Each is answered by
    /// a range of an index; `contains` reads host rows in bounded slices where no index can help.
    enum SearchKind: String, CaseIterable {
        case auto, name, identifier, address, contains, file, filename, hash
        var label: String {
            switch self {
            case .auto: "Anything (detect)"
            case .name: "Host name starts with"
            case .identifier: "Identifier starts with"
            case .address: "Address starts with"
            case .contains: "Name or identifier contains"
            case .file: "File path (exact)"
            case .filename: "File name"
            case .hash: "SHA-256, SHA-1 or MD5"
            }
        }
    }

    /// The kind `auto` stands for: a hash by its length, a path when it has a slash, an address
    /// when it looks like the start of an IPv4 or IPv6 address, else a host name.
    static func detectKind(_ query: String) -> SearchKind {
        if hashKind(query) != nil { return .hash }
        if query.contains("/") || query.contains("\\") { return .file }
        let v4 = query.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || $0 == "." } && query.contains(".")
        let v6 = query.contains(":") && query.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
        return v4 || v6 ? .address : .name
    }

    /// A request's query parameters by name (decoded).
    struct QueryLookup {
        let lookup: (String) -> String?
        func get(_ name: String) -> String? { lookup(name) }
    }

    func hostsPage(_ visit: Visit) async throws -> Response {
        let rawParameters = visit.request.uri.queryParameters
        let parameters = QueryLookup { rawParameters.get($0).map { String($0) } }
        let query = String((parameters.get("q") ?? "").trimmingCharacters(in: .whitespaces).prefix(4096))
        let asked = SearchKind(rawValue: parameters.get("in") ?? "auto") ?? .auto
        let kind = asked == .auto && !query.isEmpty ? Self.detectKind(query) : asked
        let now = Date()
        var values: [String: Any] = [
            "query": query,
            "kinds": SearchKind.allCases.map { ["value": $0.rawValue, "label": $0.label, "selected": $0 == asked] as [String: Any] },
        ]
        let pageSize = configuration.pageSize
        let verdictFilter = parameters.get("verdict").flatMap { VerdictState(rawValue: String($0)) }
        values["verdictOptions"] = [["value": "", "label": "Any verdict", "selected": verdictFilter == nil] as [String: Any]]
            + Self.verdictStates.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0 == verdictFilter] as [String: Any] }
        let afterID = parameters.get("after").flatMap { Int64($0) }
        if let verdictFilter, query.isEmpty {
            // Hosts with this verdict, in host id order: keyset pages over the verdict-state index.
            var ids: [Int64] = []
            do {
                ids = try await store.hostIDs(verdict: verdictFilter, afterID: afterID, limit: pageSize + 1)
            } catch {
                values["problem"] = "Verdicts cannot be read from the store: \(error)"
            }
            let shown = Array(ids.prefix(pageSize))
            var hosts: [HostRecord] = []
            for id in shown { if let host = try await store.host(id: id) { hosts.append(host) } }
            var next: String?
            if ids.count > pageSize, let last = shown.last { next = "/hosts?verdict=\(verdictFilter.rawValue)&after=\(last)" }
            values["hostRows"] = hostRows(hosts, states: Dictionary(uniqueKeysWithValues: hosts.map { ($0.id, verdictFilter) }), next: next, now: now)
            values["searchNote"] = "Hosts whose verdict is \(verdictFilter.rawValue), by host id."
            return render(visit, "hosts", title: "Hosts", active: "hosts", values)
        }
        if query.isEmpty {
            let page = try await store.hostPage(HostPageQuery(afterID: afterID, limit: pageSize + 1))
            let shown = Array(page.prefix(pageSize))
            let next = page.count > pageSize ? shown.last.map { "/hosts?after=\($0.id)" } : nil
            values["hostRows"] = hostRows(shown, states: try await verdictStates(shown, &values), next: next, now: now)
            return render(visit, "hosts", title: "Hosts", active: "hosts", values)
        }
        let q = Self.queryEscape(query)
        switch kind {
        case .hash:
            guard let (digestKind, digest) = Self.hashKind(query) else {
                values["problem"] = "A hash is 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hexadecimal digits."
                values["fileRows"] = ["files": [Any]()]
                break
            }
            let (rows, next) = try await inventoryRows(Self.inventoryMatch(digestKind, digest), parameters: parameters, link: "/hosts?in=hash&q=\(q)", now: now)
            values["fileRows"] = Self.fileRowsValue(rows, next: next)
            values["searchNote"] = Self.fileNote(count: rows.count, more: next != nil, parameters: parameters,
                                                 what: "stored files with this \(digestKind.rawValue.uppercased())")
        case .file:
            let (rows, next) = try await inventoryRows(InventoryMatch.path(query), parameters: parameters, link: "/hosts?in=file&q=\(q)", now: now)
            if rows.isEmpty, parameters.get("afterHost") == nil {
                // No file at exactly this path: the files with its base name, as a file-name search.
                let name = FleetPathName.name(of: query)
                let (byName, nextByName) = name.isEmpty ? ([], nil)
                    : try await inventoryRows(InventoryMatch.name(name), parameters: parameters, link: "/hosts?in=filename&q=\(Self.queryEscape(name))", now: now)
                values["fileRows"] = Self.fileRowsValue(byName, next: nextByName)
                values["searchNote"] = "No stored file at exactly this path. "
                    + Self.fileNote(count: byName.count, more: nextByName != nil, parameters: parameters, what: "stored files named \(name)")
            } else {
                values["fileRows"] = Self.fileRowsValue(rows, next: next)
                values["searchNote"] = Self.fileNote(count: rows.count, more: next != nil, parameters: parameters,
                                                     what: "stored files at exactly this path")
            }
        case .filename:
            let name = FleetPathName.name(of: query)
            let (rows, next) = try await inventoryRows(InventoryMatch.name(name), parameters: parameters, link: "/hosts?in=filename&q=\(q)", now: now)
            values["fileRows"] = Self.fileRowsValue(rows, next: next)
            values["searchNote"] = Self.fileNote(count: rows.count, more: next != nil, parameters: parameters, what: "stored files named \(name)")
        case .contains:
            try await containsSearch(query, afterID: afterID ?? 0, into: &values, now: now)
        case .name, .identifier, .address, .auto:
            let field: HostSearchField = kind == .identifier ? .identifier : kind == .address ? .address : .name
            try await prefixSearch(query, field: field, asked: asked, parameters: parameters, into: &values, now: now)
        }
        return render(visit, "hosts", title: "Hosts", active: "hosts", values)
    }

    /// A prefix search of one field, in key order. In `auto` mode a name that matches no host name
    /// is tried as the start of an identifier, then as a substring (bounded), and the note says so.
    private func prefixSearch(_ query: String, field: HostSearchField, asked: SearchKind, parameters: QueryLookup,
                              into values: inout [String: Any], now: Date) async throws {
        let pageSize = configuration.pageSize
        guard ConsoleSearchLimits.searchable(query) else {
            values["hostRows"] = hostRows([], states: [:], next: nil, now: now)
            values["searchNote"] = "No host can match: the search text is longer than \(ConsoleSearchLimits.maxTextBytes) bytes or contains a NUL character."
            return
        }
        let cursor: HostSearchCursor? = {
            guard let id = parameters.get("after").flatMap({ Int64($0) }), let key = parameters.get("key") else { return nil }
            return HostSearchCursor(key: String(key), hostID: id)
        }()
        let firstField = field
        var field = field
        var hits = try await store.hostsByPrefix(HostPrefixQuery(field: field, prefix: query, after: cursor, limit: pageSize + 1))
        if hits.isEmpty, cursor == nil, asked == .auto {
            // Detected, not chosen: try the other fields (an address-like text may be a name), then a substring.
            for other in [HostSearchField.name, .identifier] where other != firstField && hits.isEmpty {
                field = other
                hits = try await store.hostsByPrefix(HostPrefixQuery(field: field, prefix: query, limit: pageSize + 1))
            }
            if hits.isEmpty {
                let tried = firstField == .address ? "No address, host name or identifier" : "No host name or identifier"
                values["searchNote"] = "\(tried) starts with “\(query)”. "
                try await containsSearch(query, afterID: 0, into: &values, now: now)
                return
            }
        }
        let shown = Array(hits.prefix(pageSize)).map(\.host)
        var next: String?
        if hits.count > pageSize, let last = hits.prefix(pageSize).last {
            let kind: SearchKind = field == .identifier ? .identifier : field == .address ? .address : .name
            next = "/hosts?in=\(kind.rawValue)&q=\(Self.queryEscape(query))&after=\(last.host.id)&key=\(Self.queryEscape(last.key))"
        }
        values["hostRows"] = hostRows(shown, states: try await verdictStates(shown, &values), next: next, now: now)
        let what = field == .identifier ? "identifier" : field == .address ? "an address" : "name"
        let subject = field == .address ? "Hosts with \(what) starting with “\(query)”" : "Hosts whose \(what) starts with “\(query)”"
        let order = field == .address ? "by address" : "by \(what)"
        values["searchNote"] = (values["searchNote"] as? String ?? "") + "\(subject), \(order)"
            + (cursor == nil ? "" : ", continued") + (next == nil ? "." : "; more on the next page.")
        if field != .address {
            values["alsoLinks"] = [["href": "/hosts?in=contains&q=\(Self.queryEscape(query))",
                                    "label": "Search host names and identifiers containing “\(query)” anywhere"]]
        }
    }

    /// Hosts whose name or identifier contains the text: from an index where the store has one,
    /// else slices of host rows; the note says which hosts were searched and links to the rest.
    private func containsSearch(_ query: String, afterID: Int64, into values: inout [String: Any], now: Date) async throws {
        let page = try await store.hostsContaining(HostSubstringQuery(text: query, afterID: afterID, limit: configuration.pageSize, scanLimit: configuration.substringScanRows))
        var next: String?
        if let resume = page.resumeAfter { next = "/hosts?in=contains&q=\(Self.queryEscape(query))&after=\(resume)" }
        values["hostRows"] = hostRows(page.hosts, states: try await verdictStates(page.hosts, &values), next: next, now: now)
        var note = (values["searchNote"] as? String ?? "") + "Hosts whose name or identifier contains “\(query)”"
        let from = afterID > 0 ? " after host id \(afterID)" : ""
        if page.indexed {
            note += from.isEmpty ? " (every host searched, by trigram index)." : "\(from) (by trigram index)."
            if next != nil { note += " More on the next page." }
        } else if let resume = page.resumeAfter {
            note += ". Search narrowed: these are the matches among the \(page.scanned) hosts\(from) up to host id \(resume); "
                + "the hosts after it have not been searched yet (next page). Type the start of the name for a complete, indexed search."
        } else {
            note += from.isEmpty ? " (every host searched)." : " (every host\(from) searched)."
        }
        values["searchNote"] = note
    }

    private func verdictStates(_ hosts: [HostRecord], _ values: inout [String: Any]) async throws -> [Int64: VerdictState] {
        do {
            return try await store.verdictStates(hostIDs: hosts.map(\.id))
        } catch {
            values["problem"] = "Verdicts cannot be read from the store: \(error)"
            return [:]
        }
    }

    private func hostRows(_ hosts: [HostRecord], states: [Int64: VerdictState], next: String?, now: Date) -> [String: Any] {
        var rows: [String: Any] = ["hosts": hosts.map { host in
            var row = Self.hostRow(host, now: now)
            if let state = states[host.id] { row["verdict"] = state.rawValue }
            return row
        }]
        if let next { rows["next"] = next }
        return rows
    }

    /// One page of inventory rows and the link to the next (cursor `afterPath`, `afterHost`).
    private func inventoryRows(_ match: InventoryMatch, parameters: QueryLookup, link: String,
                               now: Date) async throws -> ([[String: Any]], String?) {
        let pageSize = configuration.pageSize * 4
        let cursor: InventoryCursor? = {
            guard let path = parameters.get("afterPath").flatMap({ Int64($0) }), let host = parameters.get("afterHost").flatMap({ Int64($0) })
            else { return nil }
            return InventoryCursor(pathID: path, hostID: host)
        }()
        let hits = try await store.inventoryPage(InventoryPageQuery(match: match, after: cursor, limit: pageSize + 1))
        let shown = hits.prefix(pageSize)
        var next: String?
        if hits.count > pageSize, let last = shown.last {
            next = "\(link)&afterPath=\(last.cursor.pathID)&afterHost=\(last.cursor.hostID)"
        }
        return (shown.map { Self.fileRow($0.hit, now: now) }, next)
    }

    static func fileRowsValue(_ rows: [[String: Any]], next: String?) -> [String: Any] {
        var value: [String: Any] = ["files": rows]
        if let next { value["next"] = next }
        return value
    }

    static func fileNote(count: Int, more: Bool, parameters: QueryLookup, what: String) -> String {
        let continued = parameters.get("afterHost") != nil
        if !more && !continued { return "\(count) \(what)." }
        return "\(count) \(what)" + (continued ? " (continued)" : "") + (more ? "; more on the next page." : "; the last page.")
    }

    /// What an inventory page looks for, for a digest `hashKind` accepted.
    static func inventoryMatch(_ kind: IndicatorKind, _ digest: String) -> InventoryMatch {
        let bytes = FleetHex.decode(digest, bytes: digest.utf8.count / 2) ?? Data()
        switch kind {
        case .md5: return .md5(bytes)
        case .sha1: return .sha1(bytes)
        default: return .sha256(bytes)
        }
    }

    /// The digest kind of a hex string by its length, and the string lower-cased; nil when it is not one.
    static func hashKind(_ text: String) -> (IndicatorKind, String)? {
        let lower = text.lowercased()
        guard lower.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        switch lower.utf8.count {
        case 32: return (.md5, lower)
        case 40: return (.sha1, lower)
        case 64: return (.sha256, lower)
        default: return nil
        }
    }

    func hostPage(_ visit: Visit) async throws -> Response {
        guard let id = visit.context.parameters.get("id").flatMap({ Int64($0) }), let host = try await store.host(id: id) else {
            return errorPage(visit, .notFound, "No such host", "There is no host with this id.")
        }
        let now = Date()
        let findings = try await store.findings(matching: FindingQuery(hostID: id, limit: 1000))
        var byPath: [String: (Severity, Int)] = [:]
        for f in findings.map(\.finding) where !f.path.isEmpty {
            let old = byPath[f.path] ?? (.info, 0)
            byPath[f.path] = (max(old.0, f.severity), old.1 + 1)
        }
        let files: [[String: Any]] = byPath.sorted { ($0.value.0, $1.key) > ($1.value.0, $0.key) }.map {
            ["path": $0.key, "severity": $0.value.0.rawValue, "count": $0.value.1]
        }
        var hostValues = Self.hostRow(host, now: now)
        hostValues["enrolledAt"] = Self.timestamp(host.enrolledAt)
        hostValues["addressRows"] = host.addresses.sorted { $0.lastSeen > $1.lastSeen }.map {
            ["address": $0.address, "firstSeen": Self.timestamp($0.firstSeen), "lastSeen": Self.timestamp($0.lastSeen)]
        }
        let verdict = await hostVerdictValues(host: host, findings: findings, now: now)
        let marks = Dictionary(try await store.findingMarks(hostID: id, limit: ConsoleAdminLimits.maxMarks).map { ($0.findingID, $0) },
                               uniquingKeysWith: { a, _ in a })
        return render(visit, "host", title: host.hostname.isEmpty ? "Host \(host.id)" : host.hostname, active: "hosts", [
            "host": hostValues,
            "files": files,
            "findings": findings.map { Self.findingRow($0, now: now, mark: marks[$0.id]) },
            "verdict": verdict,
            "canMark": visit.user.role.consoleAllows(.analyst),
            "markStatuses": FindingMarkStatus.allCases.map { ["value": $0.rawValue, "label": $0.label] },
        ])
    }

    // MARK: Hash

    func hashPage(_ visit: Visit) async throws -> Response {
        guard let (kind, digest) = visit.context.parameters.get("digest").flatMap(Self.hashKind) else {
            return errorPage(visit, .notFound, "Not a hash", "A hash is 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hexadecimal digits.")
        }
        // The first `cap` rows, one range of the digest's index (a common library's digest is on every host).
        let cap = 500
        let page = try await store.inventoryPage(InventoryPageQuery(match: Self.inventoryMatch(kind, digest), limit: cap + 1))
        let hits = page.map(\.hit)
        let snapshot = try await server.indicators.current()
        var values: [String: Any] = ["kind": kind.rawValue.uppercased(), "digest": digest]
        if let indicator = snapshot.indicators.lookup(kind, digest) {
            values["indicator"] = [
                "summary": indicator.summary ?? "",
                "provenance": indicator.provenance.map {
                    ["feed": $0.feed, "file": $0.file ?? "", "line": $0.line.map(String.init) ?? "", "description": $0.description ?? "",
                     "firstSeen": $0.firstSeen ?? ""]
                },
            ] as [String: Any]
        }
        values["hits"] = hits.prefix(cap).map {
            ["hostID": $0.hostID, "hostname": $0.hostname, "path": $0.file.path, "size": $0.file.size, "signer": $0.file.signer ?? "",
             "firstSeen": Self.timestamp($0.firstSeen), "lastSeen": Self.timestamp($0.lastSeen)] as [String: Any]
        }
        if hits.count > cap {
            values["truncated"] = cap
            let last = page[cap - 1].cursor
            values["more"] = "/hosts?in=hash&q=\(digest)&afterPath=\(last.pathID)&afterHost=\(last.hostID)"
        }
        return render(visit, "hash", title: "\(kind.rawValue.uppercased()) \(digest.prefix(12))…", active: "hosts", values)
    }

    // MARK: Feeds

    func feedsPage(_ visit: Visit, result: [String: Any]?, problem: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let now = Date()
        let feeds = try await store.feeds()
        let snapshot = try await server.indicators.current()
        var values: [String: Any] = [
            "feeds": feeds.map { Self.feedRow($0, now: now) },
            "indicatorCount": snapshot.indicators.count,
            "defaults": server.configuration.includeDefaultIndicators,
            "canUpload": visit.user.role.consoleAllows(.analyst),
            "formats": ["auto"] + FeedFormat.allCases.map(\.rawValue),
            "blockFormats": BlocklistFormat.allCases.map(\.rawValue),
        ]
        if let result { values["result"] = result }
        if let problem { values["problem"] = problem }
        return render(visit, "feeds", title: "Feeds", active: "feeds", values, status: status)
    }

    func uploadFeed(_ visit: Visit) async throws -> Response {
        let name = (visit.form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let upload = visit.upload, !upload.body.isEmpty else {
            return try await feedsPage(visit, result: nil, problem: "Choose a feed file to upload.", status: .badRequest)
        }
        guard let text = String(validating: upload.body, as: UTF8.self) else {
            return try await feedsPage(visit, result: nil, problem: "The file is not UTF-8 text.", status: .badRequest)
        }
        var format: FeedFormat?
        if let given = visit.form["format"], given != "auto" {
            guard let f = FeedFormat(rawValue: given) else {
                return try await feedsPage(visit, result: nil, problem: "Unknown feed format.", status: .badRequest)
            }
            format = f
        }
        let imported: FeedImportResponse
        do {
            imported = try await server.importFeed(name: name, text: text, format: format, fileName: upload.fileName)
        } catch let error as FleetHTTPError {
            return try await feedsPage(visit, result: nil, problem: error.body.message, status: error.status)
        }
        let hunt = imported.retroHunt
        try await audit(
            actor: visit.user.name, action: "feed.add", target: name,
            detail: "\(imported.feed.format), \(imported.feed.indicatorCount) indicators, \(imported.summary.totalRejected) rejected, retro-hunt \(hunt.hits) hits on \(hunt.hosts) hosts")
        var result: [String: Any] = [
            "name": imported.feed.name, "format": imported.feed.format, "accepted": imported.feed.indicatorCount,
            "rejected": imported.summary.totalRejected, "fresh": imported.newIndicators, "hits": hunt.hits, "hosts": hunt.hosts,
            "findings": hunt.findings, "newFindings": hunt.newFindings, "milliseconds": String(format: "%.1f", hunt.milliseconds),
            "diagnostics": imported.diagnostics.map(\.description),
        ]
        // A section shows for any value but false or an empty list: counts go in only when non-zero.
        if !imported.diagnostics.isEmpty { result["diagnosticCount"] = imported.diagnostics.count }
        if imported.diagnosticsOmitted > 0 { result["omitted"] = imported.diagnosticsOmitted }
        return try await feedsPage(visit, result: result, problem: nil, status: .created)
    }

    func blocklist(_ visit: Visit) async throws -> Response {
        guard let format = visit.request.uri.queryParameters.get("format").flatMap({ BlocklistFormat(rawValue: String($0)) }) else {
            return errorPage(visit, .badRequest, "Unknown format",
                             "Choose one of \(BlocklistFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let snapshot = try await server.indicators.current()
        let text = BlocklistBuilder.render(BlocklistBuilder.plan(snapshot.indicators), as: format)
        var headers = Console.securityHeaders
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"vigil-blocklist-\(format.rawValue).txt\""
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Agents

    func agentsPage(_ visit: Visit, newSecret: [String: Any]?, flash: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let now = Date()
        let cutoff = now.addingTimeInterval(-configuration.silentAfter)
        let counts = try await store.overviewCounts(notSeenSince: cutoff)
        let silent = try await store.hostsNotSeen(since: cutoff, limit: 100)
        var values: [String: Any] = [
            "versions": counts.agentVersions.map { ["version": $0.version.isEmpty ? "(unknown)" : $0.version, "hosts": $0.hosts] as [String: Any] },
            "silent": silent.map { Self.hostRow($0, now: now) },
            "silentWindow": Self.duration(configuration.silentAfter),
            "isAdmin": visit.user.role == .admin,
        ]
        if visit.user.role == .admin {
            let csrf = visit.session.csrfToken
            values["secrets"] = try await store.enrollmentSecrets().reversed().map { (s: EnrollmentSecretRecord) -> [String: Any] in
                var row: [String: Any] = ["id": s.id, "name": s.name, "created": Self.timestamp(s.createdAt), "csrf": csrf]
                if let revoked = s.revokedAt { row["revoked"] = Self.timestamp(revoked) }
                return row
            }
        }
        if let newSecret { values["newSecret"] = newSecret }
        if let flash { values["flash"] = flash }
        return render(visit, "agents", title: "Agents", active: "agents", values, status: status)
    }

    func createSecret(_ visit: Visit) async throws -> Response {
        let name = (visit.form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.count <= 200, !name.utf8.contains(0) else {
            return errorPage(visit, .badRequest, "Bad name", "A secret's name is 1 to 200 bytes.")
        }
        let (record, secret) = try await FleetServer.createEnrollmentSecret(name: name, store: store)
        try await audit(actor: visit.user.name, action: "secret.create", target: "\(record.id) \(record.name)", detail: "")
        return try await agentsPage(visit, newSecret: ["name": record.name, "secret": secret], flash: nil, status: .created)
    }

    func revokeSecret(_ visit: Visit) async throws -> Response {
        guard let id = visit.context.parameters.get("id").flatMap({ Int64($0) }), try await store.revokeEnrollmentSecret(id: id, at: Date()) else {
            return errorPage(visit, .notFound, "No such secret", "There is no unrevoked enrolment secret with this id.")
        }
        try await audit(actor: visit.user.name, action: "secret.revoke", target: String(id), detail: "")
        return try await agentsPage(visit, newSecret: nil, flash: "Enrolment secret \(id) revoked; hosts already enrolled keep their keys.")
    }

    // MARK: Audit

    func auditPage(_ visit: Visit) async throws -> Response {
        let entries = try await store.auditLog(limit: 500)
        return render(visit, "audit", title: "Audit log", active: "audit", [
            "entries": entries.map {
                ["at": Self.timestamp($0.at), "actor": $0.actor, "action": $0.action, "target": $0.target, "detail": $0.detail]
            },
        ])
    }

    // MARK: Rows and formatting

    static func findingRow(_ stored: StoredFinding, now: Date, mark: FindingMark? = nil) -> [String: Any] {
        let f = stored.finding
        var row: [String: Any] = [
            "id": stored.id, "severity": f.severity.rawValue, "hostID": stored.hostID, "hostname": stored.hostname, "check": f.check, "title": f.title,
            "path": f.path, "indicator": f.indicator ?? "", "lastSeen": timestamp(stored.lastSeen), "lastSeenAgo": ago(stored.lastSeen, now: now),
            "technique": f.attack,
        ]
        if let indicator = f.indicator, let (_, digest) = hashKind(indicator) { row["hashLink"] = digest }
        if let mark { row["mark"] = markRow(mark, now: now) }
        return row
    }

    static func feedRow(_ feed: FeedRecord, now: Date) -> [String: Any] {
        let age = now.timeIntervalSince(feed.addedAt)
        let freshness = age < 7 * 86400 ? "fresh" : age < 30 * 86400 ? "aging" : "stale"
        return ["name": feed.name, "format": feed.format, "count": feed.indicatorCount, "added": timestamp(feed.addedAt),
                "addedAgo": ago(feed.addedAt, now: now), "freshness": freshness, "digestShort": String(feed.digest.prefix(16))]
    }

    static func hostRow(_ host: HostRecord, now: Date) -> [String: Any] {
        [
            "id": host.id, "hostname": host.hostname.isEmpty ? "(no name)" : host.hostname, "hostIdentifier": host.hostIdentifier,
            "os": host.os, "osVersion": host.osVersion, "agentVersion": host.agentVersion,
            "addresses": host.addresses.prefix(4).map(\.address).joined(separator: ", ") + (host.addresses.count > 4 ? " …" : ""),
            "lastContact": host.lastContact.map(timestamp) ?? "never", "lastContactAgo": host.lastContact.map { ago($0, now: now) } ?? "never",
            "keyRevoked": host.keyRevoked,
        ]
    }

    static func fileRow(_ hit: InventoryHit, now: Date) -> [String: Any] {
        ["hostID": hit.hostID, "hostname": hit.hostname, "path": hit.file.path, "sha256": hit.file.sha256.lowercased(),
         "sha256Short": String(hit.file.sha256.prefix(16)) + "…", "size": hit.file.size, "lastSeen": timestamp(hit.lastSeen),
         "lastSeenAgo": ago(hit.lastSeen, now: now)]
    }

    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    static func ago(_ date: Date, now: Date) -> String {
        let seconds = now.timeIntervalSince(date)
        if seconds < 60 { return "just now" }
        return duration(seconds) + " ago"
    }

    static func duration(_ seconds: TimeInterval) -> String {
        switch seconds {
        case ..<3600: "\(Int(seconds / 60)) min"
        case ..<(2 * 86400): "\(Int(seconds / 3600)) h"
        default: "\(Int(seconds / 86400)) days"
        }
    }

    /// Percent-encodes a query value (everything but unreserved characters).
    static func queryEscape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
