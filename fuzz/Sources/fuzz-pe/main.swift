import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilFormats

/// One input: the whole PE pipeline `vigil inspect` runs (identify, parse, Authenticode digest and
/// signature parsing). Any trap, overflow or ASan report is a bug.
func fuzzPE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let result = Inspection.inspect(bytes, path: "fuzz")
    // Touch computed properties so they run too.
    _ = result.allIssues.count
    _ = result.authenticode?.summary
    _ = result.pe?.certificateTable?.entries.map(\.slackIsAnomalous)
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzPE($0, $1) })
