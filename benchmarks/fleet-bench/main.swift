// Fleet storage benchmark (benchmarks/fleet.sh): simulates N hosts x M files reporting their
// inventories through the FleetStore API, then retro-hunts 1,000 new SHA-256 digests (half present).
//
//   vigil-fleet-bench sqlite PATH | postgres URL  [--hosts N] [--files M] [--batch B] [--writers W]
//
// Inventory shape (per host, fractions of M): 70 % "system" files common to every host (same path and
// content), 10 % "package" files whose content is one of 8 versions (hosts differ in patch level),
// 20 % files unique to the host. Digests are pseudo-random bytes (SplitMix64), sent as hex like an
// agent would; rows/s is wall clock including generating the batches in-process.
import Foundation
import VigilCore
import VigilFleetPostgres
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetStore

struct Options {
    var backend = ""
    var target = ""
    var hosts = 1_000
    var files = 10_000
    var batch = 5_000
    var writers = 2
}

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: vigil-fleet-bench sqlite PATH | postgres URL [--hosts N] [--files M] [--batch B] [--writers W]\n".utf8))
    exit(2)
}

var options = Options()
var args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else { usage() }
options.backend = args.removeFirst()
options.target = args.removeFirst()
while !args.isEmpty {
    let flag = args.removeFirst()
    guard let text = args.first, let value = Int(text), value > 0 else { usage() }
    args.removeFirst()
    switch flag {
    case "--hosts": options.hosts = value
    case "--files": options.files = value
    case "--batch": options.batch = value
    case "--writers": options.writers = value
    default: usage()
    }
}

/// SplitMix64: a fast, deterministic stream of 64-bit values.
func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// 32 pseudo-random bytes from a seed.
func digest(_ seed: UInt64) -> Data {
    var d = Data(capacity: 32)
    var s = seed
    for _ in 0..<4 {
        s = mix(s)
        withUnsafeBytes(of: s.littleEndian) { d.append(contentsOf: $0) }
    }
    return d
}

enum Kind { case common, package, unique }

func kind(_ i: Int, of m: Int) -> Kind {
    if i < m * 7 / 10 { return .common }
    if i < m * 8 / 10 { return .package }
    return .unique
}

func seed(host: Int, file i: Int, m: Int) -> UInt64 {
    switch kind(i, of: m) {
    case .common: return UInt64(i) << 20
    case .package: return (UInt64(i) << 20) | UInt64(1 + (host % 8))
    case .unique: return (UInt64(i) << 20) | (UInt64(host + 16) << 1) | 1 << 63
    }
}

func path(host: Int, file i: Int, m: Int) -> String {
    switch kind(i, of: m) {
    case .common: "/usr/lib/x86_64-linux-gnu/common/lib\(i).so"
    case .package: "/opt/vendor/app/\(i / 100)/module\(i).dll"
    case .unique: "/home/user\(host)/projects/build/obj\(i).o"
    }
}

func inventoryFile(host: Int, file i: Int, m: Int) -> InventoryFile {
    let s = seed(host: host, file: i, m: m)
    return InventoryFile(
        path: path(host: host, file: i, m: m), sha256: FleetHex.encode(digest(s)), size: Int64(1_000 + (i % 50_000)),
        modified: 1_700_000_000 + Int64(i % 86_400))
}

func facts(_ host: Int) -> AgentFacts {
    AgentFacts(hostname: "host-\(host)", hostIdentifier: "bench-machine-\(host)", os: "linux", osVersion: "6.1",
               agentVersion: "bench", addresses: ["10.\(host / 65_536 % 256).\(host / 256 % 256).\(host % 256)"])
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// CPU seconds (user + system) this process used so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func openStore(_ options: Options) throws -> any FleetStore {
    switch options.backend {
    case "sqlite": return try SQLiteFleetStore(path: options.target)
    case "postgres": return try PostgresFleetStore(url: options.target, maximumConnections: max(2, options.writers + 1))
    default: usage()
    }
}

let store = try openStore(options)
try await store.migrate()
let clock = ContinuousClock()
let start = Date(timeIntervalSince1970: 1_780_000_000)
let m = options.files
let writers = options.backend == "sqlite" ? 1 : options.writers

print("backend \(options.backend): \(options.hosts) hosts x \(m) files = \(options.hosts * m) rows, batches of \(options.batch), \(writers) writer(s)")

// Enrolment.
var hostIDs: [Int64] = []
let enrolTime = try await clock.measure {
    for h in 0..<options.hosts {
        hostIDs.append(try await store.enrollHost(agent: facts(h), keyHash: digest(UInt64(h) | 1 << 62), at: start).id)
    }
}
print(String(format: "enrolled %d hosts in %.2f s", options.hosts, seconds(enrolTime)))

// Ingest: each host's full inventory in batches; `writers` hosts at a time.
let ids = hostIDs
let cpuBefore = cpuSeconds()
let batchSize = options.batch
let hostCount = options.hosts
let ingestTime = try await clock.measure {
    try await withThrowingTaskGroup(of: Int.self) { group in
        var next = 0
        var done = 0
        func add(_ group: inout ThrowingTaskGroup<Int, any Error>, _ h: Int) {
            group.addTask {
                var rows = 0
                var first = 0
                var sequence = 1
                while first < m {
                    let last = min(m, first + batchSize)
                    let files = (first..<last).map { inventoryFile(host: h, file: $0, m: m) }
                    let batch = InventoryBatch(
                        batchID: "bench-\(h)-\(sequence)", agent: facts(h), sweepID: "sweep-\(h)", sequence: sequence,
                        isLastOfSweep: last == m, sweepStarted: 1_780_000_000, roots: ["/"], files: files, removed: [], findings: [])
                    let outcome = try await store.applyBatch(hostID: ids[h], batch: batch, serverFindings: [], receivedAt: start)
                    rows += outcome.filesApplied
                    first = last
                    sequence += 1
                }
                return rows
            }
        }
        while next < min(writers, hostCount) { add(&group, next); next += 1 }
        let report = max(1, hostCount / 10)
        while let rows = try await group.next() {
            precondition(rows == m, "a host's rows were not all applied")
            done += 1
            if done % report == 0 {
                FileHandle.standardError.write(Data("  \(done)/\(hostCount) hosts ingested\n".utf8))
            }
            if next < hostCount { add(&group, next); next += 1 }
        }
    }
}
let total = options.hosts * m
let stored = try await store.inventoryCount()
precondition(stored == total, "stored \(stored) rows, expected \(total)")
let ingestCPU = cpuSeconds() - cpuBefore
print(String(format: "ingest: %d rows in %.1f s = %.0f rows/s (wall clock); this process used %.1f CPU s (%.0f rows per CPU s)",
             total, seconds(ingestTime), Double(total) / seconds(ingestTime), ingestCPU, Double(total) / ingestCPU))

// Planner statistics and (PostgreSQL) the visibility map, as autovacuum refreshes them within a minute
// or two of a large ingest: the retro-hunt is timed in that steady state, not while autovacuum reads the
// freshly loaded table beside it.
let analyzeTime = try await clock.measure {
    if let s = store as? PostgresFleetStore { try await s.refreshStatistics(vacuum: true) }
    if let s = store as? SQLiteFleetStore { try await s.refreshStatistics() }
}
print(String(format: store is PostgresFleetStore ? "VACUUM (ANALYZE): %.1f s" : "ANALYZE: %.1f s", seconds(analyzeTime)))

// Retro-hunt: 1,000 digests; 450 of host-unique files (1 row each), 50 of package versions
// (about hosts/8 rows each), 500 absent.
var wanted: [Data] = []
for k in 0..<450 {
    let h = (k * 7_919) % options.hosts
    let i = m * 8 / 10 + (k * 104_729) % max(1, m - m * 8 / 10)
    wanted.append(digest(seed(host: h, file: i, m: m)))
}
for k in 0..<50 {
    let i = m * 7 / 10 + (k * 31) % max(1, m / 10)
    wanted.append(digest(seed(host: k, file: i, m: m)))
}
for k in 0..<500 { wanted.append(digest(0xDEAD_0000_0000 + UInt64(k))) }
var times: [Double] = []
var rowsFound = 0
for _ in 0..<7 {
    var hits: [InventoryHit] = []
    let t = try await clock.measure { hits = try await store.inventory(sha256: wanted) }
    times.append(seconds(t) * 1000)
    rowsFound = hits.count
}
let present = Set(try await store.inventory(sha256: wanted).map(\.file.sha256)).count
let first = times[0]
let warm = times.dropFirst().sorted()
print(String(format: "retro-hunt 1,000 SHA-256 (%d present, %d rows returned): first %.1f ms, warm median %.1f ms (min %.1f, max %.1f)",
             present, rowsFound, first, warm[warm.count / 2], warm.first!, warm.last!))

// One indicator on its own.
let single = wanted[0]
var singleTimes: [Double] = []
for _ in 0..<20 {
    let t = try await clock.measure { _ = try await store.inventory(sha256: [single]) }
    singleTimes.append(seconds(t) * 1000)
}
singleTimes.sort()
print(String(format: "single SHA-256 lookup: median %.2f ms", singleTimes[singleTimes.count / 2]))

// Name lookup (a package file present on every host).
let nameWanted = path(host: 0, file: m * 7 / 10, m: m).split(separator: "/").last.map(String.init)!
var nameHits = 0
let nameTime = try await clock.measure { nameHits = try await store.inventory(names: [nameWanted]).count }
print(String(format: "name lookup %@: %d rows in %.1f ms", nameWanted, nameHits, seconds(nameTime) * 1000))
try await store.close()
