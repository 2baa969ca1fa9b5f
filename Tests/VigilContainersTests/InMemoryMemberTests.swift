import Foundation
import Testing
import VigilContainers
import VigilCore
import _VigilTestSupport

/// What one walk handed over, with each regular member's bytes and whether they came in memory.
private struct MemoryWalk {
    var bytes: [String: [UInt8]] = [:]
    var inMemory: Set<String> = []
    var onDisk: Set<String> = []
    var opened: Set<String> = []
    var diagnostics: [Diagnostic] = []
    var findings: [Finding] = []
    var summary = ContainerWalkSummary()
}

private func walk(_ url: URL, memory: Int, limits: ContainerLimits = .standard, workspace: PrivateWorkspace) -> MemoryWalk {
    var record = MemoryWalk()
    var walker = ContainerWalker(limits: limits, workspace: workspace)
    walker.memberBytesInMemory = memory
    record.summary = walker.walk(
        path: url.path, chain: ContainerPath(outer: url.lastPathComponent),
        visit: { member in
            let name = member.chain.description
            #expect(member.file == nil || member.bytes == nil, "\(name): both a file and bytes")
            if let bytes = member.bytes {
                record.bytes[name] = bytes
                record.inMemory.insert(name)
                #expect(Int64(bytes.count) == member.size)
            } else if let file = member.file {
                record.bytes[name] = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))) ?? []
                record.onDisk.insert(name)
            }
            if member.openedAsContainer { record.opened.insert(name) }
            return false
        },
        report: { event in
            switch event {
            case .diagnostic(let d): record.diagnostics.append(d)
            case .finding(let f): record.findings.append(f)
            }
        })
    return record
}

@Suite("Members handed over in memory")
struct InMemoryMemberTests {
    /// small.txt (100 B), big.bin (5000 B, random), inner.zip (a ZIP holding leaf.dll), empty.
    private func sample(_ dir: URL) throws -> URL {
        let zip = dir.appendingPathComponent("s.zip")
        let r = try python("""
            import zipfile, io, os, sys
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, 'w') as z:
                z.writestr('leaf.dll', b'MZ' + b'L' * 300)
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('dir/small.txt', b's' * 100)
                z.writestr('big.bin', os.urandom(5000))
                z.writestr('inner.zip', inner.getvalue())
                z.writestr('empty', b'')
            """, [zip.path])
        #expect(r.status == 0, "\(r.stderr)")
        return zip
    }

    @Test func sameMembersAndBytesAsThroughFiles() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = try sample(dir)
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        let files = walk(zip, memory: 0, workspace: ws)
        let memory = walk(zip, memory: 1000, workspace: ws)
        #expect(files.inMemory.isEmpty)
        #expect(memory.bytes == files.bytes)
        #expect(memory.bytes.count == 5)
        #expect(memory.diagnostics.isEmpty && files.diagnostics.isEmpty, "\(memory.diagnostics) \(files.diagnostics)")
        // Small members come in memory; one that outgrew the limit and the nested container a file.
        #expect(memory.inMemory == ["s.zip!/dir/small.txt", "s.zip!/inner.zip!/leaf.dll", "s.zip!/empty"])
        #expect(memory.onDisk == ["s.zip!/big.bin", "s.zip!/inner.zip"])
        #expect(memory.opened == ["s.zip!/inner.zip"] && files.opened == memory.opened)
        #expect(memory.summary.nestedContainers == 1 && memory.summary.members == files.summary.members)
        #expect(memory.summary.bytes == files.summary.bytes)
        #expect(leftovers(ws).isEmpty)
    }

    @Test func capsHoldInMemory() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = try sample(dir)
        let ws = try PrivateWorkspace.create()
        defer { ws.remove() }
        // Member size: big.bin (5000 B) is over a 1000-byte cap whether it is kept in memory or not.
        let capped = walk(zip, memory: 8192, limits: ContainerLimits(maxMemberBytes: 1000), workspace: ws)
        #expect(capped.bytes["s.zip!/big.bin"] == nil)
        #expect(capped.diagnostics.contains { $0.path == "s.zip!/big.bin" && $0.message.contains("member-size") })
        #expect(capped.bytes["s.zip!/dir/small.txt"] == Array(repeating: UInt8(ascii: "s"), count: 100))
        // Depth 1: the nested ZIP is not opened; it is handed over in memory and said so.
        let shallow = walk(zip, memory: 8192, limits: ContainerLimits(maxDepth: 1), workspace: ws)
        #expect(shallow.inMemory.contains("s.zip!/inner.zip") && shallow.opened.isEmpty)
        #expect(shallow.bytes["s.zip!/inner.zip!/leaf.dll"] == nil)
        #expect(shallow.diagnostics.contains { $0.kind == "container-limit" && $0.path == "s.zip!/inner.zip" && $0.message.contains("cap depth 1") })
        // A bomb stops on the expansion ratio while its bytes are still in memory.
        let bomb = dir.appendingPathComponent("bomb.zip")
        let r = try python("""
            import zipfile, sys
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
                z.writestr('zeros.bin', bytes(64 << 20))
            """, [bomb.path])
        #expect(r.status == 0, "\(r.stderr)")
        let exploded = walk(bomb, memory: 32 << 20, workspace: ws)
        #expect(exploded.bytes.isEmpty)
        #expect(exploded.findings.contains { $0.check == "container.decompression-bomb" })
        #expect(leftovers(ws).isEmpty)
    }
}
