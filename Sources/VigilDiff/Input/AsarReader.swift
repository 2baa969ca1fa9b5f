import Foundation
import VigilBinary

/// Reads Electron `.asar` archives: a Chromium pickle holding a JSON header, then the files
/// concatenated. Written by hand because the format is small (two length words and a JSON tree) and
/// no Swift package reads it.
///
/// Layout: `u32 4`, `u32 headerPickleSize`, then the header pickle `u32 payloadSize`,
/// `u32 jsonLength`, JSON; file data starts at `8 + headerPickleSize`, each file at its `offset`
/// (a decimal string) relative to that. Files marked `unpacked` live beside the archive in
/// `<name>.asar.unpacked/` and are not inside it.
struct AsarReader {
    struct Entry {
        enum Kind { case file(Range<Int>), symlink(String), unpacked }
        var name: String
        var kind: Kind
    }

    let bytes: [UInt8]
    let archiveName: String
    /// JSON nesting deeper than this is refused (folders inside folders).
    static let maxDepth = 64

    /// Whether `bytes` start like an asar archive (first word 4, a plausible header size, and `{`).
    static func looksLikeAsar(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 17, u32(bytes, 0) == 4 else { return false }
        let headerSize = Int(u32(bytes, 4))
        let jsonLength = Int(u32(bytes, 12))
        return headerSize >= 8 && 8 + headerSize <= bytes.count && jsonLength <= headerSize - 8 && bytes[16] == UInt8(ascii: "{")
    }

    /// Lists every member.
    func forEach(_ visit: (Entry) throws -> Void) throws {
        guard Self.looksLikeAsar(bytes) else {
            throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "not an asar archive (bad header pickle)")
        }
        let headerSize = Int(Self.u32(bytes, 4))
        let jsonLength = Int(Self.u32(bytes, 12))
        let dataStart = 8 + headerSize
        let json = Data(bytes[16..<16 + jsonLength])
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw ReleaseError.malformed(archive: archiveName, member: nil, reason: "the asar header is not a JSON object")
        }
        try walk(root, prefix: "", depth: 0, dataStart: dataStart, visit)
    }

    private func walk(_ node: [String: Any], prefix: String, depth: Int, dataStart: Int, _ visit: (Entry) throws -> Void) throws {
        guard depth <= Self.maxDepth else {
            throw ReleaseError.bomb(archive: archiveName, member: prefix, reason: "nests folders more than \(Self.maxDepth) deep")
        }
        guard let files = node["files"] as? [String: Any] else { return }
        for name in files.keys.sorted() {
            guard let child = files[name] as? [String: Any] else {
                throw ReleaseError.malformed(archive: archiveName, member: prefix + name, reason: "header entry is not an object")
            }
            let path = prefix + name
            if child["files"] != nil {
                try walk(child, prefix: path + "/", depth: depth + 1, dataStart: dataStart, visit)
            } else if let link = child["link"] as? String {
                try visit(Entry(name: path, kind: .symlink(link)))
            } else if child["unpacked"] as? Bool == true {
                try visit(Entry(name: path, kind: .unpacked))
            } else {
                guard let size = (child["size"] as? NSNumber)?.intValue, size >= 0,
                    let offsetText = child["offset"] as? String, let offset = Int(offsetText), offset >= 0,
                    let start = dataStart.adding(offset), let end = start.adding(size), end <= bytes.count
                else {
                    throw ReleaseError.malformed(archive: archiveName, member: path, reason: "file offset or size lies outside the archive")
                }
                try visit(Entry(name: path, kind: .file(start..<end)))
            }
        }
    }

    private static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }
}
