/// Collects connections per beacon pair with bounded memory, then scores every pair.
///
/// Grouping follows RITA v5: a connection whose `uid` (Zeek) or `flow_id` (Suricata) belongs to an
/// HTTP `Host` or TLS SNI is counted under **(client, FQDN)**, and no longer under (client, address),
/// so a C2 behind rotating CDN addresses is one beacon per name. An HTTP `CONNECT` through a proxy
/// (and every Squid request) is counted under (client, real target), with the proxy kept aside. Only
/// internal → external pairs are kept; internal → internal only for proxied connections.
///
/// Storage is columnar: 12 bytes per connection (pair id, whole-second time, client bytes) in three
/// arrays plus one dictionary entry per pair, so tens of millions of connections fit in a few hundred MB.
/// Per-pair lists are built only at scoring time, by a counting sort.
final class BeaconStore {
    struct PairKey: Hashable, FastHashable {
        var source: IPAddress
        /// The destination address (zero for FQDN pairs).
        var destination: IPAddress
        /// Interned FQDN id + 1 (0 for address pairs).
        var fqdn: UInt32

        @inline(__always)
        func fastHash(_ seed: UInt64) -> UInt64 {
            mix64(source.low ^ seed) ^ mix64(source.high &+ destination.low &+ UInt64(fqdn) << 7) ^ mix64(destination.high ^ ~seed)
        }
    }

    /// A destination (address or FQDN) for prevalence counting.
    private struct DestinationKey: Hashable, FastHashable {
        var destination: IPAddress
        var fqdn: UInt32
        func fastHash(_ seed: UInt64) -> UInt64 { mix64(destination.low ^ seed) ^ mix64(destination.high &+ UInt64(fqdn) &+ seed) }
    }

    /// What an HTTP/TLS row says about its connection, waiting for the conn record with the same uid.
    private struct Pending {
        var source: IPAddress
        var fqdn: UInt32
        var proxy: IPAddress?
        var proxied: Bool
        var server: IPAddress?
        var ts: UInt32
        var bytes: UInt32
        var location: SourceLocation
        var consumed = false
    }

    let internalNetworks: [IPNetwork]
    private var pairIndex = FastIndex<PairKey>(capacity: 1 << 16)
    private var pairs: [PairKey] { pairIndex.keys }
    private var pairFirstLocation: [SourceLocation] = []
    /// Proxy addresses and server addresses seen per pair (display only, at most 4 each).
    private var pairProxies: [UInt32: [IPAddress]] = [:]
    private var pairServers: [UInt32: [IPAddress]] = [:]
    private var pairProxied = Set<UInt32>()
    private var rowPair: [UInt32] = []
    private var rowTime: [UInt32] = []
    private var rowBytes: [UInt32] = []
    private var fqdnIDs: [String: UInt32] = [:]
    private(set) var fqdnNames: [String] = []
    /// uid hash → index into `pendingRows`.
    private var pendingIndex = FastIndex<UIDKey>(capacity: 1 << 12)
    private var pendingRows: [Pending] = []

    private struct UIDKey: FastHashable {
        var hash: UInt64
        func fastHash(_ seed: UInt64) -> UInt64 { mix64(hash ^ seed) }
    }

    init(internalNetworks: [IPNetwork]) {
        self.internalNetworks = internalNetworks
    }

    /// Number of connection rows stored.
    var rowCount: Int { rowPair.count }

    func isInternal(_ ip: IPAddress) -> Bool {
        // A handful of mask-and-compare checks: cheaper than any cache lookup.
        for n in internalNetworks where n.contains(ip) { return true }
        return false
    }

    /// Destinations that never leave the local network: multicast (SSDP, mDNS…), broadcast,
    /// link-local, loopback and unspecified addresses. Their periodic traffic is not C2.
    static let localOnly: [IPNetwork] = [
        "224.0.0.0/4", "255.255.255.255/32", "169.254.0.0/16", "127.0.0.0/8", "0.0.0.0/32",
        "ff00::/8", "fe80::/10", "::1/128", "::/128",
    ].compactMap(IPNetwork.init)

    static func isLocalOnly(_ ip: IPAddress) -> Bool {
        for n in localOnly where n.contains(ip) { return true }
        return false
    }

    static func uidHash(_ uid: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in uid { h = (h ^ UInt64(c)) &* 0x100_0000_01b3 }
        return h
    }

    private func intern(_ name: UnsafeRawBufferPointer) -> UInt32? {
        var n = name
        if n.count > 0, n[n.count - 1] == UInt8(ascii: ".") { n = n.slice(0, n.count - 1) }
        guard n.count > 0, n.count <= 253 else { return nil }
        var s = n.string.lowercased()
        if let colon = s.lastIndex(of: ":"), !s.contains("]"), s.firstIndex(of: ":") == colon { s = String(s[..<colon]) }
        if let id = fqdnIDs[s] { return id + 1 }
        let id = UInt32(fqdnNames.count)
        fqdnIDs[s] = id
        fqdnNames.append(s)
        return id + 1
    }

    private func pairID(_ key: PairKey, _ location: SourceLocation) -> UInt32 {
        let (id, inserted) = pairIndex.insert(key)
        if inserted { pairFirstLocation.append(location) }
        return id
    }

    private func addRow(_ pair: UInt32, _ ts: Double, _ bytes: Int) {
        rowPair.append(pair)
        rowTime.append(UInt32(clamping: Int(ts.rounded(.down))))
        rowBytes.append(UInt32(clamping: bytes))
    }

    private static func note(_ ip: IPAddress?, in table: inout [UInt32: [IPAddress]], pair: UInt32) {
        guard let ip else { return }
        if let list = table[pair] {
            if list.count < 4, !list.contains(ip) { table[pair]!.append(ip) }
        } else {
            table[pair] = [ip]
        }
    }

    /// An HTTP request or TLS session naming `host`. With a uid it waits for its connection record;
    /// without one it is counted directly (its own time and `bytes`).
    func named(client: IPAddress?, server: IPAddress?, host: UnsafeRawBufferPointer?, uid: UnsafeRawBufferPointer?,
               proxied: Bool, ts: Double, bytes: Int, location: SourceLocation, overrideExisting: Bool) {
        guard let client, let host, host.count > 0, isInternal(client) else { return }
        if IPAddress(host) != nil { return }  // a Host header that is an address: left to the IP pair
        if let server, isInternal(server), !proxied { return }  // internal → internal, not via a proxy
        guard let fqdn = intern(host) else { return }
        if let uid, uid.count > 0 {
            let key = BeaconStore.uidHash(uid)
            let (slot, inserted) = pendingIndex.insert(UIDKey(hash: key))
            if !inserted && !overrideExisting { return }
            let row = Pending(
                source: client, fqdn: fqdn, proxy: proxied ? server : nil, proxied: proxied, server: server, ts: UInt32(clamping: Int(ts.rounded(.down))),
                bytes: UInt32(clamping: bytes), location: location)
            if inserted { pendingRows.append(row) } else { pendingRows[Int(slot)] = row }
            return
        }
        let id = pairID(PairKey(source: client, destination: IPAddress(high: 0, low: 0), fqdn: fqdn), location)
        if proxied { pairProxied.insert(id) }
        if proxied { BeaconStore.note(server, in: &pairProxies, pair: id) } else { BeaconStore.note(server, in: &pairServers, pair: id) }
        addRow(id, ts, bytes)
    }

    /// A connection record: folded into its named pair by uid, else counted under (client, server).
    func connection(_ r: ConnectionRecord) {
        if let uid = r.uid, uid.count > 0, pendingIndex.count > 0 {
            let key = BeaconStore.uidHash(uid)
            if let slot = pendingIndex.id(of: UIDKey(hash: key)) {
                let p = pendingRows[Int(slot)]
                pendingRows[Int(slot)].consumed = true
                let id = pairID(PairKey(source: p.source, destination: IPAddress(high: 0, low: 0), fqdn: p.fqdn), p.location)
                if p.proxied { pairProxied.insert(id) }
                if p.proxy != nil { BeaconStore.note(p.proxy, in: &pairProxies, pair: id) } else { BeaconStore.note(r.server, in: &pairServers, pair: id) }
                addRow(id, r.ts, r.bytesOut)
                return
            }
        }
        guard isInternal(r.client), !isInternal(r.server), !BeaconStore.isLocalOnly(r.server) else { return }
        let id = pairID(PairKey(source: r.client, destination: r.server, fqdn: 0), r.location)
        addRow(id, r.ts, r.bytesOut)
    }

    /// Counts HTTP/TLS rows whose connection never appeared (no conn log given) with their own time.
    func flushPending() {
        for p in pendingRows where !p.consumed {
            let id = pairID(PairKey(source: p.source, destination: IPAddress(high: 0, low: 0), fqdn: p.fqdn), p.location)
            if p.proxied { pairProxied.insert(id) }
            if p.proxy != nil { BeaconStore.note(p.proxy, in: &pairProxies, pair: id) } else { BeaconStore.note(p.server, in: &pairServers, pair: id) }
            rowPair.append(id)
            rowTime.append(p.ts)
            rowBytes.append(p.bytes)
        }
        pendingRows = []
        pendingIndex = FastIndex(capacity: 16)
    }

    /// A scored (or strobe) pair.
    struct Scored {
        var pair: PairKey
        var connections: Int
        var uniqueTimestamps: Int
        var first: UInt32
        var last: UInt32
        var scores: BeaconScores?
        var strobe: Bool
        var proxied: Bool
        var proxies: [IPAddress]
        var servers: [IPAddress]
        var location: SourceLocation
        var prevalence: Double
    }

    /// Scores every pair over RITA's window: the last 24 h of the data, from the top of the hour
    /// containing `max − 24 h`.
    func score() -> (results: [Scored], windowMin: Double, windowMax: Double) {
        flushPending()
        guard let maxT = rowTime.max(), let minT = rowTime.min() else { return ([], 0, 0) }
        let windowMin = max(Double(minT), Double(maxT) - 86_400)
        let windowMax = Double(maxT)
        let cutoff = UInt32((windowMin / 3600).rounded(.down) * 3600)
        // Counting sort of rows into per-pair slices.
        var counts = [Int](repeating: 0, count: pairs.count + 1)
        for i in rowPair.indices where rowTime[i] >= cutoff { counts[Int(rowPair[i]) + 1] += 1 }
        for i in 1..<counts.count { counts[i] += counts[i - 1] }
        var times = [UInt32](repeating: 0, count: counts.last ?? 0)
        var sizes = [UInt32](repeating: 0, count: counts.last ?? 0)
        var fill = counts
        for i in rowPair.indices where rowTime[i] >= cutoff {
            let p = Int(rowPair[i])
            times[fill[p]] = rowTime[i]
            sizes[fill[p]] = rowBytes[i]
            fill[p] += 1
        }
        // Prevalence: share of internal hosts talking to each destination.
        var sources = FastIndex<IPAddress>()
        var destinations = FastIndex<DestinationKey>()
        var perDestination: [Int] = []
        let pairs = self.pairs
        for (i, key) in pairs.enumerated() where counts[i + 1] > counts[i] {
            _ = sources.insert(key.source)
            let (d, inserted) = destinations.insert(DestinationKey(destination: key.destination, fqdn: key.fqdn))
            if inserted { perDestination.append(0) }
            perDestination[Int(d)] += 1
        }
        var results: [Scored] = []
        for (i, key) in pairs.enumerated() {
            let n = counts[i + 1] - counts[i]
            guard n >= BeaconMath.minimumUniqueTimestamps else { continue }
            var ts = Array(times[counts[i]..<counts[i + 1]])
            ts.sort()
            var unique = 1
            for j in 1..<ts.count where ts[j] != ts[j - 1] { unique += 1 }
            guard unique >= BeaconMath.minimumUniqueTimestamps else { continue }
            let strobe = n >= BeaconMath.strobeLimit
            var scores: BeaconScores?
            if !strobe {
                scores = BeaconMath.score(
                    timestamps: ts.map(Double.init), sizes: sizes[counts[i]..<counts[i + 1]].map(Double.init),
                    windowMin: windowMin, windowMax: windowMax)
                if scores == nil { continue }
            }
            let others = destinations.id(of: DestinationKey(destination: key.destination, fqdn: key.fqdn)).map { perDestination[Int($0)] } ?? 1
            results.append(Scored(
                pair: key, connections: n, uniqueTimestamps: unique, first: ts.first!, last: ts.last!, scores: scores, strobe: strobe, proxied: pairProxied.contains(UInt32(i)),
                proxies: pairProxies[UInt32(i)] ?? [], servers: pairServers[UInt32(i)] ?? [], location: pairFirstLocation[i],
                prevalence: sources.count == 0 ? 0 : Double(others) / Double(sources.count)))
        }
        return (results, windowMin, windowMax)
    }
}
