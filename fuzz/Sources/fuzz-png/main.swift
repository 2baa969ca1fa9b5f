import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilFormats

/// One input: the PNG chunk walker (CRC-32, IHDR, IEND, trailing data) and its text rendering.
func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let png = PNGImage.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    _ = png.chunks.map(\.crcValid)
    _ = png.textReport().utf8.count
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzPNG($0, $1) })
