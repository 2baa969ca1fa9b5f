import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilFormats

/// One input: the ICO parser (directory, PNG-in-ICO, trailing-data encoding guess) and its
/// text rendering.
func fuzzICO(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let ico = ICOFile.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    _ = ico.trailing?.encoding
    _ = ico.textReport().utf8.count
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzICO($0, $1) })
