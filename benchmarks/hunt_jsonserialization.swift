// Reference for docs/hunt.md: parse every line of a JSON-lines file with Foundation's
// JSONSerialization and read two fields, to compare with vigil's byte-level JSON scanner.
// Build: swiftc -O benchmarks/hunt_jsonserialization.swift -o /tmp/jsonser; run: /tmp/jsonser FILE
import Foundation

let path = CommandLine.arguments[1]
guard let handle = FileHandle(forReadingAtPath: path) else { fatalError("cannot open \(path)") }
var buffer = Data()
var lines = 0, queries = 0
func handleLine(_ line: Data) {
    lines += 1
    if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
       object["query"] is String, object["id.orig_h"] is String {
        queries += 1
    }
}
while true {
    let chunk = handle.readData(ofLength: 4 << 20)
    if chunk.isEmpty { break }
    buffer.append(chunk)
    var start = buffer.startIndex
    while let nl = buffer[start...].firstIndex(of: 0x0a) {
        handleLine(buffer[start..<nl])
        start = nl + 1
    }
    buffer = Data(buffer[start...])
}
if !buffer.isEmpty { handleLine(buffer) }
print("lines \(lines), dns records \(queries)")
