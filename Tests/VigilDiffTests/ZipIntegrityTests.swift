import Foundation
import Testing
import VigilCore
import _VigilTestSupport
@testable import VigilDiff

/// Builds ZIP archives byte by byte (stored members), for layouts no zip tool writes by default.
enum RawZip {
    struct Member {
        var name: String
        var data: [UInt8]
        /// Keep the local-header offset in the ZIP64 extra field of the central directory.
        var zip64Offset = false
        /// Sizes written into the headers (default: the data's size).
        var claimedSize: Int?
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
    static func le64(_ v: Int) -> [UInt8] { le32(v & 0xFFFF_FFFF) + le32(v >> 32) }

    static func build(_ members: [Member]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for m in members {
            let offset = out.count
            let name = Array(m.name.utf8)
            let size = m.claimedSize ?? m.data.count
            let crc = Int(crc32(m.data))
            out += le32(0x0403_4B50) + le16(20) + le16(0x800) + le16(0) + le16(0) + le16(0x21)
            out += le32(crc) + le32(size) + le32(size) + le16(name.count) + le16(0) + name + m.data
            let extra = m.zip64Offset ? le16(1) + le16(8) + le64(offset) : []
            central += le32(0x0201_4B50) + le16(0x031E) + le16(m.zip64Offset ? 45 : 20) + le16(0x800) + le16(0) + le16(0) + le16(0x21)
            central += le32(crc) + le32(size) + le32(size) + le16(name.count) + le16(extra.count) + le16(0)
            central += le16(0) + le16(0) + le32(0o100644 << 16) + le32(m.zip64Offset ? 0xFFFF_FFFF : offset) + name + extra
        }
        let cdOffset = out.count
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(members.count) + le16(members.count)
        out += le32(central.count) + le32(cdOffset) + le16(0)
        return out
    }
}

@Suite("ZIP integrity")
struct ZipIntegrityTests {
    func list(_ path: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        _ = try ReleaseReader().read(path) { m in
            if case .file(let bytes, _, _, _) = m.content { files[m.path] = bytes }
        }
        return files
    }

    @Test("a central-directory entry whose offset sits in the ZIP64 extra field is read, with every member after it")
    func zip64OffsetExtra() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-zip64")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mz = Array("MZ planted".utf8)
        let zip = RawZip.build([
            .init(name: "app/readme.txt", data: Array("hello\n".utf8), zip64Offset: true),
            .init(name: "app/version.dll", data: mz),
        ])
        let path = try TestSupport.write(zip, to: "release.zip", in: dir).path
        let files = try list(path)
        #expect(files == ["app/readme.txt": Array("hello\n".utf8), "app/version.dll": mz])
    }

    @Test("a stored member that claims more bytes than the archive holds before its directory is refused")
    func storedOverclaim() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-zip-overclaim")
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = RawZip.build([
            .init(name: "a.txt", data: Array("short".utf8), claimedSize: 120),
            .init(name: "b.txt", data: Array("b".utf8)),
        ])
        let path = try TestSupport.write(zip, to: "release.zip", in: dir).path
        #expect {
            _ = try list(path)
        } throws: { error in
            guard let e = error as? ReleaseError, case .malformed(_, let member, let reason) = e else { return false }
            return member == "a.txt" && reason.contains("claims 120 bytes")
        }
    }

    /// Vigil's list of a ZIP: [name, file|dir, size, ""], every file's data read and checked.
    static func vigilList(_ bytes: [UInt8]) throws -> [[String]] {
        let reader = ZipReader(source: bytes, archiveName: "t.zip")
        let (entries, _, start) = try reader.entries()
        let budget = ExpansionBudget(limits: .standard)
        return try entries.map { e in
            if e.kind != .directory {
                try reader.read(e, cdStart: start, into: MemberSink(keep: 1 << 20, budget: budget, archive: "t.zip", member: e.name, compressedSize: nil))
            }
            return [e.name, e.kind == .directory ? "dir" : "file", e.kind == .directory ? "0" : String(e.size), ""]
        }
    }

    @Test("property: Vigil lists what Python's zipfile lists (ZIP64 extras included), or refuses",
        .enabled(if: ArchiveOracle.available, "python3 is not installed"))
    func matchesPythonZipfile() throws {
        let (dir, cases, listings) = try ArchiveOracle.generate("zip", count: 200, seed: 16)
        defer { try? FileManager.default.removeItem(at: dir) }
        var compared = 0
        for c in cases {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(c.file)))
            let expected = try #require(listings[c.file]?.members, "\(c.file): Python could not read its own archive")
            let ours = try Self.vigilList(bytes)
            #expect(ours == expected.map { $0.map(\.description) }, "\(c.file)")
            compared += 1
        }
        #expect(compared == 200)
    }

    @Test("the hand-made ZIP64-offset archive lists the same in Python's zipfile",
        .enabled(if: ArchiveOracle.available, "python3 is not installed"))
    func zip64OffsetMatchesPython() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-zip64")
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = RawZip.build([
            .init(name: "app/readme.txt", data: Array("hello\n".utf8), zip64Offset: true),
            .init(name: "app/version.dll", data: Array("MZ".utf8), zip64Offset: true),
        ])
        let path = try TestSupport.write(zip, to: "z.zip", in: dir).path
        let run = try TestSupport.run(try #require(ArchiveOracle.python), [ArchiveOracle.script.path, "list-zip", path])
        let listing = try JSONDecoder().decode(ArchiveOracle.Listing.self, from: Data(run.stdout.utf8))
        let expected = try #require(listing.members, "\(listing.error ?? "")")
        #expect(try Self.vigilList(zip) == expected.map { $0.map(\.description) })
    }

    @Test("names: UTF-8 when valid, code page 437 when unflagged and not UTF-8, escaped bytes when flagged but invalid")
    func names() {
        #expect(ZipReader.decodeName(Array("é/a.txt".utf8), utf8Flag: false) == "é/a.txt")
        #expect(ZipReader.decodeName([0x61, 0x81, 0xE1, 0xFE], utf8Flag: false) == "aüß■")
        #expect(ZipReader.decodeName([0x61, 0x81], utf8Flag: true) == "a\\x81")
        #expect(ZipReader.decodeName([0x61, 0x82], utf8Flag: true) != ZipReader.decodeName([0x61, 0x81], utf8Flag: true))
    }
}
