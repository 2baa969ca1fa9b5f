// Verdict pass benchmark (docs/verdicts.md, "On the server"): the library work of one fleet-wide
// pass, as `vigil serve` does it, over a synthetic fleet held in memory.
//
//   swift build -c release --product vigil-verdict-bench
//   .build/release/vigil-verdict-bench [HOSTS] [DAYS]
//
// Every host has an agent address and one coverage row per day from one sensor; 1 % hold a 3CX
// file, a fifth of those contacted a C2. Prints the time of the address book, coverage, attribution
// and engine steps, and the process's peak memory.
import Foundation
import VigilCore
import VigilHunt
import VigilVerdicts

let arguments = CommandLine.arguments
let hosts = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
let days = arguments.count > 2 ? Int(arguments[2]) ?? 7 : 7
let day0 = 1_680_048_000.0
let asOf = day0 + Double(days) * 86_400 - 1
func address(_ i: Int) -> String { "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)" }

var agents: [AgentAddress] = []
var summary = ContactSummary(sensor: "zeek-1", maxRows: Int.max)
var files: [String: [FileFinding]] = [:]
var network: [NetworkEvidence] = []
for i in 0..<hosts {
    let name = "pc-\(i).corp"
    agents.append(AgentAddress(host: name, address: address(i), firstSeen: day0, lastSeen: asOf))
    for d in 0..<days {
        let start = day0 + Double(d) * 86_400
        summary.names.append(ContactRow(day: "d\(d)", client: address(i), count: 40, firstSeen: start + 300, lastSeen: start + 86_000, logs: [],
                                        evidenceFile: "/logs/conn.\(d).log", evidenceLine: i + 1))
    }
    if i % 100 == 0 {
        files[name] = [FileFinding(path: "C:\\3CX\\ffmpeg.dll", sha256: String(repeating: "7", count: 64), check: "ioc", kind: .hash,
                                   severity: .critical, firstSeen: day0 + 3600)]
    }
    if i % 500 == 0 {
        network.append(NetworkEvidence(kind: .indicatorContact, host: "", address: address(i), destination: "akamaicontainer.com",
                                       indicator: "akamaicontainer.com", channel: "dns-query", sensor: "zeek-1", firstSeen: day0 + 7200,
                                       lastSeen: day0 + 9000, count: 3, evidence: [LogReference(file: "/logs/dns.log", line: i + 1)]))
    }
}

let clock = ContinuousClock()
func seconds(_ d: Duration) -> String { String(format: "%.3f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) }
let t0 = clock.now
let book = AddressBook(agents: agents)
let t1 = clock.now
let coverage = Coverage(summaries: [summary], addresses: book, maxGap: 86_400)
let t2 = clock.now
let attributed = NetworkEvidenceBuilder(addresses: book).attribute(network)
let t3 = clock.now
var states: [VerdictState: Int] = [:]
let rules = VerdictRules(asOf: asOf)
for i in 0..<hosts {
    let name = "pc-\(i).corp"
    let v = VerdictEngine.verdict(for: HostEvidence(host: name, files: files[name] ?? [], network: attributed.byHost[name] ?? []), coverage: coverage, rules: rules)
    states[v.state, default: 0] += 1
}
let t4 = clock.now
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print("hosts \(hosts), coverage rows \(summary.names.count), network evidence \(network.count)")
print("address book \(seconds(t1 - t0)), coverage \(seconds(t2 - t1)), attribution \(seconds(t3 - t2)), engine \(seconds(t4 - t3)), total \(seconds(t4 - t0))")
print("states: " + VerdictState.allCases.compactMap { s in states[s].map { "\(s.rawValue) \($0)" } }.joined(separator: ", "))
print("peak memory \(usage.ru_maxrss / 1024) MiB")
