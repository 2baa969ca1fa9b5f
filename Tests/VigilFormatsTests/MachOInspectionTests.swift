import Foundation
import Testing
import VigilFormats

/// The format dispatch (`Inspection.inspect`) routes Mach-O, ICO and PNG by magic, and the models
/// survive a JSON round trip (what `vigil inspect --format json` prints).
@Suite struct MachOInspectionTests {
    @Test(arguments: [
        ("macho", "app-fat-signed", FileFormat.machoFat), ("macho", "libffmpeg-fat64-adhoc.dylib", .machoFat),
        ("macho", "app-x86_64-unsigned", .macho), ("images", "icon-3cx.ico", .ico), ("images", "png-trailing-text.png", .png),
    ])
    func dispatchByMagic(_ area: String, _ name: String, _ format: FileFormat) throws {
        let bytes = try #require(FixtureFiles.bytes(area, name))
        // A misleading name must not matter: identification reads the bytes.
        let result = Inspection.inspect(bytes, path: "renamed.txt")
        #expect(result.format == format)
        #expect((result.macho != nil) == (format == .macho || format == .machoFat))
        #expect((result.ico != nil) == (format == .ico))
        #expect((result.png != nil) == (format == .png))
        #expect(result.allIssues.isEmpty)
    }

    @Test func modelsRoundTripThroughJSON() throws {
        let macho = MachOFile.parse(try #require(FixtureFiles.bytes("macho", "app-fat-signed")))
        let decoded = try JSONDecoder().decode(MachOFile.self, from: JSONEncoder().encode(macho))
        #expect(decoded == macho)
        let ico = ICOFile.parse(try #require(FixtureFiles.bytes("images", "icon-png-inner-tail.ico")))
        #expect(try JSONDecoder().decode(ICOFile.self, from: JSONEncoder().encode(ico)) == ico)
    }

    @Test func issuesOfDamagedFilesReachTheResult() throws {
        var bytes = try #require(FixtureFiles.bytes("images", "png-bad-crc.png"))
        let result = Inspection.inspect(bytes, path: "x")
        #expect(result.allIssues.contains { $0.area == "image" && $0.message.contains("chunk IDAT CRC") })
        bytes = try #require(FixtureFiles.bytes("macho", "app-arm64-adhoc"))
        bytes[20] = 0xFF  // sizeofcmds low byte: the walk now disagrees with the header
        #expect(!Inspection.inspect(bytes, path: "x").allIssues.isEmpty)
    }
}
