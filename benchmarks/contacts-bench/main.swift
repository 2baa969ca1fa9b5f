// Contact-index benchmark (benchmarks/contacts.sh): N contact rows ingested through
// FleetStore.applyNetworkReport, then a retro-hunt of 1,000 new indicators (500 domains, 500
// addresses and CIDRs) through contactNames / contactServers.
//
//   vigil-contacts-bench sqlite PATH | postgres URL  [--rows N] [--report-rows R] [--writers W] [--days D] [--clients C] [--hunt-only]
//
// --hunt-only skips the ingest and retro-hunts a store filled by an earlier run with the same --rows,
// --days and --clients (so the retro-hunt can be timed on a quiet machine after a long ingest).
//
// Shape: 80 % name rows, 20 % server rows (one in ten of them IPv6), over D days and C client
// addresses. Row k of a kind has day k % D; its name (or server) is keyed by k / D, so every name is
// asked for by one client on D days; names are `aX.nY.example-Z.com` with 64 names under each nY
// domain. Rows/s is wall clock including generating the reports in-process.
import Foundation
import VigilFleetPostgres
import VigilFleetProtocol
import VigilFleetSQLite
import VigilFleetStore
import VigilHunt

struct Options: Sendable {
    var backend = ""
    var target = ""
    var rows = 10_000_000
    var reportRows = 250_000
    var writers = 2
    var days = 30
    var clients = 5_000
    var huntOnly = false
}

/// Writes a line at once (unbuffered), so progress shows while the run goes on.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func usage() -> Never {
    FileHandle.standardError.write(Data(
        "usage: vigil-contacts-bench sqlite PATH | postgres URL [--rows N] [--report-rows R] [--writers W] [--days D] [--clients C] [--hunt-only]\n".utf8))
    exit(2)
}

var options = Options()
var args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else { usage() }
options.backend = args.removeFirst()
options.target = args.removeFirst()
while !args.isEmpty {
    let flag = args.removeFirst()
    if flag == "--hunt-only" {
        options.huntOnly = true
        continue
    }
    guard let text = args.first, let value = Int(text), value > 0 else { usage() }
    args.removeFirst()
    switch flag {
    case "--rows": options.rows = value
    case "--report-rows": options.reportRows = min(value, NetworkReportLimits.maxContactRows)
    case "--writers": options.writers = value
    case "--days": options.days = value
    case "--clients": options.clients = value
    default: usage()
    }
}

let firstDay = 20_541  // 2026-03-29
let dayStart = Double(firstDay) * 86_400

func client(_ c: Int) -> String { "10.\((c >> 16) & 0xff).\((c >> 8) & 0xff).\(c & 0xff)" }
func name(_ key: Int) -> String { "a\(key % 64).n\(key / 64).example-\(key % 7).com" }
func server(_ key: Int) -> String {
    key % 10 == 9
        ? "2001:db8::\(String(key >> 16, radix: 16)):\(String(key & 0xffff, radix: 16))"
        : "100.\((key >> 16) & 0xff).\((key >> 8) & 0xff).\(key & 0xff)"
}

/// The rows of kind `names` (true) or servers numbered `range`.
func rows(_ range: Range<Int>, names: Bool, _ options: Options) -> [ContactRow] {
    range.map { k in
        let day = k % options.days, key = k / options.days
        let t = dayStart + Double(day) * 86_400 + Double(k % 86_000)
        let file = names ? "/logs/\(ContactKeys.day(firstDay + day))/dns.log" : "/logs/\(ContactKeys.day(firstDay + day))/conn.log"
        return ContactRow(
            day: ContactKeys.day(firstDay + day), client: client(key % options.clients), name: names ? name(key) : nil,
            server: names ? nil : server(key), count: 1 + k % 5, firstSeen: t, lastSeen: t + Double(k % 300), logs: names ? ["dns"] : ["conn"],
            evidenceFile: file, evidenceLine: 1 + k / options.days)
    }
}

func open(_ options: Options) throws -> any FleetStore {
    switch options.backend {
    case "sqlite": return try SQLiteFleetStore(path: options.target)
    case "postgres": return try PostgresFleetStore(url: options.target, maximumConnections: max(2, options.writers + 1))
    default: usage()
    }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

let config = options
let store = try open(config)
try await store.migrate()
let nameRows = options.rows * 4 / 5, serverRows = options.rows - nameRows
// Reports: each holds a slice of names and the matching share of servers.
let reports = (config.rows + options.reportRows - 1) / options.reportRows
actor Progress {
    var done = 0
    func add(_ n: Int) -> Int { done += n; return done }
}
let clock = ContinuousClock()
if !config.huntOnly {
    say("ingest: \(options.rows) rows (\(nameRows) names, \(serverRows) servers) in \(reports) reports of up to \(options.reportRows) rows, \(options.writers) writer(s), \(options.days) days, \(options.clients) clients")
    let start = clock.now
    let progress = Progress()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for w in 0..<options.writers {
            group.addTask {
                var r = w
                while r < reports {
                    let nameSlice = (nameRows * r / reports)..<(nameRows * (r + 1) / reports)
                    let serverSlice = (serverRows * r / reports)..<(serverRows * (r + 1) / reports)
                    var summary = ContactSummary(sensor: "bench-sensor", maxRows: config.reportRows)
                    summary.names = rows(nameSlice, names: true, config)
                    summary.servers = rows(serverSlice, names: false, config)
                    let report = NetworkReport(sensor: "bench-sensor", reportID: "bench-\(r)", generatedAt: Date(), contacts: summary)
                    let outcome = try await store.applyNetworkReport(report, receivedAt: Date())
                    let done = await progress.add(outcome.contactRows)
                    if r % max(1, reports / 10) == 0 {
                        let s = seconds(clock.now - start)
                        say(String(format: "  %d rows after %.0f s (%.0f rows/s)", done, s, Double(done) / s))
                    }
                    r += config.writers
                }
            }
        }
        try await group.waitForAll()
    }
    let ingest = seconds(clock.now - start)
    let stored = try await store.contactCount()
    say(String(format: "ingest done: %d rows stored in %.1f s = %.0f rows/s", stored, ingest, Double(stored) / ingest))
    if let pg = store as? PostgresFleetStore { try await pg.refreshStatistics() }
    if let lite = store as? SQLiteFleetStore { try await lite.refreshStatistics() }
} else {
    say("retro-hunt only: \(try await store.contactCount()) contact rows already stored")
}

// 1,000 new indicators: 250 names present, 250 absent; 200 addresses present, 50 /28 networks
// around present addresses, 250 absent addresses and networks.
let nameKeys = nameRows / options.days, serverKeys = serverRows / options.days
var domains: [String] = []
var networks: [IPNetwork] = []
for i in 0..<250 { domains.append(name((i * 7_919) % max(1, nameKeys))) }
for i in 0..<250 { domains.append("c2-\(i).never-seen.example") }
for i in 0..<200 { networks.append(IPNetwork(server((i * 104_729) % max(1, serverKeys)))!) }
for i in 0..<50 {
    var key = (i * 15_485_863) % max(1, serverKeys)
    if key % 10 == 9 { key -= 1 }
    networks.append(IPNetwork(server(key) + "/28")!)
}
for i in 0..<125 { networks.append(IPNetwork("203.0.\(i).0/24")!) }
for i in 0..<125 { networks.append(IPNetwork("2001:db8:ffff:\(String(i, radix: 16))::/64")!) }

for round in ["cold", "warm"] {
    let t0 = clock.now
    let names = try await store.contactNames(matching: domains, limit: 1_000_000)
    let t1 = clock.now
    let servers = try await store.contactServers(in: networks, limit: 1_000_000)
    let t2 = clock.now
    say(String(format: "retro-hunt (%@): 500 domains → %d name rows in %.3f s; 500 addresses/CIDRs → %d server rows in %.3f s; total %.3f s",
                 round, names.count, seconds(t1 - t0), servers.count, seconds(t2 - t1), seconds(t2 - t0)))
}
try await store.close()
