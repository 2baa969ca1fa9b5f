/// Finds other modules' file names written into a binary as data (`"d3dcompiler_47.dll"`), the way
/// the trojanized 3CX `ffmpeg.dll` named the DLL whose signature area it read.
enum ModuleNames {
    static let suffixes = [".dll", ".exe", ".dylib", ".so", ".sys", ".ocx"]
    static let maxResults = 300

    static func extract(_ bytes: [UInt8], excluding: [Range<Int>] = []) -> [String] {
        var found: Set<String> = []
        NetworkStrings.forEachRun(in: bytes, excluding: excluding) { run in
            guard found.count < maxResults, run.contains(UInt8(ascii: ".")) else { return }
            let text = String(decoding: run, as: UTF8.self).lowercased()
            guard suffixes.contains(where: { text.contains($0) }) else { return }
            for token in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || "._-+".contains($0)) }) {
                let name = token.drop { $0 == "." }
                if suffixes.contains(where: { name.hasSuffix($0) && name.count > $0.count }) { found.insert(String(name)) }
            }
        }
        return found.sorted()
    }
}
