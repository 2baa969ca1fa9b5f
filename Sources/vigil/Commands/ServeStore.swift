import Foundation
import VigilFleetPostgres
import VigilFleetSQLite
import VigilFleetStore

/// Opens the fleet store `vigil serve` was pointed at: PostgreSQL for a `postgres://` URL, otherwise the
/// SQLite file `fleet.sqlite` in the data directory (created with mode 0700, as it holds credentials' hashes
/// and every host's inventory).
func openFleetStore(databaseURL: String?, dataDirectory: URL) async throws -> any FleetStore {
    if let databaseURL {
        var url = databaseURL
        // A password in $PGPASSWORD keeps it out of the process list.
        if var parts = URLComponents(string: databaseURL), parts.password == nil,
            let password = ProcessInfo.processInfo.environment["PGPASSWORD"], !password.isEmpty
        {
            parts.password = password
            url = parts.string ?? databaseURL
        }
        return try PostgresFleetStore(url: url)
    }
    try FileManager.default.createDirectory(
        at: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    return try SQLiteFleetStore(path: dataDirectory.appendingPathComponent("fleet.sqlite").path)
}
