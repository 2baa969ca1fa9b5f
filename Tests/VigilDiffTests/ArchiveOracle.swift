import Foundation
import Testing
import _VigilTestSupport

/// Builds raw tar blocks by hand, for archives no tar writer would produce.
enum RawTar {
    static func header(_ name: String, type: Character, size: Int, link: String = "") -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int, _ max: Int) { for (i, c) in s.utf8.prefix(max).enumerated() { b[at + i] = c } }
        put(name, 0, 100)
        put("0000644", 100, 8)
        put("0000000", 108, 8)
        put("0000000", 116, 8)
        put(String(size, radix: 8).leftPadded(11), 124, 12)
        put("00000000000", 136, 12)
        put("        ", 148, 8)
        b[156] = type.asciiValue!
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        let sum = b.reduce(0) { $0 + Int($1) }
        put(String(sum, radix: 8).leftPadded(6), 148, 6)
        b[154] = 0
        return b
    }

    static func padded(_ data: [UInt8]) -> [UInt8] { data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512) }

    /// A pax body: `"<len> key=value\n"` records.
    static func pax(_ records: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (k, v) in records {
            let rec = " \(k)=\(v)\n"
            var n = rec.utf8.count + 1
            while String(n).count + rec.utf8.count != n { n += 1 }
            out += Array("\(n)\(rec)".utf8)
        }
        return out
    }

    static func ext(_ type: Character, _ body: [UInt8]) -> [UInt8] { header("././@ext", type: type, size: body.count) + padded(body) }
    static func member(_ name: String, _ content: [UInt8], type: Character = "0", link: String = "") -> [UInt8] {
        header(name, type: type, size: content.count, link: link) + padded(content)
    }
    static let end = [UInt8](repeating: 0, count: 1024)
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Runs `scripts/archive-oracle.py` (Python's tarfile and zipfile) when python3 is present.
enum ArchiveOracle {
    struct Listing: Decodable {
        var file: String
        var members: [[JSONScalar]]?
        var error: String?
    }
    enum JSONScalar: Decodable, Hashable, CustomStringConvertible {
        case s(String), i(Int)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .i(i) } else { self = .s(try c.decode(String.self)) }
        }
        var description: String { switch self { case .s(let s): s; case .i(let i): String(i) } }
    }
    struct Case: Decodable { var file: String; var ambiguous: Bool }

    static let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/archive-oracle.py")
    static let python: URL? = ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"].map(URL.init(fileURLWithPath:))
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    static var available: Bool { python != nil }

    /// Generates `count` archives (`tar` or `zip`) into a fresh folder and lists them with Python.
    static func generate(_ kind: String, count: Int, seed: Int) throws -> (dir: URL, cases: [Case], listings: [String: Listing]) {
        let python = try #require(python)
        let dir = try TestSupport.makeTemporaryDirectory("vigil-oracle-\(kind)")
        let gen = try TestSupport.run(python, [script.path, "gen-\(kind)", dir.path, String(count), String(seed)])
        try #require(gen.status == 0, "\(gen.stderr)")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: dir.appendingPathComponent("cases.json")))
        let files = cases.map { dir.appendingPathComponent($0.file).path }
        let list = try TestSupport.run(python, [script.path, "list-\(kind)"] + files)
        try #require(list.status == 0, "\(list.stderr)")
        var listings: [String: Listing] = [:]
        for line in list.stdout.split(separator: "\n") {
            let l = try JSONDecoder().decode(Listing.self, from: Data(line.utf8))
            listings[URL(fileURLWithPath: l.file).lastPathComponent] = l
        }
        return (dir, cases, listings)
    }
}
