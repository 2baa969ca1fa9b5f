import CFuzzDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VigilDiff

/// One input: Vigil's tar member list (`TarListing`, the reader `vigil diff` uses).
///
/// In-process it checks what must hold for any input: no trap, every member's data lies inside the
/// input, and every input either lists or is refused. With `VIGIL_FUZZ_LIST=1` it prints each
/// input's list as one JSON line instead, which `fuzz/compare-archives.sh` compares with Python's
/// `tarfile` over the whole corpus.
let printListing = getenv("VIGIL_FUZZ_LIST") != nil

func fuzzTar(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let result = Result { try TarListing.list(bytes) }
    if case .success(let listing) = result {
        var total = 0
        for m in listing.members { total += m.size }
        if total > size { fatalError("members claim \(total) bytes of a \(size)-byte input") }
    }
    if printListing { print(listingJSON(bytes, result)) }
    return 0
}

/// `{"fnv": "<FNV-1a 64 of the input>", "members": [[name, type, size, link]…]}` or `{"fnv": …, "error": …}`.
func listingJSON(_ bytes: [UInt8], _ result: Result<(members: [TarListing.Member], anomalies: [String]), any Error>) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
    let fnv = String(hash, radix: 16)
    switch result {
    case .failure(let error):
        return "{\"fnv\": \"\(fnv)\", \"error\": \(quote(String(describing: error)))}"
    case .success(let listing):
        let members = listing.members.map { m -> String in
            let name = m.name.hasSuffix("/") && m.name.count > 1 ? String(m.name.dropLast()) : m.name
            let size = m.type == "file" ? m.size : 0
            let link = m.type.hasSuffix("link") ? m.link : ""
            return "[\(quote(name)), \(quote(m.type)), \(size), \(quote(link))]"
        }
        return "{\"fnv\": \"\(fnv)\", \"members\": [\(members.joined(separator: ", "))]}"
    }
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
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzTar($0, $1) })
