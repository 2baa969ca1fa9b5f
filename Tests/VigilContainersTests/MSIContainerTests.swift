import Foundation
import Testing
import VigilContainers
import VigilCore
import _VigilTestSupport

/// The MSI adapter under the walker: members named by install path, read from the embedded or the
/// external cabinet (through libarchive), byte-identical to the tree the package was built from.
@Suite("MSI container")
struct MSIContainerTests {
    static let root = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build")
    static let files = ["3CXDesktopApp.exe", "ffmpeg.dll", "d3dcompiler_47.dll", "resources/icon3.ico"]

    static func fixture(_ rel: String, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        let url = root.appendingPathComponent(rel)
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("Fixtures/build/\(rel) is missing: run scripts/build-fixtures.sh (needs wixl, msitools, gcab)",
                         sourceLocation: sourceLocation)
            return nil
        }
        return url
    }

    func expectTree(_ record: WalkRecord, outer: String, tree: String) throws {
        let src = Self.root.appendingPathComponent("threecx/\(tree)/3CX Desktop App")
        for f in Self.files {
            let key = "\(outer)!/[ProgramFiles]/3CX Desktop App/\(f)"
            let want = [UInt8](try Data(contentsOf: src.appendingPathComponent(f)))
            #expect(record.members[key] == want, "\(key) in \(record.members.keys.sorted())")
        }
        #expect(record.members.count == Self.files.count, "\(record.members.keys.sorted())")
    }

    @Test("embedded cabinet: members by install path, same bytes as the tree")
    func embedded() throws {
        guard let msi = Self.fixture("msi/threecx.msi") else { return }
        let ws = try PrivateWorkspace.create()
        let record = walkContainer(msi, workspace: ws)
        #expect(record.summary.formatName == "MSI")
        try expectTree(record, outer: "threecx.msi", tree: "windows")
        #expect(record.diagnostics.isEmpty, "\(record.diagnostics)")
        #expect(leftovers(ws).isEmpty)
    }

    @Test("external cabinet beside the .msi; without it, a diagnostic per missing file")
    func external() throws {
        guard let msi = Self.fixture("msi/external/threecx-external.msi") else { return }
        let ws = try PrivateWorkspace.create()
        let record = walkContainer(msi, workspace: ws)
        try expectTree(record, outer: "threecx-external.msi", tree: "windows")
        #expect(record.diagnostics.isEmpty, "\(record.diagnostics)")

        let tmp = try TestSupport.makeTemporaryDirectory("vigil-msi")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let alone = tmp.appendingPathComponent("alone.msi")
        try FileManager.default.copyItem(at: msi, to: alone)
        let lonely = walkContainer(alone, workspace: ws)
        #expect(lonely.members.isEmpty)
        #expect(lonely.diagnostics.contains { $0.kind == "container-incomplete" && $0.message.contains("threecx.cab") })
        #expect(lonely.diagnostics.filter { $0.message.contains("in no readable cabinet") }.count == 4)
        #expect(lonely.diagnostics.contains { $0.path == "alone.msi!/[ProgramFiles]/3CX Desktop App/ffmpeg.dll" })
    }

    @Test("an OLE file that is not an MSI is not a container; a broken MSI is reported")
    func notMSI() throws {
        guard let msi = Self.fixture("msi/threecx.msi") else { return }
        let ws = try PrivateWorkspace.create()
        let tmp = try TestSupport.makeTemporaryDirectory("vigil-msi")
        defer { try? FileManager.default.removeItem(at: tmp) }
        var bytes = [UInt8](try Data(contentsOf: msi))
        bytes = Array(bytes.prefix(bytes.count / 2))
        let cut = try TestSupport.write(bytes, to: "cut.msi", in: tmp)
        let record = walkContainer(cut, workspace: ws)
        #expect(record.members.isEmpty)
        #expect(record.diagnostics.contains { $0.kind == "container-unreadable" && $0.message.contains("MSI") }, "\(record.diagnostics)")
    }
}
