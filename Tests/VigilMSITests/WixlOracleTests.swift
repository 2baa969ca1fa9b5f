import Foundation
import Testing
import _VigilTestSupport
@testable import VigilMSI

/// The 3CX-like installers built by `scripts/fixtures/windows-msi.sh` (wixl + msibuild), read by
/// VigilMSI and compared with msitools' own reading of the same files (`msiinfo`, `msiextract`).
@Suite("MSI against msitools")
struct WixlOracleTests {
    static let dir = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/msi")

    static func fixture(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let url = dir.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("Fixtures/build/msi/\(name) is missing: run scripts/build-fixtures.sh (needs wixl, msitools, gcab)",
                         sourceLocation: sourceLocation)
            return nil
        }
        return url.path
    }

    static func tool(_ name: String) -> URL? {
        for d in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(d)/\(name)") {
            return URL(fileURLWithPath: "\(d)/\(name)")
        }
        return nil
    }

    /// Runs an msitools program; records an issue when it is missing.
    static func msitool(_ name: String, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        guard let exe = tool(name) else {
            Issue.record("\(name) is missing: apt-get install msitools", sourceLocation: sourceLocation)
            return nil
        }
        let r = try TestSupport.run(exe, args)
        #expect(r.status == 0, "\(name) \(args): \(r.stderr)", sourceLocation: sourceLocation)
        return r.stdout
    }

    /// msiinfo's rendering of a column type (`s72`, `I2`, `L64`, `V0`), for comparing column definitions.
    static func typeString(_ c: MSIColumn) -> String {
        let letter: Character
        if c.isBinary { letter = "v" } else if c.isString { letter = c.type & 0x0200 != 0 ? "l" : "s" } else { letter = "i" }
        let l = c.isNullable ? Character(letter.uppercased()) : letter
        return "\(l)\(c.isBinary ? 0 : c.type & 0xFF)"
    }

    @Test("every table reads as msiinfo export shows it: column names, types and rows")
    func tablesMatchMsiinfo() throws {
        guard let path = Self.fixture("threecx.msi") else { return }
        let db = try MSIDatabase(path: path)
        guard let listed = try Self.msitool("msiinfo", ["tables", path]) else { return }
        let theirs = Set(listed.split(separator: "\n").map(String.init)).subtracting(["_SummaryInformation", "_ForceCodepage"])
        #expect(Set(db.tableNames) == theirs)
        var problems: [MSIProblem] = []
        var compared = 0
        for name in db.tableNames {
            guard let export = try Self.msitool("msiinfo", ["export", path, name]) else { return }
            let lines = export.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
                .flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
            let table = try #require(try db.table(name, problems: &problems))
            #expect(lines[0] == table.columns.map(\.name).joined(separator: "\t"), "\(name) column names")
            #expect(lines[1] == table.columns.map(Self.typeString).joined(separator: "\t"), "\(name) column types")
            let theirRows = lines.dropFirst(3).filter { !$0.isEmpty }
            #expect(theirRows.count == table.rows.count, "\(name) row count")
            let ours = table.rows.map { $0.map(\.description).joined(separator: "\t") }
            #expect(Set(theirRows) == Set(ours), "\(name) rows")
            compared += table.rows.count
        }
        #expect(compared > 50)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("files: keys, install paths, sizes, versions against msiinfo export File and msiextract -l")
    func filesMatchOracle() throws {
        guard let path = Self.fixture("threecx.msi") else { return }
        let msi = try MSIPackage(path: path)
        #expect(msi.problems.isEmpty, "\(msi.problems)")
        guard let export = try Self.msitool("msiinfo", ["export", path, "File"]),
              let listing = try Self.msitool("msiextract", ["-l", path]) else { return }
        // File, Component_, FileName, FileSize, Version, Language, Attributes, Sequence
        let rows = export.split(whereSeparator: \.isNewline).dropFirst(3).map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 4)
        #expect(msi.files.count == rows.count)
        for row in rows {
            let f = try #require(msi.files.first { $0.key == row[0] }, "File \(row[0])")
            #expect(f.component == row[1])
            #expect(f.longName == String(row[2].split(separator: "|").last!))
            #expect(f.size.map(String.init) == row[3])
            #expect((f.version ?? "") == row[4])
            #expect((f.language ?? "") == row[5])
            #expect(f.sequence.map(String.init) == row[7])
            #expect(f.cabinet == "threecx.cab" && f.cabinetEmbedded == true)
        }
        // msiextract names the Program Files root "Program Files".
        let theirs = Set(listing.split(whereSeparator: \.isNewline).map(String.init))
        let ours = Set(msi.files.map { $0.installPath.replacingOccurrences(of: "[ProgramFiles]", with: "Program Files") })
        #expect(ours == theirs)
        #expect(msi.files.map(\.installPath).contains("[ProgramFiles]/3CX Desktop App/ffmpeg.dll"))
        #expect(msi.files.first { $0.key == "app.exe" }?.shortName == "3CXDES~1.EXE")
        #expect(msi.files.first { $0.key == "ffmpeg.dll" }?.version == "4.4.0.0")
    }

    @Test("the embedded cabinet extracts byte for byte as msiinfo extract writes it, and holds the tree's files")
    func extractEmbeddedCabinet() throws {
        guard let path = Self.fixture("threecx.msi") else { return }
        let msi = try MSIPackage(path: path)
        #expect(msi.embeddedCabinetNames == ["threecx.cab"])
        #expect(msi.externalCabinetNames.isEmpty)
        let tmp = try TestSupport.makeTemporaryDirectory("vigil-msi")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let ours = tmp.appendingPathComponent("ours.cab").path
        let n = try msi.extractStream(named: "threecx.cab", to: ours, maxBytes: 64 << 20)
        guard let exe = Self.tool("msiinfo") else { Issue.record("msiinfo missing"); return }
        let p = Process()
        p.executableURL = exe
        p.arguments = ["extract", path, "threecx.cab"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let theirs = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let ourBytes = try Data(contentsOf: URL(fileURLWithPath: ours))
        #expect(n == ourBytes.count)
        #expect(ourBytes == theirs)
        #expect(ourBytes.prefix(4) == Data("MSCF".utf8))
        // Existing destination is refused (no overwrite), and a cap below the size is refused.
        #expect(throws: MSIError.self) { try msi.extractStream(named: "threecx.cab", to: ours, maxBytes: 64 << 20) }
        #expect(throws: MSIError.self) { try msi.extractStream(named: "threecx.cab", to: tmp.appendingPathComponent("small").path, maxBytes: 1000) }
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("small").path))
        // msiextract unpacks the same package: every file's size is what the File table says.
        let out = tmp.appendingPathComponent("x")
        _ = try Self.msitool("msiextract", ["-C", out.path, path])
        for f in msi.files {
            let on = out.appendingPathComponent(f.installPath.replacingOccurrences(of: "[ProgramFiles]", with: "Program Files"))
            let attrs = try FileManager.default.attributesOfItem(atPath: on.path)
            #expect((attrs[.size] as? Int) == f.size, "\(f.installPath)")
        }
    }

    @Test("an external cabinet beside the .msi is named and located")
    func externalCabinet() throws {
        guard let path = Self.fixture("external/threecx-external.msi") else { return }
        let msi = try MSIPackage(path: path)
        #expect(msi.externalCabinetNames == ["threecx.cab"])
        #expect(msi.embeddedCabinetNames.isEmpty)
        #expect(msi.database.embeddedStreams.isEmpty)
        let cab = try #require(msi.externalCabinetPath("threecx.cab"))
        #expect(FileManager.default.fileExists(atPath: cab))
        #expect(msi.files.allSatisfy { $0.cabinet == "threecx.cab" && $0.cabinetEmbedded == false })
        #expect(Set(msi.files(inCabinet: "threecx.cab").keys) == ["app.exe", "ffmpeg.dll", "d3dcompiler_47.dll", "icon3.ico"])
        #expect(msi.externalCabinetPath("../x.cab") == nil)
        guard let listing = try Self.msitool("msiextract", ["-l", path]) else { return }
        let theirs = Set(listing.split(whereSeparator: \.isNewline).map(String.init))
        #expect(Set(msi.files.map { $0.installPath.replacingOccurrences(of: "[ProgramFiles]", with: "Program Files") }) == theirs)
    }

    @Test("a Directory cycle made with msibuild is reported, the other files still resolve")
    func directoryCycleFromMsibuild() throws {
        guard let path = Self.fixture("threecx.msi"), let msibuild = Self.tool("msibuild") else {
            if Self.tool("msibuild") == nil { Issue.record("msibuild missing: apt-get install msitools") }
            return
        }
        let tmp = try TestSupport.makeTemporaryDirectory("vigil-msi")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let copy = tmp.appendingPathComponent("cycle.msi")
        try FileManager.default.copyItem(atPath: path, toPath: copy.path)
        let r = try TestSupport.run(msibuild, [copy.path, "-q", "UPDATE Directory SET Directory_Parent='RESDIR' WHERE Directory='INSTALLDIR'"])
        #expect(r.status == 0, "\(r.stderr)")
        let msi = try MSIPackage(path: copy.path)
        #expect(msi.files.count == 4)
        #expect(msi.files.allSatisfy { $0.folder.hasPrefix("[?cycle]") })
        #expect(msi.problems.contains { $0.message.contains("loops") })
    }
}
