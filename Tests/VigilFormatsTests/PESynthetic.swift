/// Builds small PE32+ images byte by byte for malformed-input tests, so they do not depend on a
/// compiler. Layout: DOS header with e_lfanew 0x40, COFF header at 0x44, a 240-byte optional header
/// at 0x58 (16 data directories), the section table at 0x148, SizeOfHeaders 0x200, and one section
/// `.data` at RVA 0x1000 whose raw data starts at file offset 0x200 (so RVA 0x1000 + x is file
/// offset 0x200 + x).
struct SyntheticPE {
    var bytes: [UInt8]
    static let sectionRVA: UInt32 = 0x1000
    static let sectionFile = 0x200
    static let optionalOffset = 0x58

    init(sectionSize: Int = 0x1000) {
        bytes = [UInt8](repeating: 0, count: Self.sectionFile + sectionSize)
        bytes[0] = 0x4D
        bytes[1] = 0x5A
        put32(0x3C, 0x40)
        put32(0x40, 0x0000_4550)
        put16(0x44, 0x8664)  // machine
        put16(0x46, 1)  // sections
        put16(0x54, 240)  // SizeOfOptionalHeader
        put16(0x56, 0x2022)  // characteristics: executable, large address aware, DLL
        let o = Self.optionalOffset
        put16(o, 0x20b)
        put32(o + 16, 0x1000)  // entry
        put64(o + 24, 0x1_8000_0000)  // ImageBase
        put32(o + 32, 0x1000)  // section alignment
        put32(o + 36, 0x200)  // file alignment
        put32(o + 56, 0x2000)  // SizeOfImage
        put32(o + 60, 0x200)  // SizeOfHeaders
        put16(o + 68, 3)
        put32(o + 108, 16)  // NumberOfRvaAndSizes
        let s = 0x148
        for (i, c) in ".data".utf8.enumerated() { bytes[s + i] = c }
        put32(s + 8, UInt32(sectionSize))  // virtual size
        put32(s + 12, Self.sectionRVA)
        put32(s + 16, UInt32(sectionSize))  // raw size
        put32(s + 20, UInt32(Self.sectionFile))
        put32(s + 36, 0xC000_0040)
    }

    mutating func put16(_ o: Int, _ v: UInt16) {
        bytes[o] = UInt8(v & 0xFF)
        bytes[o + 1] = UInt8(v >> 8)
    }

    mutating func put32(_ o: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[o + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) }
    }

    mutating func put64(_ o: Int, _ v: UInt64) {
        put32(o, UInt32(v & 0xFFFF_FFFF))
        put32(o + 4, UInt32(v >> 32))
    }

    mutating func putString(_ o: Int, _ s: String) {
        for (i, c) in s.utf8.enumerated() { bytes[o + i] = c }
        bytes[o + s.utf8.count] = 0
    }

    /// Sets data directory `index`.
    mutating func directory(_ index: Int, rva: UInt32, size: UInt32) {
        put32(Self.optionalOffset + 112 + 8 * index, rva)
        put32(Self.optionalOffset + 112 + 8 * index + 4, size)
    }

    /// File offset of section RVA `rva`.
    static func file(_ rva: UInt32) -> Int { sectionFile + Int(rva - sectionRVA) }
}
