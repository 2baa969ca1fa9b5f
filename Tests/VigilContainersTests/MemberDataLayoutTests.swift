import Foundation
import Testing
import VigilContainers
import _VigilTestSupport

/// Archives written by Python's `tarfile` and `zipfile`, with where each regular member's data lies
/// as Python itself reports it (`TarInfo.offset_data`, `ZipInfo.header_offset` plus the local
/// header's lengths): the oracle the hand-read layouts are checked against.
private let oracleScript = #"""
import io, json, os, sys, tarfile, zipfile, struct
out = sys.argv[1]
files = {
    'a.txt': b'first member\n',
    'dir/b.bin': bytes(range(256)) * 40,
    'empty': b'',
    'd' * 120 + '/long-name-over-100-bytes.txt': b'long name\n' * 30,
    'caf\u00e9.txt': b'pax name\n',
}
oracle = {}
for fmt, name in [(tarfile.USTAR_FORMAT, 'ustar.tar'), (tarfile.GNU_FORMAT, 'gnu.tar'), (tarfile.PAX_FORMAT, 'pax.tar')]:
    path = os.path.join(out, name)
    with tarfile.open(path, 'w', format=fmt) as t:
        d = tarfile.TarInfo('dir'); d.type = tarfile.DIRTYPE; t.addfile(d)
        for n, data in files.items():
            if fmt == tarfile.USTAR_FORMAT and (len(n) > 100 or not n.isascii()):
                continue
            i = tarfile.TarInfo(n); i.size = len(data); t.addfile(i, io.BytesIO(data))
        l = tarfile.TarInfo('link'); l.type = tarfile.SYMTYPE; l.linkname = 'a.txt'; t.addfile(l)
    with tarfile.open(path) as t:
        members = [m for m in t.getmembers() if m.isreg()]
        oracle[name] = {'ranges': [[m.offset_data, m.offset_data + m.size] for m in members], 'sizes': [m.size for m in members]}
for method, name in [(zipfile.ZIP_STORED, 'stored.zip'), (zipfile.ZIP_DEFLATED, 'deflated.zip')]:
    path = os.path.join(out, name)
    with zipfile.ZipFile(path, 'w', method) as z:
        z.writestr('dir/', b'')
        for n, data in files.items():
            z.writestr(n, data)
        link = zipfile.ZipInfo('link'); link.create_system = 3; link.external_attr = (0o120777 << 16)
        z.writestr(link, b'a.txt')
    ranges, sizes = [], []
    raw = open(path, 'rb').read()
    with zipfile.ZipFile(path) as z:
        for i in z.infolist():
            if i.is_dir() or i.filename == 'link':
                continue
            sizes.append(i.file_size)
            if i.compress_type != zipfile.ZIP_STORED:
                continue  # compressed data stays the container's own
            n, e = struct.unpack('<HH', raw[i.header_offset + 26:i.header_offset + 30])
            start = i.header_offset + 30 + n + e
            ranges.append([start, start + i.compress_size])
    oracle[name] = {'ranges': ranges, 'sizes': sizes}
json.dump(oracle, open(os.path.join(out, 'oracle.json'), 'w'))
"""#

private func layout(of url: URL) throws -> MemberDataLayout? {
    let bytes = [UInt8](try Data(contentsOf: url))
    return layout(of: bytes)
}

private func layout(of bytes: [UInt8]) -> MemberDataLayout? {
    let probe = ContainerProbe(fileName: "x", size: Int64(bytes.count), head: Array(bytes.prefix(ContainerProbe.headBytes)), tail: [])
    guard let kind = MemberDataLayout.kind(of: probe) else { return nil }
    return MemberDataLayout.read(kind, size: Int64(bytes.count)) { offset, count in
        guard offset >= 0, offset < Int64(bytes.count) else { return [] }
        return Array(bytes[Int(offset)..<min(bytes.count, Int(offset) + count)])
    }
}

@Suite("Where archives keep member data")
struct MemberDataLayoutTests {
    @Test func tarAndZipRangesAreThoseAPythonReaderReports() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-layout")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", oracleScript, dir.path])
        try #require(r.status == 0, "\(r.stderr)")
        let oracle = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("oracle.json"))) as? [String: [String: Any]])
        #expect(oracle.count == 5)
        for (name, expected) in oracle.sorted(by: { $0.key < $1.key }) {
            let found = try #require(try layout(of: dir.appendingPathComponent(name)), "\(name): no layout")
            let ranges = (expected["ranges"] as? [[Int]] ?? []).map { Int64($0[0])..<Int64($0[1]) }.filter { !$0.isEmpty }
            #expect(found.dataRanges == ranges, "\(name)")
            #expect(found.regularMemberSizes == (expected["sizes"] as? [Int] ?? []).map { Int64($0) }, "\(name)")
            #expect(found.kind == (name.hasSuffix(".zip") ? .zip : .tar))
            // The framing and the data together are the whole file, without overlap.
            let size = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.size] as! Int
            let all = (found.framing + found.dataRanges).sorted { $0.lowerBound < $1.lowerBound }
            #expect(all.first?.lowerBound == 0 && all.last?.upperBound == Int64(size), "\(name)")
            for (a, b) in zip(all, all.dropFirst()) { #expect(a.upperBound == b.lowerBound, "\(name)") }
        }
        // The stored members' bytes are the data ranges, in order (an independent check of the tar).
        let tar = [UInt8](try Data(contentsOf: dir.appendingPathComponent("gnu.tar")))
        let pieces = try #require(layout(of: tar)).dataRanges.map { Array(tar[Int($0.lowerBound)..<Int($0.upperBound)]) }
        #expect(pieces.first == Array("first member\n".utf8))
        #expect(pieces.contains(Array(String(repeating: "long name\n", count: 30).utf8)))
    }

    @Test func aDeflatedMembersDataStaysTheContainersOwn() throws {
        // Bytes hidden after a deflate stream, inside the member's compressed size, are read by no
        // extractor: a layout that left compressed data out would hide them from every search.
        let dir = try TestSupport.makeTemporaryDirectory("vigil-layout-slack")
        defer { try? FileManager.default.removeItem(at: dir) }
        let slack = try #require(try ContainerFixtures.hostile(into: dir)["deflate-slack.zip"])
        let found = try #require(try layout(of: slack))
        #expect(found.dataRanges.isEmpty)
        #expect(found.regularMemberSizes == [1200])
        #expect(found.framing == [0..<found.fileSize])
        // The deflated data may be left out only when the reader ended exactly where it ends.
        let member = try #require(found.members.first)
        let data = try #require(member.data)
        let end = try #require(member.endAfterRead)
        #expect(end == data.upperBound)
        #expect(found.leftOut(after: [ReadMember(size: 1200, endOffset: end)]) == [data])
        #expect(found.leftOut(after: [ReadMember(size: 1200, endOffset: end - 27)]) == [])  // where libarchive stops: before the 27 hidden bytes
        #expect(found.leftOut(after: [ReadMember(size: 1200, endOffset: nil)]) == [])
        #expect(found.leftOut(after: [ReadMember(size: 1199, endOffset: end)]) == nil)  // another member
    }

    @Test func cabinetsAndOtherFormatsHaveNoLayout() throws {
        let cab = Array("MSCF".utf8) + [UInt8](repeating: 0, count: 60)
        let sevenZip: [UInt8] = [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C] + [UInt8](repeating: 0, count: 60)
        #expect(layout(of: cab) == nil)
        #expect(layout(of: sevenZip) == nil)
    }

    @Test func layoutsInDoubtAreRefused() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-layout-doubt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", "-c",
            #"""
            import io, sys, tarfile, zipfile
            out = sys.argv[1]
            with zipfile.ZipFile(out + '/a.zip', 'w') as z:
                z.writestr('one', b'A' * 100); z.writestr('two', b'B' * 100)
            with tarfile.open(out + '/s.tar', 'w', format=tarfile.GNU_FORMAT) as t:
                i = tarfile.TarInfo('x'); i.size = 3; t.addfile(i, io.BytesIO(b'abc'))
            """#,
            dir.path,
        ])
        try #require(r.status == 0, "\(r.stderr)")
        var archive = [UInt8](try Data(contentsOf: dir.appendingPathComponent("a.zip")))
        #expect(layout(of: archive)?.regularMemberSizes == [100, 100])
        // Point the second central entry's local header at the first: the members overlap.
        let cd = archive.indices.dropLast(3).filter { archive[$0] == 0x50 && archive[$0 + 1] == 0x4B && archive[$0 + 2] == 1 && archive[$0 + 3] == 2 }
        #expect(cd.count == 2)
        archive.replaceSubrange((cd[1] + 42)..<(cd[1] + 46), with: [0, 0, 0, 0])
        #expect(layout(of: archive) == nil)
        // A tar whose header checksum is wrong, and one cut inside its member's data.
        var tar = [UInt8](try Data(contentsOf: dir.appendingPathComponent("s.tar")))
        #expect(layout(of: tar)?.dataRanges == [512..<515])
        #expect(layout(of: Array(tar.prefix(600))) == nil)  // cut in the member's padding
        tar[0] ^= 0x01
        #expect(layout(of: tar) == nil)
        // Random damage never traps and never gives ranges outside the file or overlapping.
        var generator = SystemRandomNumberGenerator()
        for base in [[UInt8](try Data(contentsOf: dir.appendingPathComponent("a.zip"))), Array(tar.prefix(1024))] {
            for _ in 0..<2_000 {
                var bytes = base
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                if Bool.random(using: &generator) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator)) }
                guard let found = layout(of: bytes) else { continue }
                for r in found.dataRanges { #expect(r.lowerBound >= 0 && r.upperBound <= Int64(bytes.count)) }
                for (a, b) in zip(found.dataRanges, found.dataRanges.dropFirst()) { #expect(a.upperBound <= b.lowerBound) }
            }
        }
    }
}
