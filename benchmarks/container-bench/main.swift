// Extraction speed of the container walker alone (benchmarks/containers.sh): walks each container
// given, extracting every member into the private temporary folder and deleting it again, as
// `vigil scan` does before it scans a member. With `--memory` first, members up to 16 MiB are
// handed over in memory instead (as `vigil scan` keeps them): the decoding alone. Prints one line
// per container:
//   PATH <TAB> members <TAB> bytes <TAB> seconds
import Foundation
import VigilContainers

var paths = Array(CommandLine.arguments.dropFirst())
let inMemory = paths.first == "--memory"
if inMemory { paths.removeFirst() }
guard !paths.isEmpty else {
    FileHandle.standardError.write(Data("usage: vigil-container-bench [--memory] CONTAINER...\n".utf8))
    exit(2)
}
let workspace = try PrivateWorkspace.create()
defer { workspace.remove() }
var limits = ContainerLimits.standard
limits.maxExpansionRatio = 1_000_000
var walker = ContainerWalker(limits: limits, workspace: workspace)
if inMemory { walker.memberBytesInMemory = 16 << 20 }
for path in paths {
    var problems = 0
    let start = ContinuousClock.now
    let summary = walker.walk(
        path: path, chain: ContainerPath(outer: path), visit: { _ in false },
        report: { event in
            if case .diagnostic(let d) = event {
                problems += 1
                FileHandle.standardError.write(Data("\(d)\n".utf8))
            }
        })
    let d = start.duration(to: .now)
    let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    print("\(path)\t\(summary.members)\t\(summary.bytes)\t\(String(format: "%.3f", seconds))\t\(summary.formatName)\t\(problems)")
}
