import Synchronization

/// Mach-O facts of files the scan has already analysed, by absolute path, so the dylib checks of an
/// executable's folder can look at libraries in other folders of its bundle without reading them again.
/// Bounded: past ``capacity`` entries new facts are not kept (the check then reads the file itself).
final class MachOFactsCache: Sendable {
    static let capacity = 100_000
    private let storage = Mutex<[String: MachOFacts]>([:])

    func insert(_ facts: MachOFacts, for path: String) {
        storage.withLock { map in
            if map.count < Self.capacity || map[path] != nil { map[path] = facts }
        }
    }

    func facts(for path: String) -> MachOFacts? {
        storage.withLock { $0[path] }
    }
}
