import Foundation
import Hummingbird
import VigilFleetProtocol
import VigilFleetStore
import VigilVerdicts

/// `GET /verdicts`, `GET /hosts/{name}/verdict`, `GET /verdict-changes` (any role).
extension FleetServer {
    func listVerdicts(_ request: Request) async throws -> Response {
        var state: VerdictState?
        if let text = request.uri.queryParameters.get("state") {
            guard let s = VerdictState(rawValue: text.lowercased()) else {
                throw FleetHTTPError.malformed("state must be one of \(VerdictState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = s
        }
        let limit = try intParameter(request, "limit", default: limits.maxQueryRows, range: 1...limits.maxQueryRows)
        let offset = try intParameter(request, "offset", default: 0, range: 0...Int(Int32.max))
        return try json(try await store.verdicts(state: state, limit: limit, offset: offset))
    }

    func hostVerdict(_ request: Request, context: FleetRequestContext) async throws -> Response {
        guard let name = context.parameters.get("name"), !name.isEmpty, name.utf8.count <= limits.maxTextBytes else {
            throw FleetHTTPError.malformed("give a host name, host identifier or host id")
        }
        guard let host = try await findHost(name) else { throw FleetHTTPError(.notFound, "not-found", "no host named \(name.prefix(200))") }
        guard let detail = try await verdicts.detail(hostID: host.id) else {
            throw FleetHTTPError(.notFound, "not-found", "host \(host.hostname) has no verdict yet; verdicts are computed shortly after the server starts and when evidence arrives")
        }
        return try json(detail)
    }

    /// A host by id, exact host name or exact host identifier (names compared case-insensitively).
    func findHost(_ name: String) async throws -> HostRecord? {
        if let id = Int64(name), let host = try await store.host(id: id) { return host }
        let lower = name.lowercased()
        var after: Int64?
        while true {
            let page = try await store.hostPage(HostPageQuery(search: name, afterID: after, limit: 500))
            if let exact = page.first(where: { $0.hostname == name || $0.hostIdentifier == name }) { return exact }
            if let folded = page.first(where: { $0.hostname.lowercased() == lower || $0.hostIdentifier.lowercased() == lower }) { return folded }
            guard page.count == 500, let last = page.last else { return nil }
            after = last.id
        }
    }

    func listVerdictChanges(_ request: Request) async throws -> Response {
        var since: Date?
        if let text = request.uri.queryParameters.get("since") {
            if let seconds = Int64(text) {
                since = Date(timeIntervalSince1970: TimeInterval(seconds))
            } else if let date = ISO8601DateFormatter().date(from: text) {
                since = date
            } else {
                throw FleetHTTPError.malformed("since must be ISO 8601 (2026-01-31T00:00:00Z) or seconds since 1970")
            }
        }
        let limit = try intParameter(request, "limit", default: limits.maxQueryRows, range: 1...limits.maxQueryRows)
        return try json(try await store.verdictChanges(hostID: nil, since: since, limit: limit))
    }
}

extension InventoryBatch {
    /// Whether the batch carries a file whose version information the verdicts read.
    func touchesVersionFiles(_ names: [String]) -> Bool {
        guard !names.isEmpty else { return false }
        let wanted = Set(names.map { $0.lowercased() })
        return files.contains { file in
            let base = file.path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map { $0.lowercased() } ?? ""
            return wanted.contains(base)
        }
    }
}
