import Foundation
import Testing
@testable import VigilMSI

/// Databases written by the tests' own builder: forms wixl does not write (long string references,
/// `target:source` folders, several cabinets) and hostile ones (lying string pool, cycles, huge sizes).
@Suite("MSI synthetic databases")
struct SyntheticMSITests {
    typealias B = MSIBuilder

    /// A package with two disks: files 1-2 in the embedded `one.cab`, file 3 in the external `two.cab`.
    static func standard(longReferences: Bool = false, directories: [[B.Cell]]? = nil, padStrings: Int = 0) -> MSIBuilder {
        var b = MSIBuilder()
        b.longReferences = longReferences
        let dirs = directories ?? [
            [.str("TARGETDIR"), .null, .str("SourceDir")],
            [.str("ProgramFiles64Folder"), .str("TARGETDIR"), .str(".")],
            [.str("APPDIR"), .str("ProgramFiles64Folder"), .str("VENDOR~1|Vendor App:srcdir")],
            [.str("BINDIR"), .str("APPDIR"), .str("bin")],
            [.str("LocalAppDataFolder"), .str("TARGETDIR"), .str(".")],
            [.str("CACHEDIR"), .str("LocalAppDataFolder"), .str("Vendor")],
        ]
        b.tables = [
            .init(name: "Directory", columns: [.init(name: "Directory", type: B.s72Key), .init(name: "Directory_Parent", type: B.s72Null),
                                               .init(name: "DefaultDir", type: B.l255)], rows: dirs),
            .init(name: "Component", columns: [.init(name: "Component", type: B.s72Key), .init(name: "ComponentId", type: B.s72Null),
                                               .init(name: "Directory_", type: B.s72), .init(name: "Attributes", type: B.i2),
                                               .init(name: "Condition", type: B.s255Null), .init(name: "KeyPath", type: B.s72Null)],
                  rows: [[.str("Main"), .null, .str("BINDIR"), .int(0), .null, .null],
                         [.str("Cache"), .null, .str("CACHEDIR"), .int(0), .null, .null]]),
            .init(name: "File", columns: [.init(name: "File", type: B.s72Key), .init(name: "Component_", type: B.s72),
                                          .init(name: "FileName", type: B.l255), .init(name: "FileSize", type: B.i4),
                                          .init(name: "Version", type: B.s72Null), .init(name: "Language", type: B.s72Null),
                                          .init(name: "Attributes", type: B.i2Null), .init(name: "Sequence", type: B.i2)],
                  rows: [[.str("fil1"), .str("Main"), .str("APP~1.EXE|app.exe"), .int(3_000_000_000 - 2_147_483_648), .str("1.2.3.4"), .str("1033"), .int(512), .int(1)],
                         [.str("fil2"), .str("Main"), .str("ffmpeg.dll"), .int(13312), .null, .null, .null, .int(2)],
                         [.str("fil3"), .str("Cache"), .str("data.bin"), .int(7), .null, .null, .int(0), .int(3)]]),
            .init(name: "Media", columns: [.init(name: "DiskId", type: B.i2Key), .init(name: "LastSequence", type: B.i2),
                                           .init(name: "DiskPrompt", type: B.s72Null), .init(name: "Cabinet", type: B.s255Null),
                                           .init(name: "VolumeLabel", type: B.s72Null), .init(name: "Source", type: B.s72Null)],
                  rows: [[.int(2), .int(3), .null, .str("two.cab"), .null, .null],
                         [.int(1), .int(2), .null, .str("#one.cab"), .null, .null]]),
        ]
        if padStrings > 0 {
            // Enough distinct strings to need 3-byte references, in a table of their own.
            b.tables.append(.init(name: "Padding", columns: [.init(name: "Key", type: B.s72Key)],
                                  rows: (0..<padStrings).map { [.str("pad\($0)")] }))
        }
        b.extraStreams = [("one.cab", Array("MSCF fake cabinet".utf8))]
        return b
    }

    @Test("install paths, short|long and target:source names, two disks, embedded and external cabinets")
    func resolvesInstallPaths() throws {
        let msi = try MSIPackage(bytes: Self.standard().build().bytes)
        let byKey = Dictionary(uniqueKeysWithValues: msi.files.map { ($0.key, $0) })
        #expect(byKey["fil1"]?.installPath == "[ProgramFiles64]/Vendor App/bin/app.exe")
        #expect(byKey["fil1"]?.shortName == "APP~1.EXE")
        #expect(byKey["fil1"]?.version == "1.2.3.4")
        #expect(byKey["fil1"]?.language == "1033")
        #expect(byKey["fil1"]?.size == 3_000_000_000 - 2_147_483_648)
        #expect(byKey["fil2"]?.installPath == "[ProgramFiles64]/Vendor App/bin/ffmpeg.dll")
        #expect(byKey["fil2"]?.version == nil)
        #expect(byKey["fil3"]?.installPath == "[LocalAppData]/Vendor/data.bin")
        #expect(byKey["fil1"]?.cabinet == "one.cab" && byKey["fil1"]?.cabinetEmbedded == true)
        #expect(byKey["fil2"]?.cabinet == "one.cab")
        #expect(byKey["fil3"]?.cabinet == "two.cab" && byKey["fil3"]?.cabinetEmbedded == false)
        #expect(msi.externalCabinetNames == ["two.cab"])
        #expect(msi.embeddedCabinetNames == ["one.cab"])
        #expect(msi.files(inCabinet: "one.cab").keys.sorted() == ["fil1", "fil2"])
        #expect(msi.problems.isEmpty, "\(msi.problems)")
        #expect(msi.database.strings.longReferences == false)
    }

    @Test("long string references (3 bytes per cell) when the pool has more than 65,535 strings")
    func longStringReferences() throws {
        let layout = Self.standard(longReferences: true, padStrings: 70_000).build()
        let db = try MSIDatabase(bytes: layout.bytes)
        #expect(db.strings.longReferences)
        #expect(db.strings.referenceWidth == 3)
        #expect(db.strings.strings.count > 70_000)
        var problems: [MSIProblem] = []
        let padding = try #require(try db.table("Padding", problems: &problems))
        #expect(padding.rows.count == 70_000)
        #expect(padding.rows.last?.first?.string == "pad69999")
        let msi = try MSIPackage(database: db, path: nil)
        #expect(msi.files.map(\.installPath).contains("[ProgramFiles64]/Vendor App/bin/app.exe"))
        #expect(problems.isEmpty && msi.problems.isEmpty)
    }

    @Test("a string of 64 KiB or more takes two pool entries and one id")
    func longString() throws {
        var b = Self.standard()
        let big = String(repeating: "x", count: 70_000)
        b.tables[2].rows[1][5] = .str(big)  // fil2's Language
        let msi = try MSIPackage(bytes: b.build().bytes)
        let fil2 = try #require(msi.files.first { $0.key == "fil2" })
        #expect(fil2.language?.count == 70_000)
        // Ids after the long string still line up.
        #expect(msi.files.first { $0.key == "fil3" }?.installPath == "[LocalAppData]/Vendor/data.bin")
    }

    @Test("a Directory parent cycle is reported and does not hang")
    func directoryCycle() throws {
        let dirs: [[B.Cell]] = [
            [.str("TARGETDIR"), .null, .str("SourceDir")],
            [.str("APPDIR"), .str("BINDIR"), .str("app")],
            [.str("BINDIR"), .str("APPDIR"), .str("bin")],
            [.str("CACHEDIR"), .str("TARGETDIR"), .str("cache")],
        ]
        let msi = try MSIPackage(bytes: Self.standard(directories: dirs).build().bytes)
        let fil1 = try #require(msi.files.first { $0.key == "fil1" })
        #expect(fil1.folder.hasPrefix("[?cycle]"))
        #expect(msi.problems.contains { $0.message.contains("loops") })
        #expect(msi.files.first { $0.key == "fil3" }?.installPath == "[TARGETDIR]/cache/data.bin")
    }

    @Test("names that climb or hold separators are neutralised and reported")
    func traversalNames() throws {
        var b = Self.standard()
        b.tables[2].rows[1][2] = .str("..\\..\\evil.dll")
        b.tables[0].rows[3][2] = .str("..")
        let msi = try MSIPackage(bytes: b.build().bytes)
        let fil2 = try #require(msi.files.first { $0.key == "fil2" })
        #expect(fil2.installPath == "[ProgramFiles64]/Vendor App/_/.._.._evil.dll")
        #expect(!fil2.installPath.split(separator: "/").contains(".."))
        #expect(msi.problems.count >= 2)
    }

    @Test("a string pool that declares more bytes than the string data holds is a clear error")
    func lyingStringPool() throws {
        var layout = Self.standard().build()
        // The pool is the first stream, in the mini stream: raise its first entry's length.
        let cfb = try CompoundFile(bytes: layout.bytes)
        let pool = try #require(cfb.children(of: 0).first { MSIStreamName.decode($0.nameUnits) == "!_StringPool" })
        let data = try cfb.read(pool, maxBytes: 1 << 20)
        #expect(data.count > 8)
        // Find the bytes of the pool in the file and patch entry 1's length to 0xFFFF.
        let offset = try #require(find(layout.bytes, data))
        layout.bytes[offset + 4] = 0xFF
        layout.bytes[offset + 5] = 0xFF
        #expect {
            try MSIDatabase(bytes: layout.bytes)
        } throws: { error in
            guard case MSIError.malformed(let m) = error else { return false }
            return m.contains("string 1 declares 65535 bytes")
        }
    }

    @Test("a string id past the pool is reported per cell")
    func badStringId() throws {
        var b = Self.standard()
        b.tables[2].rows[0][4] = .str("9.9.9.9")
        var layout = b.build()
        let cfb = try CompoundFile(bytes: layout.bytes)
        let file = try #require(cfb.children(of: 0).first { MSIStreamName.decode($0.nameUnits) == "!File" })
        let bytes = try cfb.read(file, maxBytes: 1 << 20)
        let offset = try #require(find(layout.bytes, bytes))
        // Version column is the 5th; rows are 3, 2-byte ids: row 1 of column 5 is at 4*3*2 + ... after
        // File(2) Component_(2) FileName(2) FileSize(4) columns.
        let versionCell = offset + 3 * 2 + 3 * 2 + 3 * 2 + 3 * 4
        layout.bytes[versionCell] = 0xFF
        layout.bytes[versionCell + 1] = 0x7F
        let msi = try MSIPackage(bytes: layout.bytes)
        #expect(msi.files.first { $0.key == "fil1" }?.version == nil)
        #expect(msi.problems.contains { $0.location.contains("File row 1 column Version") })
    }

    @Test("stream names round-trip through Windows Installer's compression")
    func streamNames() {
        for name in ["!_StringPool", "!File", "one.cab", "Binary.x_y", "abc", "a b-c", "!_Columns"] {
            #expect(MSIStreamName.decode(MSIStreamName.encode(name)) == name)
            #expect(MSIStreamName.encode(name) == MSIBuilder().encode(name))
        }
        #expect(MSIStreamName.encode("!_StringPool").first == 0x4840)
        #expect(MSIStreamName.encode("ab") == [UInt16(0x3800 + 36 + 37 * 64)])
    }

    @Test("a database without a string pool is not an MSI")
    func notMSI() throws {
        var w = CFBWriter()
        w.add(Array("Hello".utf16), [1, 2, 3])
        #expect(throws: MSIError.missingStream("!_StringPool")) { try MSIDatabase(bytes: w.write().bytes) }
    }
}

func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
    guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
    outer: for i in 0...(haystack.count - needle.count) {
        for j in 0..<needle.count where haystack[i + j] != needle[j] { continue outer }
        return i
    }
    return nil
}
