import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilDiff

/// One input: Vigil's ZIP reader (`ZipListing`, the reader `vigil diff` uses), every member
/// decompressed and its size and CRC-32 checked, under 64 MiB of expansion.
///
/// With `VIGIL_FUZZ_LIST=1` it prints each input's list as one JSON line, which
/// `fuzz/compare-archives.sh zip` compares with Python's `zipfile` over the corpus.
let printListing = getenv("VIGIL_FUZZ_LIST") != nil
let limits = ExpansionLimits(maxTotalBytes: 64 << 20, maxMemberBytes: 64 << 20)

func fuzzZip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
    do {
        let listing = try ZipListing.list(bytes, limits: limits)
        if printListing {
            let members = listing.members.map { "[\(quote($0.name)), \(quote($0.type == "symlink" ? "file" : $0.type)), \($0.size), \"\"]" }
            print("{\"fnv\": \"\(String(hash, radix: 16))\", \"members\": [\(members.joined(separator: ", "))]}")
        }
    } catch {
        if printListing { print("{\"fnv\": \"\(String(hash, radix: 16))\", \"error\": \(quote(String(describing: error)))}") }
    }
    return 0
}

func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where u.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzZip($0, $1) })
