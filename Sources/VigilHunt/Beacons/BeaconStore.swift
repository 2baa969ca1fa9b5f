/// Collects connections per beacon pair with bounded memory, then scores every pair.
///
/// Grouping follows RITA v5: a connection whose `uid` (Zeek) or `flow_id` (Suricata) belongs to an
/// HTTP `Host` or TLS SNI is counted under **(client, FQDN)**, and no longer under (client, address),
/// so a C2 behind rotating CDN addresses is one beacon per name. An HTTP `CONNECT` through a proxy
/// (and every Squid request) is counted under (client, real target), with the proxy kept aside. Only
/// internal → external pairs are kept; internal → internal only for proxied connections.
///
/// Partial logs: an HTTP, TLS or proxy row whose connection record never appears (no conn.log given)
/// is a beacon row on its own, with its own time — under its name, or under (client, address) when its
/// `Host` is an address or absent (TLS without SNI). Each pair remembers which log types its rows came
/// from, and the analysis window spans every accepted row of every log type.
///
/// Storage is columnar: 12 bytes per connection (pair id, whole-second time, client bytes) in three
/// arrays plus one dictionary entry per pair, so tens of millions of connections fit in a few hundred MB.
/// Per-pair lists are built only at scoring time, by a counting sort.
final class BeaconStore {
    /// Log types that contributed a pair's rows (a bit set).
    struct Logs: OptionSet, Hashable {
        let rawValue: UInt8
        static let connection = Logs(rawValue: 1)
        static let http = Logs(rawValue: 2)
        static let tls = Logs(rawValue: 4)
        static let proxy = Logs(rawValue: 8)

        /// Names for reports: `conn`, `http`, `tls`, `proxy`.
        var names: [String] {
            [(Logs.connection, "conn"), (.http, "http"), (.tls, "tls"), (.proxy, "proxy")].compactMap { contains($0.0) ? $0.1 : nil }
        }
    }

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
    struct DestinationKey: Hashable, FastHashable {
        var destination: IPAddress
        var fqdn: UInt32
        func fastHash(_ seed: UInt64) -> UInt64 { mix64(destination.low ^ seed) ^ mix64(destination.high &+ UInt64(fqdn) &+ seed) }
    }

    /// What an HTTP/TLS row says about its connection, waiting for the conn record with the same uid.
    private struct Pending {
        var source: IPAddress
        var fqdn: UInt32
        /// The destination when the row names an address (or nothing) instead of a name; `fqdn` is 0 then.
        var address: IPAddress?
        var logs: Logs
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
    private var pairLogs: [Logs] = []
    /// Earliest and latest accepted row of any log type (whole seconds): the span of the data.
    private var spanMin = UInt32.max
    private var spanMax = UInt32.min
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

    private func pairID(_ key: PairKey, _ location: SourceLocation, logs: Logs) -> UInt32 {
        let (id, inserted) = pairIndex.insert(key)
        if inserted {
            pairFirstLocation.append(location)
            pairLogs.append(logs)
        } else {
            pairLogs[Int(id)].formUnion(logs)
        }
        return id
    }

    private static func seconds(_ ts: Double) -> UInt32 {
        ts.isFinite ? UInt32(clamping: Int(ts.rounded(.down))) : 0
    }

    /// Widens the data span by one accepted row.
    private func observe(_ t: UInt32) {
        spanMin = min(spanMin, t)
        spanMax = max(spanMax, t)
    }

    private func addRow(_ pair: UInt32, _ ts: Double, _ bytes: Int) {
        let t = BeaconStore.seconds(ts)
        observe(t)
        rowPair.append(pair)
        rowTime.append(t)
        rowBytes.append(UInt32(clamping: bytes))
    }

    /// The address a `Host` value names, with any `:port` (or `[v6]:port`) removed; `nil` for a name.
    static func hostAddress(_ host: UnsafeRawBufferPointer) -> IPAddress? {
        var h = host
        guard h.count > 0 else { return nil }
        if h[0] == UInt8(ascii: "["), let close = h.firstIndex(of: UInt8(ascii: "]")) {
            h = h.slice(1, close)
        } else if let colon = h.lastIndex(of: UInt8(ascii: ":")), h.firstIndex(of: UInt8(ascii: ":")) == colon {
            h = h.slice(0, colon)
        }
        return IPAddress(h)
    }

    private static func note(_ ip: IPAddress?, in table: inout [UInt32: [IPAddress]], pair: UInt32) {
        guard let ip else { return }
        if let list = table[pair] {
            if list.count < 4, !list.contains(ip) { table[pair]!.append(ip) }
        } else {
            table[pair] = [ip]
        }
    }

    /// An HTTP request, TLS session or proxy request to `host` (a name or an address; when absent, the
    /// server address). With a uid it waits for its connection record; without one it is counted
    /// directly (its own time and `bytes`).
    func named(client: IPAddress?, server: IPAddress?, host: UnsafeRawBufferPointer?, uid: UnsafeRawBufferPointer?,
               proxied: Bool, ts: Double, bytes: Int, location: SourceLocation, overrideExisting: Bool, log: Logs) {
        guard let client, isInternal(client) else { return }
        if let server, isInternal(server), !proxied { return }  // internal → internal, not via a proxy
        var fqdn: UInt32 = 0
        var address: IPAddress?
        let hostGiven = (host?.count ?? 0) > 0
        if let host, hostGiven {
            if let ip = BeaconStore.hostAddress(host) {
                address = ip
            } else {
                guard let id = intern(host) else { return }
                fqdn = id
            }
        } else if !proxied, let server {
            address = server  // no Host header / no SNI: the server address is the destination
        } else {
            return
        }
        if let address, BeaconStore.isLocalOnly(address) || (isInternal(address) && !proxied) { return }
        if let uid, uid.count > 0 {
            let key = BeaconStore.uidHash(uid)
            let (slot, inserted) = pendingIndex.insert(UIDKey(hash: key))
            // The latest row of a uid wins (RITA), but a row without a Host never replaces one with it.
            if !inserted && (!overrideExisting || !hostGiven) { return }
            let t = BeaconStore.seconds(ts)
            observe(t)
            let row = Pending(
                source: client, fqdn: fqdn, address: address, logs: log, proxy: proxied ? server : nil, proxied: proxied, server: server, ts: t,
                bytes: UInt32(clamping: bytes), location: location)
            if inserted { pendingRows.append(row) } else { pendingRows[Int(slot)] = row }
            return
        }
        let id = pairID(PairKey(source: client, destination: address ?? IPAddress(high: 0, low: 0), fqdn: fqdn), location, logs: log)
        if proxied { pairProxied.insert(id) }
        if proxied { BeaconStore.note(server, in: &pairProxies, pair: id) } else if fqdn > 0 { BeaconStore.note(server, in: &pairServers, pair: id) }
        addRow(id, ts, bytes)
    }

    /// A connection record: folded into its named (or proxied) pair by uid, else counted under
    /// (client, server).
    func connection(_ r: ConnectionRecord) {
        var logs = Logs.connection
        if let uid = r.uid, uid.count > 0, pendingIndex.count > 0 {
            let key = BeaconStore.uidHash(uid)
            if let slot = pendingIndex.id(of: UIDKey(hash: key)) {
                let p = pendingRows[Int(slot)]
                pendingRows[Int(slot)].consumed = true
                if p.fqdn > 0 || p.proxied {
                    let id = pairID(PairKey(source: p.source, destination: p.address ?? IPAddress(high: 0, low: 0), fqdn: p.fqdn), p.location, logs: p.logs.union(.connection))
                    if p.proxied { pairProxied.insert(id) }
                    if p.proxy != nil { BeaconStore.note(p.proxy, in: &pairProxies, pair: id) } else { BeaconStore.note(r.server, in: &pairServers, pair: id) }
                    addRow(id, r.ts, r.bytesOut)
                    return
                }
                // The row named an address: the connection itself is the (client, server) row.
                logs.formUnion(p.logs)
            }
        }
        guard isInternal(r.client), !isInternal(r.server), !BeaconStore.isLocalOnly(r.server) else { return }
        let id = pairID(PairKey(source: r.client, destination: r.server, fqdn: 0), r.location, logs: logs)
        addRow(id, r.ts, r.bytesOut)
    }

    /// Counts HTTP/TLS rows whose connection never appeared (no conn log given) with their own time,
    /// under their name or, when they named an address, under (client, address).
    func flushPending() {
        for p in pendingRows where !p.consumed {
            let id = pairID(PairKey(source: p.source, destination: p.address ?? IPAddress(high: 0, low: 0), fqdn: p.fqdn), p.location, logs: p.logs)
            if p.proxied { pairProxied.insert(id) }
            if p.proxy != nil { BeaconStore.note(p.proxy, in: &pairProxies, pair: id) } else if p.fqdn > 0 { BeaconStore.note(p.server, in: &pairServers, pair: id) }
            rowPair.append(id)
            rowTime.append(p.ts)
            rowBytes.append(p.bytes)
        }
        pendingRows = []
        pendingIndex = FastIndex(capacity: 16)
    }

    /// Sets each result's destination and source first-seen times over all the data (not only the
    /// window): one pass over the rows, then one over the pairs looking up only the destinations and
    /// sources that were scored (a cheap miss for the rest).
    private func firstSeen(_ results: inout [Scored]) {
        guard !results.isEmpty else { return }
        var pairFirst = [UInt32](repeating: .max, count: pairs.count)
        for i in rowPair.indices { pairFirst[Int(rowPair[i])] = min(pairFirst[Int(rowPair[i])], rowTime[i]) }
        var wantedDestinations = FastIndex<DestinationKey>(capacity: results.count)
        var wantedSources = FastIndex<IPAddress>(capacity: 64)
        for r in results {
            _ = wantedDestinations.insert(DestinationKey(destination: r.pair.destination, fqdn: r.pair.fqdn))
            _ = wantedSources.insert(r.pair.source)
        }
        var destinationFirst = [UInt32](repeating: .max, count: wantedDestinations.count)
        var sourceFirst = [UInt32](repeating: .max, count: wantedSources.count)
        for (i, key) in pairs.enumerated() where pairFirst[i] != .max {
            if let d = wantedDestinations.id(of: DestinationKey(destination: key.destination, fqdn: key.fqdn)) {
                destinationFirst[Int(d)] = min(destinationFirst[Int(d)], pairFirst[i])
            }
            if let s = wantedSources.id(of: key.source) { sourceFirst[Int(s)] = min(sourceFirst[Int(s)], pairFirst[i]) }
        }
        for k in results.indices {
            let key = results[k].pair
            if let d = wantedDestinations.id(of: DestinationKey(destination: key.destination, fqdn: key.fqdn)) {
                results[k].destinationFirstSeen = min(results[k].destinationFirstSeen, destinationFirst[Int(d)])
            }
            if let s = wantedSources.id(of: key.source) { results[k].sourceFirstSeen = min(results[k].sourceFirstSeen, sourceFirst[Int(s)]) }
        }
    }

    /// The names HTTP/TLS rows showed on each server address (at most 8 per address, sorted), so an
    /// address pair can be told apart as a known service's server.
    func namesByServer() -> [IPAddress: [String]] {
        var out: [IPAddress: [String]] = [:]
        let keys = pairs
        for (id, servers) in pairServers {
            let key = keys[Int(id)]
            guard key.fqdn > 0 else { continue }
            let name = fqdnNames[Int(key.fqdn - 1)]
            for server in servers {
                var list = out[server, default: []]
                if list.count < 8, !list.contains(name) { list.append(name) }
                out[server] = list
            }
        }
        return out.mapValues { $0.sorted() }
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
        /// Internal hosts talking to the same destination, and internal hosts in the window.
        var destinationHosts: Int
        var internalHosts: Int
        /// The destination's first row in all the data read (any host, before the window too), and the
        /// source host's first row.
        var destinationFirstSeen: UInt32
        var sourceFirstSeen: UInt32
        /// The log types the pair's rows came from.
        var logs: Logs
    }

    /// What ``score()`` returns: the scored pairs and RITA's window.
    struct Scoring {
        var results: [Scored]
        var windowMin: Double
        var windowMax: Double
    }

    /// Scores every pair over RITA's window: the last 24 h of the data, from the top of the hour
    /// containing `max − 24 h`.
    func score() -> Scoring {
        flushPending()
        guard !rowTime.isEmpty, spanMin <= spanMax else { return Scoring(results: [], windowMin: 0, windowMax: 0) }
        // The span of every accepted row of every log type (HTTP/TLS rows folded into connections too).
        let maxT = spanMax, minT = spanMin
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
            let destination = DestinationKey(destination: key.destination, fqdn: key.fqdn)
            let others = destinations.id(of: destination).map { perDestination[Int($0)] } ?? 1
            results.append(Scored(
                pair: key, connections: n, uniqueTimestamps: unique, first: ts.first!, last: ts.last!, scores: scores, strobe: strobe, proxied: pairProxied.contains(UInt32(i)),
                proxies: pairProxies[UInt32(i)] ?? [], servers: pairServers[UInt32(i)] ?? [], location: pairFirstLocation[i],
                prevalence: sources.count == 0 ? 0 : Double(others) / Double(sources.count),
                destinationHosts: others, internalHosts: sources.count,
                destinationFirstSeen: ts.first!, sourceFirstSeen: ts.first!, logs: pairLogs[i]))
        }
        firstSeen(&results)
        return Scoring(results: results, windowMin: windowMin, windowMax: windowMax)
    }
}
