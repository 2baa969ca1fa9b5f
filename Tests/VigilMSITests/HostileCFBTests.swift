import Foundation
import Testing
import _VigilTestSupport
@testable import VigilMSI

/// Broken compound files: each must end in a clear error, never a trap or a hang.
@Suite("Compound file, hostile")
struct HostileCFBTests {
    static func sample() -> CFBWriter.Layout {
        var w = CFBWriter()
        w.add(Array("small".utf16), Array(repeating: 7, count: 100))
        w.add(Array("big".utf16), (0..<10_000).map { UInt8($0 & 0xFF) })
        w.add(Array("empty".utf16), [])
        return w.write()
    }

    static func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
        for k in 0..<4 { b[o + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
    }

    @Test("the writer's file reads back: names, sizes, contents of mini and regular streams")
    func roundTrip() throws {
        let cfb = try CompoundFile(bytes: Self.sample().bytes)
        let kids = cfb.children(of: 0)
        #expect(kids.map(\.name) == ["small", "big", "empty"])
        #expect(try cfb.read(kids[0], maxBytes: 1000) == Array(repeating: 7, count: 100))
        #expect(try cfb.read(kids[1], maxBytes: 20_000) == (0..<10_000).map { UInt8($0 & 0xFF) })
        #expect(try cfb.read(kids[2], maxBytes: 0) == [])
        #expect(throws: CFBError.self) { try cfb.read(kids[1], maxBytes: 9_999) }
    }

    @Test("every truncation of a real MSI is an error or a smaller reading, never a trap")
    func truncated() throws {
        let path = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/msi/threecx.msi").path
        let bytes: [UInt8]
        if let d = FileManager.default.contents(atPath: path) { bytes = [UInt8](d) } else { bytes = Self.sample().bytes }
        var errors = 0
        for cut in stride(from: 0, to: bytes.count, by: 97) {
            do {
                let msi = try MSIPackage(bytes: Array(bytes.prefix(cut)))
                _ = msi.files
            } catch {
                errors += 1
                #expect(!"\(error)".isEmpty)
            }
        }
        #expect(errors > 0)
        #expect {
            try CompoundFile(bytes: Array(bytes.prefix(300)))
        } throws: { error in
            (error as? CFBError) == .truncated(offset: 0, needed: 512)
        }
        #expect(throws: CFBError.notCompoundFile) { try CompoundFile(bytes: Array("MZ not an msi at all, long enough to pass".utf8)) }
    }

    @Test("a FAT entry pointing back at its own sector is a chain cycle")
    func fatCycle() throws {
        var layout = Self.sample()
        let big = layout.starts[1]
        #expect(!big.mini)
        // Second sector of "big" points back to the first.
        let second = big.sector + 1
        Self.put32(&layout.bytes, layout.fatOffset + 4 * Int(second), big.sector)
        let cfb = try CompoundFile(bytes: layout.bytes)
        let entry = try #require(cfb.children(of: 0).first { $0.name == "big" })
        #expect {
            try cfb.read(entry, maxBytes: 1 << 20)
        } throws: { error in
            guard case CFBError.chainCycle(let m) = error else { return false }
            return m.contains("sector \(big.sector) is reached twice")
        }
    }

    @Test("a directory chain that loops is a chain cycle")
    func directoryChainCycle() throws {
        var layout = Self.sample()
        let dirSector = layout.directoryOffset / 512 - 1
        Self.put32(&layout.bytes, layout.fatOffset + 4 * dirSector, UInt32(dirSector))
        #expect(throws: CFBError.chainCycle("directory: sector \(dirSector) is reached twice")) {
            try CompoundFile(bytes: layout.bytes)
        }
    }

    @Test("directory tree links: a cycle and an out-of-range id are errors")
    func directoryTree() throws {
        var cycle = Self.sample()
        // Entry 3 ("empty") gets entry 1 as its right sibling: 1 -> 2 -> 3 -> 1.
        Self.put32(&cycle.bytes, cycle.directoryOffset + 128 * 3 + 72, 1)
        #expect(throws: CFBError.directoryCycle(id: 1)) { try CompoundFile(bytes: cycle.bytes) }

        var selfLeft = Self.sample()
        Self.put32(&selfLeft.bytes, selfLeft.directoryOffset + 128 * 2 + 68, 2)
        #expect(throws: CFBError.directoryCycle(id: 2)) { try CompoundFile(bytes: selfLeft.bytes) }

        var outOfRange = Self.sample()
        Self.put32(&outOfRange.bytes, outOfRange.directoryOffset + 128 * 1 + 68, 999_999)
        #expect {
            try CompoundFile(bytes: outOfRange.bytes)
        } throws: { error in
            guard case CFBError.badReference(let m) = error else { return false }
            return m.contains("999999")
        }
    }

    @Test("huge declared sizes are refused before reading")
    func hugeSizes() throws {
        var layout = Self.sample()
        // "big" claims 4 GiB - 1 (version 3 keeps 32 bits).
        Self.put32(&layout.bytes, layout.directoryOffset + 128 * 2 + 120, 0xFFFF_FFFF)
        let cfb = try CompoundFile(bytes: layout.bytes)
        let entry = try #require(cfb.children(of: 0).first { $0.name == "big" })
        #expect(throws: CFBError.self) { try cfb.read(entry, maxBytes: Int.max) }
        #expect(throws: CFBError.limit("stream 'big' declares 4294967295 bytes (cap 1048576)")) {
            try cfb.read(entry, maxBytes: 1 << 20)
        }
        // The header claims more FAT sectors than the file has.
        var fat = Self.sample()
        Self.put32(&fat.bytes, 0x2C, 0x7FFF_FFFF)
        #expect(throws: CFBError.self) { try CompoundFile(bytes: fat.bytes) }
        // A mini stream larger than the cap.
        var limits = CFBLimits()
        limits.maxMiniStreamBytes = 64
        #expect(throws: CFBError.self) { try CompoundFile(bytes: Self.sample().bytes, limits: limits) }
    }

    @Test("a FAT cycle inside a real MSI's cabinet stream is reported when the cabinet is extracted")
    func fatCycleInRealMSI() throws {
        let path = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/msi/threecx.msi").path
        guard let data = FileManager.default.contents(atPath: path) else {
            Issue.record("Fixtures/build/msi/threecx.msi is missing: run scripts/build-fixtures.sh")
            return
        }
        var bytes = [UInt8](data)
        let cfb = try CompoundFile(bytes: bytes)
        let cab = try #require(cfb.children(of: 0).first { MSIStreamName.decode($0.nameUnits) == "threecx.cab" })
        #expect(cab.size >= 4096)
        let fatSector = Int(bytes[0x4C]) | Int(bytes[0x4D]) << 8 | Int(bytes[0x4E]) << 16 | Int(bytes[0x4F]) << 24
        let s = Int(cab.startSector)
        #expect(s < 128)
        Self.put32(&bytes, (fatSector + 1) * 512 + 4 * s, UInt32(s))
        let msi = try MSIPackage(bytes: bytes)
        let tmp = try TestSupport.makeTemporaryDirectory("vigil-msi")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let dest = tmp.appendingPathComponent("c.cab").path
        #expect {
            try msi.extractStream(named: "threecx.cab", to: dest, maxBytes: 1 << 30)
        } throws: { error in
            guard case MSIError.compoundFile(.chainCycle) = error else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: dest), "a failed extraction leaves no partial file")
    }
}
