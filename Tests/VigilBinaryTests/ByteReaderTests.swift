import Testing
import VigilBinary

@Suite struct ByteReaderTests {
    @Test func readsBothEndiannessesAndRejectsOutOfRange() throws {
        let r = ByteReader([0x01, 0x02, 0x03, 0x04, 0x05])
        #expect(try r.u32le(at: 0) == 0x0403_0201)
        #expect(try r.u32be(at: 1) == 0x0203_0405)
        #expect(throws: BinaryReadError.truncated(offset: 2, needed: 4)) { try r.u32le(at: 2) }
        #expect(throws: BinaryReadError.self) { try r.slice(at: Int.max, length: 2) }
        #expect(!r.contains(offset: -1, length: 1))
    }

    @Test func entropyOfUniformAndConstantData() {
        #expect(shannonEntropy([UInt8](repeating: 7, count: 100)) == 0)
        #expect(abs(shannonEntropy((0..<256).map { UInt8($0) }) - 8) < 1e-9)
    }
}
