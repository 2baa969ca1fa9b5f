import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilFormats

/// One input: the Mach-O parser (fat and thin headers, load commands, segments, code
/// signature, page-hash verification, CMS signer) and its text rendering. Any trap, overflow or ASan
/// report is a bug.
func fuzzMachO(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let file = MachOFile.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    _ = file.allProblems.count
    _ = file.slices.map { ($0.signatureClass, $0.codeSignature?.pageHashesValid) }
    _ = file.textReport().utf8.count
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzMachO($0, $1) })
