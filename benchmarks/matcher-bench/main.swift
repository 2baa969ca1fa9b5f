// Matcher benchmark: builds an IndicatorSet of N indicators (default 1,000,000, each with one
// provenance record) and measures lookup rates for hashes, domains (with subdomain walking), URLs
// and IPv4 addresses against CIDR ranges. Run by benchmarks/matchers.sh (release build, under
// /usr/bin/time -v for peak RSS). Writes the hash indicators and hash queries to files so the script
// can time the peers (Python set, grep -F -f) on the same data.
//
//   vigil-matcher-bench [N] [OUT_DIR]
import Foundation
import VigilIndicators

/// A deterministic generator (SplitMix64), so every run and every peer sees the same data.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func hex(_ count: Int) -> String {
        var s = ""
        s.reserveCapacity(count)
        while s.utf8.count < count { s += String(next(), radix: 16).leftPad(16) }
        return String(s.prefix(count))
    }
}

extension String {
    func leftPad(_ n: Int) -> String { String(repeating: "0", count: max(0, n - utf8.count)) + self }
}

/// CPU seconds of this process (the machine is shared: wall time would measure the neighbours).
func cpuNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func seconds(_ body: () -> Void) -> Double {
    let start = cpuNow()
    body()
    return cpuNow() - start
}

/// Resident memory now, from /proc/self/status (Linux), in MiB.
func residentMiB() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return "n/a" }
    let kb = Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") ?? 0
    return String(format: "%.0f MiB", kb / 1024)
}

let args = CommandLine.arguments
let total = args.count > 1 ? Int(args[1]) ?? 1_000_000 : 1_000_000
let outDir = args.count > 2 ? URL(fileURLWithPath: args[2]) : nil

// The mix: 60% hashes (SHA-256 / MD5 / SHA-1), 25% domains, 5% URLs, 8% IPv4, 2% CIDR.
let nSHA256 = total * 40 / 100, nMD5 = total * 12 / 100, nSHA1 = total * 8 / 100
let nDomain = total * 25 / 100, nURL = total * 5 / 100, nIPv4 = total * 8 / 100
let nCIDR = total - nSHA256 - nMD5 - nSHA1 - nDomain - nURL - nIPv4

let rssStart = residentMiB()
var rng = SplitMix64(state: 42)
let feed = "bench", file = "/feeds/bench.txt"
var set = IndicatorSet()
set.reserveCapacity(total)
var generated = 0
var buildTime = 0.0
/// A sample of inserted values for the hit queries (bounded, so the resident size after building is
/// essentially the set's own); every hash value is streamed to hashes.txt for the peers.
var hashValues: [String] = []
let hashFile: FileHandle? = outDir.flatMap { dir in
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: dir.appendingPathComponent("hashes.txt").path, contents: nil)
    return try? FileHandle(forWritingTo: dir.appendingPathComponent("hashes.txt"))
}
var hashBuffer = ""
/// Inserts straight into the set (timed).
@MainActor func add(_ kind: IndicatorKind, _ value: String) {
    generated += 1
    if kind.isHash {
        if generated % 3 == 0, hashValues.count < 200_000 { hashValues.append(value) }
        hashBuffer += value + "\n"
        if hashBuffer.utf8.count > 1 << 20 { hashFile?.write(Data(hashBuffer.utf8)); hashBuffer = "" }
    }
    let indicator = Indicator(kind: kind, value: value, provenance: [Provenance(feed: feed, file: file, line: generated)])
    let start = cpuNow()
    set.insert(indicator)
    buildTime += cpuNow() - start
}
for _ in 0..<nSHA256 { add(.sha256, rng.hex(64)) }
for _ in 0..<nMD5 { add(.md5, rng.hex(32)) }
for _ in 0..<nSHA1 { add(.sha1, rng.hex(40)) }
hashFile?.write(Data(hashBuffer.utf8))
try? hashFile?.close()
var domains: [String] = []
for i in 0..<nDomain {
    let d = "\(rng.hex(10)).\(["com", "net", "org", "io"][Int(rng.next() % 4)])"
    if i % 3 == 0 { domains.append(d) }
    add(.domain, d)
}
var urls: [String] = []
for i in 0..<nURL {
    let url = "http://\(rng.hex(8)).example/\(rng.hex(6))/"
    if i % 3 == 0 { urls.append(url) }
    add(.url, url)
}
for _ in 0..<nIPv4 { add(.ipv4, Normalizer.formatIPv4(UInt32(truncatingIfNeeded: rng.next()))) }
for _ in 0..<nCIDR {
    let bits = [8, 12, 16, 20, 24, 28][Int(rng.next() % 6)]
    add(.cidr, Normalizer.normalizeCIDR(Normalizer.formatIPv4(UInt32(truncatingIfNeeded: rng.next())) + "/\(bits)")!)
}


let rssAfterBuild = residentMiB()  // the set plus ~40 MB of sampled values kept for the queries
// Queries: half hits, half misses; 200,000 per kind, each run 5 times (1,000,000 lookups).
let queryCount = 200_000
let passes = 5
var hashQueries: [String] = []
hashQueries.reserveCapacity(queryCount)
for i in 0..<queryCount {
    hashQueries.append(i % 2 == 0 ? hashValues[Int(rng.next() % UInt64(hashValues.count))] : rng.hex([64, 32, 40][i % 3]))
}
var domainQueries: [String] = []
for i in 0..<queryCount {
    domainQueries.append(i % 2 == 0 ? "www.cdn.\(domains[Int(rng.next() % UInt64(domains.count))])" : "www.\(rng.hex(10)).com")
}
var urlQueries: [String] = []
for i in 0..<queryCount {
    // Hits: a file under an indicator's path; misses: a sibling path on the same host.
    let url = urls[Int(rng.next() % UInt64(urls.count))]
    urlQueries.append(i % 2 == 0 ? url + "file.bin" : url.dropLast(7) + "\(rng.hex(6))/file.bin")
}
var ipQueries: [String] = []
for _ in 0..<queryCount { ipQueries.append(Normalizer.formatIPv4(UInt32(truncatingIfNeeded: rng.next()))) }

func measure<Query>(_ name: String, _ queries: [Query], _ lookup: (Query) -> Bool) {
    var hits = 0
    let t = seconds { for _ in 0..<passes { for q in queries where lookup(q) { hits += 1 } } }
    let n = queries.count * passes
    print(name.padding(toLength: 30, withPad: " ", startingAt: 0)
          + String(format: "%9d lookups  %6.3f CPU s  %12.0f lookups/s  (%d hits)", n, t, Double(n) / t, hits))
}

print("indicators: \(set.count) (sha256 \(nSHA256), md5 \(nMD5), sha1 \(nSHA1), domain \(nDomain), url \(nURL), ipv4 \(nIPv4), cidr \(nCIDR))")
print(String(format: "build: %.3f CPU s (%.0f inserts/s); resident at start %@, after build %@ (the set + ~40 MB of sampled query values)",
             buildTime, Double(set.count) / buildTime, rssStart, rssAfterBuild))
let matcher = set  // an immutable copy: no exclusivity checks on a global var in the loops
measure("hash (matchHash)", hashQueries) { matcher.matchHash($0) != nil }
measure("domain+parents (matchDomain)", domainQueries) { matcher.matchDomain($0) != nil }
measure("url prefix (matchURL)", urlQueries) { matcher.matchURL($0) != nil }
measure("ipv4+cidr (matchIP)", ipQueries) { matcher.matchIP($0) != nil }
// What `vigil hunt` calls per log record: the address already parsed from the log bytes.
let ipNumeric = ipQueries.compactMap(Normalizer.parseIPv4)
measure("ipv4+cidr numeric (matchIPv4)", ipNumeric) { matcher.matchIPv4($0) != nil }
// IPv6: 20,000 networks of random lengths /16…/128 in their own set; half the queries inside one.
var v6Set = IndicatorSet()
var v6Networks: [IPv6Address] = []
for _ in 0..<20_000 {
    let bits = 16 + Int(rng.next() % 113)
    let a = IPv6Address(high: 0x2001_0000_0000_0000 | (rng.next() >> 16), low: rng.next()).masked(to: bits)
    var groups: [String] = []
    for i in 0..<4 { groups.append(String((a.high >> UInt64(48 - 16 * i)) & 0xffff, radix: 16)) }
    for i in 0..<4 { groups.append(String((a.low >> UInt64(48 - 16 * i)) & 0xffff, radix: 16)) }
    if let v = Normalizer.normalizeCIDR(groups.joined(separator: ":") + "/\(bits)") {
        v6Set.insert(Indicator(kind: .cidr, value: v))
        v6Networks.append(a)
    }
}
var v6Queries: [IPv6Address] = []
for i in 0..<queryCount {
    v6Queries.append(i % 2 == 0 ? v6Networks[Int(rng.next() % UInt64(v6Networks.count))] : IPv6Address(high: rng.next(), low: rng.next()))
}
let v6Matcher = v6Set
print("ipv6 networks: \(v6Set.count)")
measure("ipv6 cidr numeric (matchIPv6)", v6Queries) { v6Matcher.matchIPv6($0) != nil }

if let outDir {
    try (hashQueries.joined(separator: "\n") + "\n").write(to: outDir.appendingPathComponent("hash-queries.txt"), atomically: true, encoding: .utf8)
}
