import Foundation
import Testing
import VigilFormats

/// ICO and PNG fixtures (scripts/fixtures/make_images.py) checked against the layout the generator
/// recorded in manifest.json (computed there with Python's zlib and struct, independently of Vigil).
@Suite struct ImageTests {
    struct Facts: Decodable {
        var size: Int
        var iend_end: Int?
        var images_end: Int?
        var trailing_offset: Int?
        var trailing_size: Int?
        var encoding: String?
        var decoded_size: Int?
        var chunks: [String]?
        var width: Int?
        var height: Int?
        var bad_crc_chunks: [String]?
        var entries: [Entry]?
        var formats: [String]?
        var inner_iend_end: Int?
        var inner_trailing_size: Int?
        struct Entry: Decodable { var offset: Int; var size: Int }
    }

    static func manifest() throws -> [String: Facts] {
        let bytes = try #require(FixtureFiles.bytes("images", "manifest.json"))
        return try JSONDecoder().decode([String: Facts].self, from: Data(bytes))
    }

    @Test func pngFixturesMatchTheManifest() throws {
        let manifest = try Self.manifest()
        let pngs = manifest.keys.filter { $0.hasSuffix(".png") && $0 != "png-truncated.png" }.sorted()
        #expect(pngs.count == 4)
        for name in pngs {
            let facts = try #require(manifest[name])
            let png = PNGImage.parse(try #require(FixtureFiles.bytes("images", name)))
            #expect(png.iendEnd == facts.iend_end, "\(name)")
            #expect(png.trailing?.offset == facts.trailing_offset, "\(name)")
            #expect(png.trailing?.size == facts.trailing_size, "\(name)")
            #expect(png.trailing?.encoding.rawValue == facts.encoding, "\(name)")
            let bad = png.chunks.filter { !$0.crcValid }.map(\.type)
            #expect(bad == (facts.bad_crc_chunks ?? []), "\(name)")
            #expect(png.badCRCCount == bad.count)
            if let chunks = facts.chunks { #expect(png.chunks.map(\.type) == chunks) }
            if let w = facts.width { #expect(png.width == UInt32(w) && png.height == UInt32(facts.height ?? -1)) }
        }
    }

    @Test func truncatedPNGReportsMissingIEND() throws {
        let png = PNGImage.parse(try #require(FixtureFiles.bytes("images", "png-truncated.png")))
        #expect(png.iendEnd == nil)
        #expect(png.problems.contains { $0.message.contains("no IEND") })
        #expect(png.problems.contains { $0.message.contains("runs past the end") || $0.message.contains("truncated") })
        #expect(png.chunks.map(\.type) == ["IHDR", "tEXt"])
    }

    @Test func icoFixturesMatchTheManifest() throws {
        let manifest = try Self.manifest()
        let icons = manifest.keys.filter { $0.hasSuffix(".ico") }.sorted()
        #expect(icons.count == 6)
        for name in icons {
            let facts = try #require(manifest[name])
            let ico = ICOFile.parse(try #require(FixtureFiles.bytes("images", name)))
            #expect(ico.problems.isEmpty, "\(name): \(ico.problems)")
            #expect(ico.imagesEnd == facts.images_end, "\(name)")
            #expect(ico.trailing?.offset == facts.trailing_offset, "\(name)")
            #expect(ico.trailing?.size == facts.trailing_size, "\(name)")
            #expect(ico.trailing?.encoding.rawValue == facts.encoding, "\(name)")
            #expect(ico.trailing?.decodedSize == facts.decoded_size, "\(name)")
            if let entries = facts.entries {
                #expect(ico.entries.map { Int($0.offset) } == entries.map(\.offset), "\(name)")
                #expect(ico.entries.map { Int($0.size) } == entries.map(\.size), "\(name)")
            }
            if let formats = facts.formats { #expect(ico.entries.map(\.format.rawValue) == formats) }
        }
    }

    @Test func threeCXStyleDollarBase64TailIsMeasuredExactly() throws {
        let manifest = try Self.manifest()
        let facts = try #require(manifest["icon-3cx.ico"])
        let bytes = try #require(FixtureFiles.bytes("images", "icon-3cx.ico"))
        let ico = ICOFile.parse(bytes)
        let tail = try #require(ico.trailing)
        #expect(tail.offset == 1115 && tail.offset == facts.trailing_offset)
        #expect(tail.size == 85 && tail.size == facts.trailing_size)
        #expect(tail.offset + tail.size == bytes.count)
        #expect(tail.encoding == .dollarBase64)
        #expect(tail.decodedSize == 61)
        #expect(tail.preview.hasPrefix("$"))
        #expect(tail.entropy > 5 && tail.entropy < 6.5)  // base64 text: at most log2(65) ≈ 6.02 bits per byte
        #expect(ico.entries[2].width == 256)  // a stored 0 means 256
        #expect(ico.textReport().contains("trailing bytes: 85 at offset 1115"))
    }

    @Test func bytesAfterIENDInsideAnICOEntryAreFound() throws {
        let manifest = try Self.manifest()
        let facts = try #require(manifest["icon-png-inner-tail.ico"])
        let ico = ICOFile.parse(try #require(FixtureFiles.bytes("images", "icon-png-inner-tail.ico")))
        #expect(ico.trailing == nil)
        let png = try #require(ico.entries.first?.png)
        #expect(png.iendEnd == facts.inner_iend_end)
        #expect(png.trailing?.size == facts.inner_trailing_size)
        #expect(png.trailing?.encoding == .dollarBase64)
    }

    @Test func malformedICODirectory() {
        // count 3000 (capped at 1024, then truncated), an entry pointing past the end, overlapping images.
        var b: [UInt8] = [0, 0, 1, 0, 0xB8, 0x0B]
        #expect(ICOFile.parse(b).problems.contains { $0.message.contains("exceeds the cap") })
        b = [0, 0, 1, 0, 2, 0]
        b += [16, 16, 0, 0, 1, 0, 32, 0] + [0x00, 0x10, 0, 0] + [38, 0, 0, 0]  // 4096 bytes at 38: past the end
        b += [16, 16, 0, 0, 1, 0, 32, 0] + [40, 0, 0, 0] + [38, 0, 0, 0]
        b += [UInt8](repeating: 0, count: 40)
        let ico = ICOFile.parse(b)
        #expect(ico.entries.map(\.format) == [.outOfRange, .unknown])
        #expect(ico.problems.contains { $0.message.contains("lies outside the file") && $0.offset == 6 })
        #expect(ico.problems.contains { $0.message.contains("neither PNG nor") && $0.offset == 38 })
        #expect(ico.imagesEnd == 78)
        #expect(ICOFile.parse([0, 0]).problems.first?.message.contains("truncated") == true)
    }

    @Test func crcMatchesZlibReferenceValues() {
        // zlib.crc32(b"IEND") == 0xAE426082 and zlib.crc32(b"123456789") == 0xCBF43926 (the CRC-32 check value).
        let iend = PNGImage.parse(PNGImage.signature + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82])
        #expect(iend.chunks.first?.computedCRC == 0xAE42_6082)
        #expect(iend.chunks.first?.crcValid == true)
        let check = PNGImage.parse(PNGImage.signature + [0, 0, 0, 5] + Array("123456789".utf8) + [0, 0, 0, 0])
        #expect(check.chunks.first?.computedCRC == 0xCBF4_3926)
        #expect(check.problems.contains { $0.message.contains("first chunk is 1234") })
    }

    @Test(arguments: [
        ("$QUJDRA==", TrailingEncoding.dollarBase64), ("deadbeefcafebabe", .hex), ("QUJDREVGR0hJSktM\n", .base64),
        ("just some words.", .text), ("\u{0}\u{0}\u{0}", .zeros), ("QUJDRA=x", .text),
    ])
    func encodingGuesses(_ text: String, _ expected: TrailingEncoding) {
        let png = PNGImage.parse(
            PNGImage.signature + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82] + Array(text.utf8))
        #expect(png.trailing?.encoding == expected)
        #expect(png.trailing?.size == text.utf8.count)
    }

    @Test func binaryTailEncoding() {
        let tail: [UInt8] = [0x00, 0xFF, 0x10, 0x80, 0x7F, 0x01, 0x02, 0x03]
        let png = PNGImage.parse(PNGImage.signature + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82] + tail)
        #expect(png.trailing?.encoding == .binary)
        #expect(png.trailing?.entropy == 3)  // 8 distinct bytes, each once
    }
}
