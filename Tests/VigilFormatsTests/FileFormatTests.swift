import Testing
import VigilFormats

/// Identification by magic bytes, including the look-alikes that share a magic.
@Suite struct FileFormatTests {
    static func bytes(_ prefix: [UInt8], count: Int = 64) -> [UInt8] {
        prefix + [UInt8](repeating: 0, count: max(0, count - prefix.count))
    }

    @Test func javaClassFilesAreNotFatMachO() {
        // CAFEBABE, minor 0, major 52 (Java 8): the word after the magic reads 52.
        #expect(FileFormat.identify(Self.bytes([0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 52])) == .unknown)
        // A fat header with two architectures.
        #expect(FileFormat.identify(Self.bytes([0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 2])) == .machoFat)
        #expect(FileFormat.identify(Self.bytes([0xCA, 0xFE, 0xBA, 0xBF, 0, 0, 0, 1])) == .machoFat)
    }

    @Test func iconsAndCursorsWithAtLeastOneImage() {
        #expect(FileFormat.identify(Self.bytes([0, 0, 1, 0, 1, 0])) == .ico)
        #expect(FileFormat.identify(Self.bytes([0, 0, 2, 0, 1, 0])) == .ico)
        #expect(FileFormat.identify(Self.bytes([0, 0, 1, 0, 0, 0])) == .unknown)
    }

    @Test func peNeedsAReachableSignature() {
        var pe = Self.bytes([0x4D, 0x5A], count: 0x100)
        pe[0x3C] = 0x80
        #expect(FileFormat.identify(pe) == .mz)
        pe[0x80] = 0x50; pe[0x81] = 0x45
        #expect(FileFormat.identify(pe) == .pe)
        pe[0x3C] = 0xFF; pe[0x3D] = 0xFF  // e_lfanew beyond the file
        #expect(FileFormat.identify(pe) == .mz)
    }

    @Test func otherMagics() {
        #expect(FileFormat.identify(Self.bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) == .png)
        #expect(FileFormat.identify(Self.bytes([0xCF, 0xFA, 0xED, 0xFE])) == .macho)
        #expect(FileFormat.identify(Self.bytes([0x7F, 0x45, 0x4C, 0x46])) == .elf)
        #expect(FileFormat.identify(Self.bytes([0x50, 0x4B, 0x03, 0x04])) == .zip)
        #expect(FileFormat.identify(Self.bytes([0x1F, 0x8B])) == .gzip)
        #expect(FileFormat.identify([UInt8]()) == .unknown)
    }
}
