import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilMSI

/// One input: the OLE compound-file reader of `VigilMSI` (header, DIFAT, FAT, mini FAT, directory
/// tree, mini stream), then every stream read under a 1 MiB cap.
///
/// What must hold for any input: no trap or hang, every stream that reads has exactly its declared
/// size, and no stream reads more bytes than a file of the input's size could hold.
func fuzzCFB(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let cfb = try? CompoundFile(bytes: bytes) else { return 0 }
    var seen = Set<Int>()
    for entry in cfb.entries {
        if !seen.insert(entry.id).inserted { fatalError("entry \(entry.id) listed twice") }
        guard entry.kind == .stream, let content = try? cfb.read(entry, maxBytes: 1 << 20) else { continue }
        if UInt64(content.count) != entry.size { fatalError("stream \(entry.id) read \(content.count) of \(entry.size) bytes") }
        if content.count > size { fatalError("stream \(entry.id) larger than the input") }
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzCFB($0, $1) })
