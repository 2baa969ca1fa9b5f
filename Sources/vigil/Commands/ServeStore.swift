import Foundation
import VigilFleetStore

/// Opens the fleet store `vigil serve` was pointed at.
func openFleetStore(databaseURL: String?, dataDirectory: URL) async throws -> any FleetStore {
    throw FleetStoreUnavailable(message: "this build has no fleet store back end yet")
}

struct FleetStoreUnavailable: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
