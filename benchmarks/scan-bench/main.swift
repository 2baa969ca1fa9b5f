// The sweep alone, as `vigil scan` runs it by default (built-in indicators and YARA rules, no feed
// store, containers opened), for profiling without building the whole CLI
// (benchmarks/containers.sh). Prints one line per run (CPU times of the whole process so far):
//   files <TAB> members <TAB> containers <TAB> findings <TAB> diagnostics <TAB> wall s <TAB> user s <TAB> sys s
import Foundation
import VigilFeeds
import VigilScan

#if canImport(Glibc)
    import Glibc
#endif

var arguments = Array(CommandLine.arguments.dropFirst())
var runs = 1
if arguments.first == "-n", arguments.count > 1, let n = Int(arguments[1]) {
    runs = max(1, n)
    arguments.removeFirst(2)
}
guard !arguments.isEmpty else {
    FileHandle.standardError.write(Data("usage: vigil-scan-bench [-n RUNS] PATH...\n".utf8))
    exit(2)
}
let configuration = try ScanSetup.prepare(rulePaths: [], indicators: IndicatorSources(builtIn: true), options: ScanOptions())
let engine = ScanEngine(configuration: configuration)

func cpuSeconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return (s(usage.ru_utime), s(usage.ru_stime))
}

for _ in 0..<runs {
    let before = cpuSeconds()
    let start = ContinuousClock.now
    let result = engine.scan(arguments)
    let d = start.duration(to: .now)
    let after = cpuSeconds()
    let wall = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    let s = result.statistics
    // VIGIL_BENCH_LIST=1: every finding and diagnostic on standard error, to compare two scans.
    if ProcessInfo.processInfo.environment["VIGIL_BENCH_LIST"] == "1" {
        var lines = result.findings.map { "finding\t\($0.check)\t\($0.path)\t\($0.severity)\t\($0.title)" }
        lines += result.diagnostics.map { "diagnostic\t\($0.kind)\t\($0.path)\t\($0.message)" }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
    print([
        "\(s.filesScanned)", "\(s.membersScanned)", "\(s.containersOpened)", "\(s.findings)", "\(s.diagnostics)",
        String(format: "%.3f", wall), String(format: "%.3f", after.user - before.user), String(format: "%.3f", after.system - before.system),
    ].joined(separator: "\t"))
}
