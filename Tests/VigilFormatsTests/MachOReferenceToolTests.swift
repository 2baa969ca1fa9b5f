import Foundation
import Testing
import VigilFormats

/// Compares the parser with `llvm-objdump --macho --private-headers --arch=all` (the Swift toolchain's
/// copy) on every Mach-O fixture: load command names, sizes, dylib and rpath strings, segments, and
/// the code-signature range.
@Suite struct MachOReferenceToolTests {
    static let objdump = "/opt/swift/usr/bin/llvm-objdump"

    /// One load command as llvm-objdump prints it: `cmd`, `cmdsize` and the other `key value` lines.
    struct DumpedCommand: Equatable {
        var cmd = ""
        var cmdsize = 0
        var fields: [String: String] = [:]
    }

    /// Splits llvm-objdump output into per-architecture load-command lists (in slice order).
    static func dumpedSlices(_ text: String) -> [[DumpedCommand]] {
        var slices: [[DumpedCommand]] = []
        var current: DumpedCommand?
        func flush() {
            if let c = current { slices[slices.count - 1].append(c) }
            current = nil
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line == "Mach header" {
                flush()
                slices.append([])
            } else if line.hasPrefix("Load command ") {
                flush()
                current = DumpedCommand()
            } else if line == "Section" {
                flush()
            } else if current != nil, let space = line.firstIndex(of: " ") {
                let key = String(line[..<space])
                let value = line[space...].trimmingCharacters(in: .whitespaces)
                switch key {
                case "cmd": current?.cmd = value
                case "cmdsize": current?.cmdsize = Int(value) ?? -1
                default: if current?.fields[key] == nil { current?.fields[key] = value }
                }
            }
        }
        flush()
        return slices
    }

    static var fixtureNames: [String] {
        let dir = FixtureFiles.directory("macho")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasPrefix("app-") || $0.hasPrefix("lib") }.sorted()
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: objdump), "llvm-objdump from the Swift toolchain"))
    func loadCommandsAgreeWithLLVMObjdump() throws {
        let names = Self.fixtureNames
        #expect(names.count >= 20, "fixtures missing: run scripts/build-fixtures.sh")
        var compared = 0
        for name in names {
            let path = FixtureFiles.directory("macho").appendingPathComponent(name).path
            let bytes = try #require(FixtureFiles.bytes("macho", name))
            let output = try #require(FixtureFiles.toolOutput(Self.objdump, ["--macho", "--private-headers", "--arch=all", path]))
            let dumped = Self.dumpedSlices(output)
            let file = MachOFile.parse(bytes)
            try #require(dumped.count == file.slices.count, "\(name): slice count")
            for (slice, reference) in zip(file.slices, dumped) {
                #expect(slice.loadCommands.map(\.name) == reference.map(\.cmd), "\(name)")
                #expect(slice.loadCommands.map { Int($0.size) } == reference.map(\.cmdsize), "\(name)")
                let dylibNames = reference.filter { $0.cmd.hasSuffix("_DYLIB") && $0.cmd != "LC_ID_DYLIB" }
                    .map { $0.fields["name"]?.components(separatedBy: " (offset").first ?? "" }
                #expect(slice.dylibs.map(\.name) == dylibNames, "\(name)")
                let rpaths = reference.filter { $0.cmd == "LC_RPATH" }
                    .map { $0.fields["path"]?.components(separatedBy: " (offset").first ?? "" }
                #expect(slice.rpaths == rpaths, "\(name)")
                let segments = reference.filter { $0.cmd == "LC_SEGMENT_64" }
                #expect(slice.segments.map(\.name) == segments.map { $0.fields["segname"] ?? "" }, "\(name)")
                #expect(slice.segments.map { String($0.fileSize) } == segments.map { $0.fields["filesize"] ?? "" }, "\(name)")
                if let sig = reference.first(where: { $0.cmd == "LC_CODE_SIGNATURE" }) {
                    #expect(slice.codeSignatureRange.map { String($0.dataOffset) } == sig.fields["dataoff"], "\(name)")
                    #expect(slice.codeSignatureRange.map { String($0.dataSize) } == sig.fields["datasize"], "\(name)")
                } else {
                    #expect(slice.codeSignatureRange == nil, "\(name)")
                }
                compared += 1
            }
        }
        #expect(compared >= 30)
    }
}
