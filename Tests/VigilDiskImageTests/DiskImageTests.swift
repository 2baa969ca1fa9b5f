import Crypto
import Foundation
import Testing
import VigilDiskImage
import _VigilTestSupport

/// Builds test images with the repository's own writers (scripts/dmg): an HFS+ volume
/// (make_hfsplus.py) or an APFS container (make_apfs.py) from a folder tree, wrapped into UDIF
/// (make_udif.py).
enum Images {
    static let scripts = TestSupport.repositoryRoot.appendingPathComponent("scripts/dmg")

    static func python(_ args: [String]) throws {
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + args)
        guard r.status == 0 else { throw NSError(domain: "python", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
    }

    static func hfs(from source: URL, to output: URL, name: String = "Vigil Test", hfsx: Bool = false) throws {
        try python([scripts.appendingPathComponent("make_hfsplus.py").path, source.path, output.path, "--name", name] + (hfsx ? ["--hfsx"] : []))
    }

    /// Writes a single-volume APFS container; when apfsprogs is installed, `apfsck` must find no
    /// error in it (an independent check of the writer).
    static func apfs(from source: URL, to output: URL, name: String = "Vigil APFS") throws {
        try python([scripts.appendingPathComponent("make_apfs.py").path, source.path, output.path, "--name", name])
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/apfsck") {
            let r = try TestSupport.run(URL(fileURLWithPath: "/usr/sbin/apfsck"), ["-cuw", output.path])
            #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty, "apfsck: \(r.stdout) \(r.stderr)")
        } else {
            print("note: /usr/sbin/apfsck (apt apfsprogs) is missing; the APFS image is not cross-checked")
        }
    }

    /// Path -> SHA-256 of every regular file under `source`.
    static func sourceDigests(_ source: URL) throws -> [String: String] {
        var expected: [String: String] = [:]
        let walker = FileManager.default.enumerator(atPath: source.path)!
        while let rel = walker.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: source.appendingPathComponent(rel).path)
            if attributes[.type] as? FileAttributeType == .typeRegular {
                expected[rel] = sha256([UInt8](try Data(contentsOf: source.appendingPathComponent(rel))))
            }
        }
        return expected
    }

    static func udif(_ input: URL, _ output: URL, gpt: Bool = false, apfs: Bool = false, methods: String = "zlib,bzip2,raw,lzma,adc", hostile: String? = nil) throws {
        var args = [scripts.appendingPathComponent("make_udif.py").path, input.path, output.path, "--methods", methods]
        if gpt { args.append("--gpt") }
        if apfs { args.append("--apfs") }
        if let hostile { args += ["--hostile", hostile] }
        try python(args)
    }

    /// A generated tree: nested folders, files of several sizes (random and compressible), a symlink.
    static func tree(in dir: URL) throws -> [String: [UInt8]] {
        var rng = SeededRandom(seed: 15)
        var files: [String: [UInt8]] = [:]
        let sizes = [0, 1, 511, 4096, 70_000, 200_003]
        for (i, size) in sizes.enumerated() {
            let folder = i % 2 == 0 ? "Example.app/Contents/MacOS" : "Example.app/Contents/Frameworks/Deep/Er"
            var bytes = [UInt8](repeating: 0, count: size)
            for k in 0..<size { bytes[k] = i % 3 == 0 ? UInt8(k / 300 % 7) : UInt8(truncatingIfNeeded: rng.next()) }
            let path = "\(folder)/file-\(i).bin"
            try TestSupport.write(bytes, to: path, in: dir)
            files[path] = bytes
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("Empty Folder"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("Example.app/Contents/link").path, withDestinationPath: "MacOS/file-0.bin")
        return files
    }

    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    /// Extracts every file of `image` and returns path -> SHA-256.
    static func digests(_ image: DiskImage, in dir: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for (n, entry) in image.entries().entries.enumerated() where entry.kind == .file {
            let dest = dir.appendingPathComponent("x\(n)").path
            let written = try image.extract(entry, to: dest, maximumBytes: 1 << 30)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dest)))
            #expect(UInt64(bytes.count) == written && written == entry.size, "\(entry.path): size \(entry.size), wrote \(written)")
            out[entry.path] = sha256(bytes)
        }
        return out
    }
}

@Suite("Disk images") struct DiskImageTests {
    @Test("UDIF with zlib, bzip2, raw, LZMA and ADC chunks around a bare HFS+ volume: listing and bytes match the tree")
    func bareHFS() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try Images.tree(in: dir.appendingPathComponent("src"))
        try Images.hfs(from: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("v.img"))
        try Images.udif(dir.appendingPathComponent("v.img"), dir.appendingPathComponent("v.dmg"))
        let image = try DiskImage(path: dir.appendingPathComponent("v.dmg").path)
        #expect(image.format == .udif)
        #expect(image.partitions.map(\.scheme) == [.bare])
        #expect(image.volumes.map(\.kind) == [.hfsPlus])
        #expect(image.volumes.first?.name == "Vigil Test")
        #expect(image.notices.isEmpty, "\(image.notices)")
        let kinds = Set((image.udif?.tables ?? []).flatMap(\.chunks).map(\.kind))
        #expect(kinds.isSuperset(of: [.zlib, .bzip2, .raw, .lzma, .adc, .zeroFill]), "\(kinds)")
        let (entries, notices) = image.entries()
        #expect(notices.isEmpty, "\(notices)")
        let byPath = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["Empty Folder"]?.kind == .directory)
        #expect(byPath["Example.app/Contents/Frameworks/Deep/Er"]?.kind == .directory)
        #expect(byPath["Example.app/Contents/link"]?.kind == .symbolicLink)
        #expect(byPath["Example.app/Contents/link"]?.linkTarget == "MacOS/file-0.bin")
        let digests = try Images.digests(image, in: dir)
        #expect(digests == files.mapValues(Images.sha256))
    }

    @Test("GPT disk in UDIF, HFSX volume: the partition is found at LBA 40 and the tree matches")
    func gptHFSX() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try Images.tree(in: dir.appendingPathComponent("src"))
        try Images.hfs(from: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("v.img"), hfsx: true)
        try Images.udif(dir.appendingPathComponent("v.img"), dir.appendingPathComponent("v.dmg"), gpt: true, methods: "bzip2,zlib")
        let image = try DiskImage(path: dir.appendingPathComponent("v.dmg").path)
        let hfs = image.partitions.filter { $0.fileSystem == .hfsx }
        #expect(hfs.count == 1)
        #expect(hfs.first?.scheme == .gpt)
        #expect(hfs.first?.offset == 40 * 512)
        #expect(hfs.first?.type.hasPrefix("Apple HFS+") == true)
        #expect(try Images.digests(image, in: dir) == files.mapValues(Images.sha256))
    }

    @Test("The 3CX-like macOS bundle in a GPT UDIF image lists as the unpacked tree, same SHA-256")
    func threeCX() throws {
        let source = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/threecx/macos")
        guard FileManager.default.fileExists(atPath: source.path) else {
            print("skipped: Fixtures/build/threecx is missing (run scripts/build-fixtures.sh)")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Images.hfs(from: source, to: dir.appendingPathComponent("v.img"), name: "3CX Desktop App")
        try Images.udif(dir.appendingPathComponent("v.img"), dir.appendingPathComponent("3cx.dmg"), gpt: true)
        let image = try DiskImage(path: dir.appendingPathComponent("3cx.dmg").path)
        var expected: [String: String] = [:]
        let walker = FileManager.default.enumerator(atPath: source.path)!
        while let rel = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: source.appendingPathComponent(rel).path, isDirectory: &isDir)
            if !isDir.boolValue { expected[rel] = Images.sha256([UInt8](try Data(contentsOf: source.appendingPathComponent(rel)))) }
        }
        #expect(expected["3CX Desktop App.app/Contents/Frameworks/libffmpeg.dylib"] != nil)
        #expect(try Images.digests(image, in: dir) == expected)
    }

    @Test("A raw (not UDIF) HFS+ image opens as a bare volume")
    func rawVolume() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Images.tree(in: dir.appendingPathComponent("src"))
        try Images.hfs(from: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("v.img"))
        let image = try DiskImage(path: dir.appendingPathComponent("v.img").path)
        #expect(image.format == .raw)
        #expect(image.entries().entries.filter { $0.kind == .file }.count == 6)
    }

    @Test("An APFS container made by mkapfs (apfsprogs) in a GPT UDIF image: one empty volume, read through libfsapfs")
    func apfs() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkapfs") else {
            print("skipped: /usr/sbin/mkapfs (apt apfsprogs) is missing")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = dir.appendingPathComponent("a.img")
        FileManager.default.createFile(atPath: img.path, contents: nil)
        let h = try FileHandle(forWritingTo: img)
        try h.truncate(atOffset: 512 << 20)
        try h.close()
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/sbin/mkapfs"), ["-L", "Vigil APFS", img.path])
        #expect(r.status == 0, "\(r.stderr)")
        try Images.udif(img, dir.appendingPathComponent("a.dmg"), gpt: true, apfs: true, methods: "zlib")
        try FileManager.default.removeItem(at: img)
        let image = try DiskImage(path: dir.appendingPathComponent("a.dmg").path)
        #expect(image.partitions.first?.fileSystem == .apfs)
        #expect(image.volumes.map(\.kind) == [.apfs])
        #expect(image.volumes.first?.name == "Vigil APFS")
        let listing = image.entries()
        #expect(listing.entries.isEmpty && listing.notices.isEmpty, "\(listing)")
    }

    @Test("An APFS container with files (make_apfs.py) in a GPT UDIF image: listing, kinds, link target and bytes match the tree")
    func apfsWithFiles() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try Images.tree(in: dir.appendingPathComponent("src"))
        let img = dir.appendingPathComponent("a.img")
        try Images.apfs(from: dir.appendingPathComponent("src"), to: img, name: "Vigil APFS")
        try Images.udif(img, dir.appendingPathComponent("a.dmg"), gpt: true, apfs: true, methods: "zlib,bzip2,lzma,adc,raw")
        let image = try DiskImage(path: dir.appendingPathComponent("a.dmg").path)
        #expect(image.partitions.map(\.fileSystem) == [.apfs])
        #expect(image.partitions.first?.type.contains("APFS") == true, "\(image.partitions)")
        #expect(image.volumes.map(\.kind) == [.apfs])
        #expect(image.volumes.first?.name == "Vigil APFS")
        #expect(image.notices.isEmpty, "\(image.notices)")
        let (entries, notices) = image.entries()
        #expect(notices.isEmpty, "\(notices)")
        let byPath = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["Empty Folder"]?.kind == .directory)
        #expect(byPath["Example.app/Contents/Frameworks/Deep/Er"]?.kind == .directory)
        #expect(byPath["Example.app/Contents/link"]?.kind == .symbolicLink)
        #expect(byPath["Example.app/Contents/link"]?.linkTarget == "MacOS/file-0.bin")
        #expect(!byPath.keys.contains { $0.hasPrefix("private-dir") }, "the private folder is not part of the tree")
        #expect(try Images.digests(image, in: dir) == files.mapValues(Images.sha256))
        // The same container without UDIF opens as a bare volume.
        let raw = try DiskImage(path: img.path)
        #expect(raw.format == .raw && raw.volumes.map(\.kind) == [.apfs])
        #expect(raw.entries().entries.filter { $0.kind == .file }.count == files.count)
    }

    @Test("A tree of 1,500 files makes a file-system tree and object map of several levels; every file reads back")
    func apfsManyFiles() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [String: [UInt8]] = [:]
        var rng = SeededRandom(seed: 1500)
        for i in 0..<1500 {
            // Long names and a few non-ASCII ones, so records are large and hashes vary.
            let name = i % 9 == 0 ? "Ünïcödé \(i).dat" : "file-\(i)-" + String(repeating: "x", count: i % 50) + ".bin"
            let path = "folder \(i % 12)/sub \(i % 5)/\(name)"
            let bytes = (0..<(i % 4 == 0 ? 0 : Int(rng.next() % 9000))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            try TestSupport.write(bytes, to: path, in: dir.appendingPathComponent("src"))
            files[path] = bytes
        }
        let img = dir.appendingPathComponent("m.img")
        try Images.apfs(from: dir.appendingPathComponent("src"), to: img)
        // Three levels of file-system tree nodes: the root is an index node of level 2.
        let bytes = try Data(contentsOf: img)
        var rootLevels: [UInt16] = []
        for block in stride(from: 0, to: bytes.count, by: 4096) where bytes[block + 24] == 2 && bytes[block + 25] == 0 && bytes[block + 28] == 0x0E {
            rootLevels.append(UInt16(bytes[block + 34]) | UInt16(bytes[block + 35]) << 8)
        }
        #expect(rootLevels.count == 1 && rootLevels[0] >= 1, "file-system tree roots and levels: \(rootLevels)")
        let image = try DiskImage(path: img.path)
        let digests = try Images.digests(image, in: dir)
        #expect(digests.count == 1500)
        #expect(digests == files.mapValues(Images.sha256))
    }

    @Test("The 3CX-like macOS bundle in an APFS container in UDIF lists as the unpacked tree, same SHA-256")
    func threeCXAPFS() throws {
        let source = TestSupport.repositoryRoot.appendingPathComponent("Fixtures/build/threecx/macos")
        guard FileManager.default.fileExists(atPath: source.path) else {
            print("skipped: Fixtures/build/threecx is missing (run scripts/build-fixtures.sh)")
            return
        }
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Images.apfs(from: source, to: dir.appendingPathComponent("v.img"), name: "3CX Desktop App")
        try Images.udif(dir.appendingPathComponent("v.img"), dir.appendingPathComponent("3cx.dmg"), gpt: true, apfs: true)
        let image = try DiskImage(path: dir.appendingPathComponent("3cx.dmg").path)
        #expect(image.volumes.map(\.kind) == [.apfs])
        let expected = try Images.sourceDigests(source)
        #expect(expected["3CX Desktop App.app/Contents/Frameworks/libffmpeg.dylib"] != nil)
        #expect(try Images.digests(image, in: dir) == expected)
    }

    @Test("A member larger than the per-member cap is refused, and nothing is left behind")
    func memberCap() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Images.tree(in: dir.appendingPathComponent("src"))
        try Images.hfs(from: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("v.img"))
        try Images.udif(dir.appendingPathComponent("v.img"), dir.appendingPathComponent("v.dmg"))
        let work = dir.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        do {
            let image = try DiskImage(path: dir.appendingPathComponent("v.dmg").path, workDirectory: work.path)
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).count == 1)  // the decoded disk
            let big = image.entries().entries.first { $0.size == 200_003 }!
            #expect {
                try image.extract(big, to: dir.appendingPathComponent("out").path, maximumBytes: 100_000)
            } throws: { ($0 as? DiskImageError)?.code == .limitExceeded }
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
    }
}

@Suite("Disk images: hostile input") struct HostileDiskImageTests {
    /// Builds a hostile variant and opens it; returns the error (or nil) and the elapsed seconds.
    static func open(hostile: String?, mutate: ((inout [UInt8]) -> Void)? = nil, gpt: Bool = true) throws -> (DiskImageError?, DiskImage?) {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Images.tree(in: dir.appendingPathComponent("src"))
        try Images.hfs(from: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("v.img"))
        try Images.udif(dir.appendingPathComponent("v.img"), dir.appendingPathComponent("v.dmg"), gpt: gpt, methods: "zlib,bzip2", hostile: hostile)
        let path = dir.appendingPathComponent("v.dmg")
        if let mutate {
            var bytes = [UInt8](try Data(contentsOf: path))
            mutate(&bytes)
            try Data(bytes).write(to: path)
        }
        do {
            return (nil, try DiskImage(path: path.path))
        } catch {
            return (error, nil)
        }
    }

    @Test("Truncated koly trailer: not a UDIF image, and no volume found in the rest")
    func truncatedKoly() throws {
        let (error, _) = try Self.open(hostile: nil) { $0.removeLast(100) }
        #expect(error?.code == .notRecognised, "\(String(describing: error))")
    }

    @Test("koly with a wrong header size or an XML range past the file is malformed")
    func badKoly() throws {
        let (e1, _) = try Self.open(hostile: nil) { b in b[b.count - 512 + 10] = 1 }
        #expect(e1?.code == .malformed && e1?.message.contains("header size") == true, "\(String(describing: e1))")
        let (e2, _) = try Self.open(hostile: nil) { b in b[b.count - 512 + 216] = 0x7F }
        #expect(e2?.code == .malformed && e2?.message.contains("outside") == true, "\(String(describing: e2))")
    }

    @Test("A chunk whose stored length lies fails with the chunk named")
    func lyingLength() throws {
        let (error, _) = try Self.open(hostile: "lying-length")
        #expect(error?.code == .malformed, "\(String(describing: error))")
        #expect(error?.message.contains("chunk") == true)
    }

    @Test("Overlapping sector runs are refused")
    func overlap() throws {
        let (error, _) = try Self.open(hostile: "overlap")
        #expect(error?.code == .malformed && error?.message.contains("overlaps") == true, "\(String(describing: error))")
    }

    @Test("A zlib bomb inside a chunk stops at the declared size, memory bounded")
    func bomb() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let (error, _) = try Self.open(hostile: "bomb")
        #expect(error?.code == .malformed && error?.message.contains("more than the declared") == true, "\(String(describing: error))")
        #expect(clock.now - start < .seconds(60))
    }

    @Test("An LZFSE chunk gives a clear 'unsupported compression' notice; over the partition map, the error says so")
    func lzfse() throws {
        let (e0, _) = try Self.open(hostile: "lzfse", gpt: false)
        #expect(e0?.message.contains("unsupported compression LZFSE in chunk") == true, "\(String(describing: e0))")
        let (error, image) = try Self.open(hostile: "lzfse")
        // The LZFSE chunk is in the backup GPT region: the volume still opens, with the notice.
        #expect(error == nil, "\(String(describing: error))")
        let notice = image?.notices.first { $0.message.contains("unsupported compression LZFSE in chunk") }
        #expect(notice != nil, "\(image?.notices ?? [])")
    }

    @Test("A table past the disk's end and a huge declared disk are refused before any work")
    func sizes() throws {
        let (e1, _) = try Self.open(hostile: "past-end")
        #expect(e1?.code == .malformed && e1?.message.contains("past the end") == true, "\(String(describing: e1))")
        let (e2, _) = try Self.open(hostile: "huge-disk")
        #expect(e2?.code == .limitExceeded, "\(String(describing: e2))")
    }

    @Test("Garbage volumes: a UDIF image of random bytes, and an HFS+ header over garbage")
    func garbage() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededRandom(seed: 7)
        var noise = [UInt8](repeating: 0, count: 1 << 20)
        for i in noise.indices { noise[i] = UInt8(truncatingIfNeeded: rng.next()) }
        try TestSupport.write(noise, to: "noise.img", in: dir)
        try Images.udif(dir.appendingPathComponent("noise.img"), dir.appendingPathComponent("noise.dmg"))
        #expect {
            try DiskImage(path: dir.appendingPathComponent("noise.dmg").path)
        } throws: { ($0 as? DiskImageError)?.code == .notRecognised }
        noise[1024..<1028] = [0x48, 0x2B, 0x00, 0x04]
        try TestSupport.write(noise, to: "fake.img", in: dir)
        try Images.udif(dir.appendingPathComponent("fake.img"), dir.appendingPathComponent("fake.dmg"), gpt: true)
        #expect {
            try DiskImage(path: dir.appendingPathComponent("fake.dmg").path)
        } throws: { ($0 as? DiskImageError)?.code == .fileSystem }
    }

    @Test("Mutated HFS+ volumes (header, B-tree headers, catalog): each opens, lists and reads or fails cleanly, no trap or hang")
    func mutatedVolumes() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Images.tree(in: dir.appendingPathComponent("src"))
        try Images.hfs(from: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("v.img"))
        let base = [UInt8](try Data(contentsOf: dir.appendingPathComponent("v.img")))
        var rng = SeededRandom(seed: 1515)
        var opened = 0, refused = 0
        let clock = ContinuousClock()
        let start = clock.now
        for round in 0..<150 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                // The volume header, the extents and attributes B-tree headers, the catalog B-tree.
                let regions = [1024..<1536, 8192..<16384, 16384..<49152]
                let r = regions[Int(rng.next() % 3)]
                bytes[r.lowerBound + Int(rng.next() % UInt64(r.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            let path = dir.appendingPathComponent("m\(round).img")
            try Data(bytes).write(to: path)
            do {
                let image = try DiskImage(path: path.path)
                opened += 1
                for entry in image.entries().entries where entry.kind == .file {
                    _ = try? image.read(entry, maximumBytes: 1 << 20) { _ in }
                }
            } catch {
                refused += 1
            }
            try FileManager.default.removeItem(at: path)
        }
        #expect(opened + refused == 150)
        #expect(opened > 0, "no mutated volume opened: the mutations are too coarse to test the walk")
        #expect(clock.now - start < .seconds(120))
    }

    /// APFS's object checksum (Fletcher-64 over the 32-bit words after the checksum field).
    static func fletcher64(_ block: ArraySlice<UInt8>) -> UInt64 {
        var lo: UInt64 = 0, hi: UInt64 = 0
        var i = block.startIndex + 8
        while i < block.endIndex {
            let word = UInt64(block[i]) | UInt64(block[i + 1]) << 8 | UInt64(block[i + 2]) << 16 | UInt64(block[i + 3]) << 24
            lo = (lo + word) % 0xFFFF_FFFF
            hi = (hi + lo) % 0xFFFF_FFFF
            i += 4
        }
        let c1 = 0xFFFF_FFFF - (lo + hi) % 0xFFFF_FFFF
        let c2 = 0xFFFF_FFFF - (lo + c1) % 0xFFFF_FFFF
        return c2 << 32 | c1
    }

    @Test("Mutated APFS metadata objects, checksums made valid again: each opens, lists and reads or fails cleanly, no trap or hang")
    func mutatedAPFS() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-dmg")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Images.tree(in: dir.appendingPathComponent("src"))
        let img = dir.appendingPathComponent("a.img")
        try Images.apfs(from: dir.appendingPathComponent("src"), to: img)
        let base = [UInt8](try Data(contentsOf: img))
        // The objects make_apfs.py writes carry transaction id 1; file data blocks do not.
        func isObject(_ b: Int) -> Bool {
            let xidIsOne = base[b + 16] == 1 && base[(b + 17)..<(b + 24)].allSatisfy { $0 == 0 }
            let hasID = base[(b + 8)..<(b + 16)].contains { $0 != 0 }
            return xidIsOne && hasID
        }
        let objects = stride(from: 0, to: base.count, by: 4096).filter(isObject)
        #expect(objects.count >= 12, "found \(objects.count) metadata objects")
        var rng = SeededRandom(seed: 4242)
        var opened = 0, refused = 0
        let clock = ContinuousClock()
        let start = clock.now
        let handle = try FileHandle(forUpdating: img)
        defer { try? handle.close() }
        for _ in 0..<120 {
            let at = objects[Int(rng.next() % UInt64(objects.count))]
            var block = Array(base[at..<(at + 4096)])
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                block[8 + Int(rng.next() % 4088)] = UInt8(truncatingIfNeeded: rng.next())
            }
            let sum = Self.fletcher64(block[...])
            for k in 0..<8 { block[k] = UInt8(truncatingIfNeeded: sum >> (8 * UInt64(k))) }
            try handle.seek(toOffset: UInt64(at))
            try handle.write(contentsOf: block)
            do {
                let image = try DiskImage(path: img.path)
                opened += 1
                for entry in image.entries().entries where entry.kind == .file {
                    _ = try? image.read(entry, maximumBytes: 1 << 20) { _ in }
                }
            } catch {
                refused += 1
            }
            try handle.seek(toOffset: UInt64(at))
            try handle.write(contentsOf: base[at..<(at + 4096)])
        }
        #expect(opened + refused == 120)
        #expect(opened > 0, "no mutated container opened: the mutations are too coarse to test the walk")
        #expect(clock.now - start < .seconds(180))
    }

    @Test("Partition maps: a GPT entry past the disk is a notice; an APM declaring a billion entries is capped")
    func partitionMaps() throws {
        var disk = [UInt8](repeating: 0, count: 64 * 512)
        disk[512..<520] = ArraySlice("EFI PART".utf8)
        func le32(_ v: UInt32, _ at: Int) { for k in 0..<4 { disk[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) } }
        func le64(_ v: UInt64, _ at: Int) { for k in 0..<8 { disk[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) } }
        le64(2, 512 + 72); le32(4, 512 + 80); le32(128, 512 + 84)
        disk[1024] = 0x01  // a non-zero type GUID
        le64(40, 1024 + 32); le64(1_000_000, 1024 + 40)
        let gpt = try PartitionMap.read(DiskBytes(disk))
        #expect(gpt.partitions.isEmpty)
        #expect(gpt.notices.first?.message.contains("outside") == true, "\(gpt.notices)")

        var apm = [UInt8](repeating: 0, count: 8 * 512)
        apm[0] = 0x45; apm[1] = 0x52; apm[2] = 0x02; apm[3] = 0x00
        for e in 0..<7 {
            let at = 512 * (e + 1)
            apm[at] = 0x50; apm[at + 1] = 0x4D
            apm[at + 4..<at + 8] = [0x3B, 0x9A, 0xCA, 0x00]  // 1,000,000,000 entries
            apm[at + 11] = 1; apm[at + 15] = 1
        }
        let map = try PartitionMap.read(DiskBytes(apm))
        #expect(map.partitions.count == 7)
        #expect(map.notices.contains { $0.message.contains("only the first 256") })
        #expect(map.notices.contains { $0.message.contains("past the end") })
    }
}

@Suite("Disk images: property list") struct PropertyListTests {
    /// A UDIF image holding only `xml` and a trailer (empty data fork, `sectors` disk sectors).
    static func image(xml: String, sectors: UInt64 = 0) -> [UInt8] {
        var bytes = Array(xml.utf8)
        var koly = [UInt8](repeating: 0, count: 512)
        func be(_ v: UInt64, _ at: Int, _ n: Int) { for k in 0..<n { koly[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(n - 1 - k))) } }
        koly[0..<4] = ArraySlice("koly".utf8)
        be(4, 4, 4); be(512, 8, 4); be(1, 60, 4)
        be(0, 216, 8); be(UInt64(bytes.count), 224, 8); be(sectors, 492, 8)
        bytes += koly
        return bytes
    }

    @Test("Entities, comments, self-closing elements and an empty blkx array read; deep nesting and broken XML are errors")
    func parse() throws {
        let ok = Self.image(xml: """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
            <plist version="1.0"><dict><key>resource-fork</key><dict><key>blkx</key><array/>
            <key>plst</key><array><dict><key>Name</key><string>a &amp; b &#x41;</string><key>ID</key><integer>0</integer><key>x</key><true/></dict></array>
            </dict></dict></plist>
            """)
        #expect(try UDIFImage.read(bytes: ok).tables.isEmpty)
        let deep = Self.image(xml: "<plist>" + String(repeating: "<array>", count: 100) + String(repeating: "</array>", count: 100) + "</plist>")
        #expect { try UDIFImage.read(bytes: deep) } throws: { ($0 as? DiskImageError)?.message.contains("nested deeper") == true }
        let broken = Self.image(xml: "<plist><dict><key>resource-fork</key><dict><key>blkx</key><array><dict><key>Data</key><data>!!!</data></dict></array></dict></dict></plist>")
        #expect { try UDIFImage.read(bytes: broken) } throws: { ($0 as? DiskImageError)?.message.contains("base64") == true }
        let unterminated = Self.image(xml: "<plist><dict><key>resource-fork")
        #expect { try UDIFImage.read(bytes: unterminated) } throws: { ($0 as? DiskImageError)?.code == .malformed }
    }
}
