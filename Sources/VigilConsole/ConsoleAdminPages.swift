import Foundation
import Hummingbird
import VigilFleetServer
import VigilFleetStore

/// Finding marks, user management (admins) and each user's own API tokens.
extension Console {
    // MARK: Finding marks

    /// Sets an analyst's mark on a finding and returns to the host page.
    func markFinding(_ visit: Visit) async throws -> Response {
        guard let id = visit.context.parameters.get("id").flatMap({ Int64($0) }) else {
            return errorPage(visit, .notFound, "No such finding", "There is no finding with this id.")
        }
        guard let status = visit.form["status"].flatMap(FindingMarkStatus.init(rawValue:)) else {
            return errorPage(visit, .badRequest, "Unknown mark",
                             "A finding is marked \(FindingMarkStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let note = (visit.form["note"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard note.utf8.count <= FindingMark.maxNoteBytes, !note.utf8.contains(0) else {
            return errorPage(visit, .badRequest, "Note too long", "A note is at most \(FindingMark.maxNoteBytes) bytes.")
        }
        guard let mark = try await store.markFinding(id: id, status: status, note: note, by: visit.user.name, at: Date()) else {
            return errorPage(visit, .notFound, "No such finding", "There is no finding with this id.")
        }
        try await audit(actor: visit.user.name, action: "finding.mark", target: "finding \(id) on \(mark.hostname) (host \(mark.hostID))",
                        detail: status.rawValue + (note.isEmpty ? "" : ": " + note))
        return Self.redirect("/hosts/\(mark.hostID)#finding-\(id)")
    }

    static func markRow(_ mark: FindingMark, now: Date) -> [String: Any] {
        ["findingID": mark.findingID, "hostID": mark.hostID, "hostname": mark.hostname, "status": mark.status.rawValue,
         "label": mark.status.label, "note": mark.note, "by": mark.markedBy, "at": timestamp(mark.markedAt), "ago": ago(mark.markedAt, now: now)]
    }

    // MARK: Users (admins)

    func usersPage(_ visit: Visit, flash: String?, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let users = try await store.users()
        let csrf = visit.session.csrfToken
        var rows: [[String: Any]] = []
        for user in users {
            let tokens = try await store.apiTokens(userID: user.id)
            let isSelf = user.id == visit.user.id
            rows.append([
                "id": user.id, "name": user.name, "role": user.role.rawValue, "created": Self.timestamp(user.createdAt),
                "canSignIn": user.passwordHash != nil, "activeTokens": tokens.filter { $0.revokedAt == nil }.count,
                "isSelf": isSelf, "csrf": csrf,
                "roles": UserRole.allCases.map { ["value": $0.rawValue, "selected": $0 == user.role] as [String: Any] },
            ])
        }
        var values: [String: Any] = ["users": rows, "roles": UserRole.allCases.map(\.rawValue), "minimum": Self.passwordBytes.lowerBound]
        if let flash { values["flash"] = flash }
        if let problem { values["problem"] = problem }
        return render(visit, "users", title: "Users", active: "users", values, status: status)
    }

    static let passwordBytes = 10...200

    /// Why a new password is refused, or nil when it is acceptable.
    static func passwordProblem(_ password: String, again: String) -> String? {
        guard passwordBytes.contains(password.utf8.count) else {
            return "A password is \(passwordBytes.lowerBound) to \(passwordBytes.upperBound) bytes."
        }
        guard constantTimeEqual(password, again) else { return "The two passwords differ." }
        return nil
    }

    func createUser(_ visit: Visit) async throws -> Response {
        let name = (visit.form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.utf8.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return try await usersPage(visit, flash: nil, problem: "A user name is 1 to 100 bytes without control characters.", status: .badRequest)
        }
        guard let role = visit.form["role"].flatMap(UserRole.init(rawValue:)) else {
            return try await usersPage(visit, flash: nil, problem: "Choose a role.", status: .badRequest)
        }
        if let problem = Self.passwordProblem(visit.form["password"] ?? "", again: visit.form["again"] ?? "") {
            return try await usersPage(visit, flash: nil, problem: problem, status: .badRequest)
        }
        let user: UserRecord
        do {
            user = try await store.addUser(name: name, role: role, passwordHash: Self.hashPassword(visit.form["password"] ?? ""), at: Date())
        } catch FleetStoreError.conflict {
            return try await usersPage(visit, flash: nil, problem: "A user with this name exists already.", status: .conflict)
        }
        try await audit(actor: visit.user.name, action: "user.add", target: user.name, detail: "\(role.rawValue), console password set")
        return try await usersPage(visit, flash: "User \(user.name) (\(role.rawValue)) added; they can sign in now.", status: .created)
    }

    /// The user a `/users/{id}/…` form is about, when it exists and is not the administrator themself.
    enum UserTarget {
        case found(UserRecord)
        case refused(Response)
    }

    func otherUser(_ visit: Visit) async throws -> UserTarget {
        guard let id = visit.context.parameters.get("id").flatMap({ Int64($0) }), let user = try await store.user(id: id) else {
            return .refused(errorPage(visit, .notFound, "No such user", "There is no user with this id."))
        }
        guard user.id != visit.user.id else {
            return .refused(try await usersPage(
                visit, flash: nil, problem: "You cannot change your own role, disable or delete yourself here; ask another administrator.",
                status: .conflict))
        }
        return .found(user)
    }

    func changeRole(_ visit: Visit) async throws -> Response {
        let user: UserRecord
        switch try await otherUser(visit) {
        case .refused(let response): return response
        case .found(let u): user = u
        }
        guard let role = visit.form["role"].flatMap(UserRole.init(rawValue:)) else {
            return try await usersPage(visit, flash: nil, problem: "Choose a role.", status: .badRequest)
        }
        guard try await store.setUserRole(id: user.id, role: role) else {
            return errorPage(visit, .notFound, "No such user", "There is no user with this id.")
        }
        try await audit(actor: visit.user.name, action: "user.role", target: user.name, detail: "\(user.role.rawValue) → \(role.rawValue)")
        return try await usersPage(visit, flash: "\(user.name) is now \(role.rawValue).")
    }

    func resetPassword(_ visit: Visit) async throws -> Response {
        guard let id = visit.context.parameters.get("id").flatMap({ Int64($0) }), let user = try await store.user(id: id) else {
            return errorPage(visit, .notFound, "No such user", "There is no user with this id.")
        }
        if let problem = Self.passwordProblem(visit.form["password"] ?? "", again: visit.form["again"] ?? "") {
            return try await usersPage(visit, flash: nil, problem: problem, status: .badRequest)
        }
        _ = try await store.setPasswordHash(userName: user.name, passwordHash: Self.hashPassword(visit.form["password"] ?? ""))
        // Sessions signed in with the old password end (the administrator's own current one too, when it is theirs).
        let ended = try await store.deleteSessions(userID: user.id)
        try await audit(actor: visit.user.name, action: "user.password", target: user.name, detail: "\(ended) sessions ended")
        if user.id == visit.user.id { return Self.redirect(ConsoleRouteTable.login) }
        return try await usersPage(visit, flash: "New password set for \(user.name); \(ended) of their sessions ended.")
    }

    func disableUser(_ visit: Visit) async throws -> Response {
        let user: UserRecord
        switch try await otherUser(visit) {
        case .refused(let response): return response
        case .found(let u): user = u
        }
        _ = try await store.disableUser(id: user.id, at: Date())
        try await audit(actor: visit.user.name, action: "user.disable", target: user.name, detail: "password cleared, tokens revoked, sessions ended")
        return try await usersPage(visit, flash: "\(user.name) is disabled: no sign-in, no API token. Setting a new password lets them sign in again.")
    }

    func deleteUser(_ visit: Visit) async throws -> Response {
        let user: UserRecord
        switch try await otherUser(visit) {
        case .refused(let response): return response
        case .found(let u): user = u
        }
        _ = try await store.deleteUser(id: user.id)
        try await audit(actor: visit.user.name, action: "user.delete", target: user.name, detail: user.role.rawValue)
        return try await usersPage(visit, flash: "\(user.name) deleted with their API tokens and sessions.")
    }

    // MARK: Own API tokens

    func tokensPage(_ visit: Visit, newToken: [String: Any]?, flash: String?, problem: String? = nil,
                    status: HTTPResponse.Status = .ok) async throws -> Response {
        let csrf = visit.session.csrfToken
        let tokens = try await store.apiTokens(userID: visit.user.id).reversed().map { (t: APITokenRecord) -> [String: Any] in
            var row: [String: Any] = ["id": t.id, "name": t.name, "created": Self.timestamp(t.createdAt), "csrf": csrf]
            if let revoked = t.revokedAt { row["revoked"] = Self.timestamp(revoked) }
            return row
        }
        var values: [String: Any] = ["tokens": tokens, "role": visit.user.role.rawValue]
        if let newToken { values["newToken"] = newToken }
        if let flash { values["flash"] = flash }
        if let problem { values["problem"] = problem }
        return render(visit, "tokens", title: "API tokens", active: "tokens", values, status: status)
    }

    func createToken(_ visit: Visit) async throws -> Response {
        let name = (visit.form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(name.utf8.count), !name.utf8.contains(0) else {
            return try await tokensPage(visit, newToken: nil, flash: nil, problem: "A token's name is 1 to 200 bytes.", status: .badRequest)
        }
        let (record, token) = try await FleetServer.createAPIToken(user: visit.user, name: name, store: store)
        try await audit(actor: visit.user.name, action: "token.create", target: "\(record.id) \(record.name)", detail: visit.user.role.rawValue)
        return try await tokensPage(visit, newToken: ["name": record.name, "token": token], flash: nil, status: .created)
    }

    func revokeToken(_ visit: Visit) async throws -> Response {
        // Only one's own tokens: another user's id answers as if it did not exist.
        guard let id = visit.context.parameters.get("id").flatMap({ Int64($0) }),
              try await store.apiTokens(userID: visit.user.id).contains(where: { $0.id == id && $0.revokedAt == nil }),
              try await store.revokeAPIToken(id: id, at: Date())
        else {
            return errorPage(visit, .notFound, "No such token", "You have no unrevoked API token with this id.")
        }
        try await audit(actor: visit.user.name, action: "token.revoke", target: String(id), detail: "")
        return try await tokensPage(visit, newToken: nil, flash: "API token \(id) revoked.")
    }
}
