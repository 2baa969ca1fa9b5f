import Foundation
import Testing
import VigilContainers
import VigilCore
import VigilIndicators
import YaraKit
import _VigilTestSupport
@testable import VigilScan

/// A tree and the same tree as a ZIP (with a ZIP nested in it), for comparing scans.
private func sampleTree(_ dir: Scratch) throws -> (tree: String, zip: String) {
    let tree = dir.path + "/tree", zip = dir.path + "/s.zip"
    let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), [
        "python3", "-c",
        """
        import zipfile, io, os, sys
        tree, out = sys.argv[1], sys.argv[2]
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, 'w') as z:
            z.writestr('leaf/abc2.txt', b'abc')
            z.writestr('leaf/marker.bin', b'..EVIL-MARKER..')
        pe = bytearray(0x40 + 4 + 64); pe[0:2] = b'MZ'; pe[0x3C] = 0x40; pe[0x40:0x44] = b'PE\\0\\0'
        files = {'abc.txt': b'abc', 'bin/ffmpeg.dll': bytes(pe) + b'EVIL-MARKER',
                 'big.bin': os.urandom(200000) + b'EVIL-MARKER', 'plain.txt': b'nothing here' * 50,
                 'inner.zip': inner.getvalue()}
        with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                os.makedirs(os.path.dirname(os.path.join(tree, name)), exist_ok=True)
                open(os.path.join(tree, name), 'wb').write(data)
                z.writestr(name, data)
        """,
        tree, zip,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    return (tree, zip)
}

private let markerRule = """
    rule Test_Marker { strings: $m = "EVIL-MARKER" condition: $m }
    """

/// Scans with a given in-memory size for members.
private func sweep(_ paths: [String], memberBytesInMemory: Int, threads: Int) throws -> ScanResult {
    let compiled = try #require(RuleCompiler.compile([.text(markerRule, name: "test-rules")]).rules)
    let indicators = IndicatorSet([
        hashIndicator(.sha256, SweepTests.abcSHA256),
        filenameIndicator(#"ffmpeg\.dll$"#),
    ])
    let configuration = ScanConfiguration(indicators: indicators, rules: compiled, ruleSourceCount: 1, options: ScanOptions(threads: threads))
    return ScanEngine(configuration: configuration, memberBytesInMemory: memberBytesInMemory).scan(paths)
}

/// Findings without where the outer file lives: `check|inner path|severity|title|indicator|offset`.
private func signatures(_ r: ScanResult, strip prefix: String) -> [String] {
    r.findings.compactMap { f in
        guard f.path.hasPrefix(prefix) else { return nil }
        return "\(f.check)|\(f.path.dropFirst(prefix.count))|\(f.severity)|\(f.title)|\(f.indicator ?? "")|\(f.offset ?? -1)"
    }
}

/// Diagnostics the same way: `kind|inner path|offset|message`.
private func problems(_ r: ScanResult, strip prefix: String) -> [String] {
    r.diagnostics.compactMap { d in
        guard d.path.hasPrefix(prefix) else { return nil }
        return "\(d.kind)|\(d.path.dropFirst(prefix.count))|\(d.offset ?? -1)|\(d.message)"
    }
}

@Suite("Sweeps into containers")
struct ContainerSweepTests {
    @Test(arguments: [1, 2])
    func membersInMemoryGiveTheFindingsOfExtractedMembersAndOfTheTree(threads: Int) throws {
        let dir = try Scratch()
        let (tree, zip) = try sampleTree(dir)
        let folder = try sweep([tree], memberBytesInMemory: 0, threads: threads)
        let expected = signatures(folder, strip: tree + "/")
        // abc.txt and leaf/abc2.txt (hash), ffmpeg.dll (name, YARA), big.bin and marker.bin (YARA).
        #expect(expected.count >= 6, "\(expected)")
        #expect(expected.contains { $0.hasPrefix("yara|inner.zip!/leaf/marker.bin|") })
        var previous: ScanResult?
        // Every member through a file; small ones in memory (big.bin outgrows 64 KiB); the default.
        for memory in [0, 64 << 10, ScanEngine.defaultMemberBytesInMemory] {
            let result = try sweep([zip], memberBytesInMemory: memory, threads: threads)
            #expect(signatures(result, strip: zip + "!/") == expected, "memory \(memory)")
            // The same parse diagnostics (the sample PE is a bare header), under the member's path.
            #expect(problems(result, strip: zip + "!/") == problems(folder, strip: tree + "/"), "memory \(memory)")
            #expect(!result.diagnostics.contains { $0.kind.hasPrefix("container") }, "memory \(memory): \(result.diagnostics)")
            #expect(result.statistics.containersOpened == 2)
            #expect(result.statistics.membersScanned == 7)
            #expect(result.statistics.memberBytesScanned == folder.statistics.bytesScanned + folder.statistics.memberBytesScanned)
            if let previous {
                // Identical output, the container's own findings included, in the same order.
                #expect(result.findings == previous.findings, "memory \(memory)")
            }
            previous = result
        }
    }

    @Test func queueLanesAreTakenUrgentThenExpansionsThenOrdinary() {
        let queue = BoundedQueue<Int>(capacity: 4)
        queue.push(1)
        queue.pushExpansion(2)
        queue.pushUrgent(3)
        queue.close()
        var order: [Int] = []
        while let n = queue.pop() {
            order.append(n)
            queue.finished()
        }
        #expect(order == [3, 2, 1])
    }

    @Test func aBusyConsumerKeepsTheOthersWaitingForItsUrgentWork() async throws {
        let queue = BoundedQueue<Int>(capacity: 4)
        queue.push(1)
        queue.close()
        #expect(queue.pop() == 1)  // this consumer is now busy with 1
        let got = Recorder()
        let other = Thread {
            // Closed and empty, but the busy consumer may still push urgent work: wait for it.
            while let item = queue.pop() {
                got.append(item)
                queue.finished()
            }
            got.append(nil)
        }
        other.start()
        try await Task.sleep(for: .milliseconds(100))
        #expect(got.items.isEmpty)
        queue.pushUrgent(3)
        for _ in 0..<300 where got.items.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(got.items == [3])  // taken, and still waiting: 1 is not finished
        queue.finished()
        for _ in 0..<300 where got.items.count < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(got.items == [3, nil])
        #expect(queue.pop() == nil)
    }
}

private final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int?] = []
    var items: [Int?] { lock.withLock { stored } }
    func append(_ n: Int?) { lock.withLock { stored.append(n) } }
}

/// A tar, two ZIPs (stored and deflated) and, with gcab, two cabinets of the same two files: one
/// holds a marker in its bytes, the other in its name.
private func markedArchives(_ dir: Scratch) throws -> [String] {
    let src = dir.path + "/src"
    try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
    _ = try TestSupport.write(Array("some text MARKER_IN_DATA more text\n".utf8), to: "data.txt", in: URL(fileURLWithPath: src))
    _ = try TestSupport.write(Array("plain\n".utf8), to: "MARKER_IN_NAME.txt", in: URL(fileURLWithPath: src))
    let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), [
        "python3", "-c",
        """
        import os, sys, tarfile, zipfile
        src, out = sys.argv[1], sys.argv[2]
        names = sorted(os.listdir(src))
        with tarfile.open(out + '/m.tar', 'w') as t:
            for n in names: t.add(os.path.join(src, n), n)
        for method, name in [(zipfile.ZIP_STORED, 'stored.zip'), (zipfile.ZIP_DEFLATED, 'deflated.zip')]:
            with zipfile.ZipFile(out + '/' + name, 'w', method) as z:
                for n in names: z.write(os.path.join(src, n), n)
        """,
        src, dir.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    var paths = [dir.path + "/m.tar", dir.path + "/stored.zip", dir.path + "/deflated.zip"]
    if ContainerFixtures.have("gcab") {
        for (flag, name) in [("", "stored.cab"), ("-z", "mszip.cab")] {
            let c = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["sh", "-c", "cd \"$1\" && gcab -c \(flag) \"$2\" *", "sh", src, dir.path + "/" + name])
            #expect(c.status == 0, "\(c.stderr)")
            paths.append(dir.path + "/" + name)
        }
    } else {
        print("cabinets not tested: gcab is not installed (apt-get install gcab)")
    }
    return paths
}

private let markerRules = """
    rule In_Data { strings: $m = "MARKER_IN_DATA" condition: $m }
    rule In_Name { strings: $m = "MARKER_IN_NAME" condition: $m }
    rule Whole_File_Size { condition: filesize > 100 }
    """

/// `rule|path` of every YARA finding.
private func yaraHits(_ r: ScanResult) -> Set<String> {
    Set(r.findings.filter { $0.check == "yara" }.compactMap { f in f.evidence["rule"].map { "\($0.description)|\(f.path)" } })
}

@Suite("A container's own YARA search")
struct ContainerOwnBytesTests {
    @Test(arguments: [1, 2])
    func theFramingIsSearchedAndMemberDataIsLeftToTheMembers(threads: Int) throws {
        let dir = try Scratch()
        for path in try markedArchives(dir) {
            let result = try scan([path], rules: markerRules, options: ScanOptions(threads: threads))
            let hits = yaraHits(result)
            // The member name is the container's own (a header or directory entry): found there.
            #expect(hits.contains("In_Name|\(path)"), "\(path): \(hits)")
            #expect(hits.contains("In_Data|\(path)!/data.txt"), "\(path): \(hits)")
            // filesize is the container's, not the size of the framing searched.
            #expect(hits.contains("Whole_File_Size|\(path)"), "\(path): \(hits)")
            if path.hasSuffix("m.tar") || path.hasSuffix("stored.zip") {
                // Stored as it is, the member's marker is found in the member, not again in the container.
                #expect(!hits.contains("In_Data|\(path)"), "\(path): \(hits)")
                #expect(result.statistics.containerDataBytesLeftToMembers > 0, "\(path)")
            } else if path.hasSuffix("deflated.zip") {
                // Deflate streams that libarchive read to their very end are left out too.
                #expect(result.statistics.containerDataBytesLeftToMembers > 0, "\(path)")
            } else {
                // Cabinets stay the container's own: searched whole.
                #expect(result.statistics.containerDataBytesLeftToMembers == 0, "\(path)")
                if path.hasSuffix("stored.cab") { #expect(hits.contains("In_Data|\(path)"), "\(path): \(hits)") }
            }
            // The match offset is where the name lies in the file.
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let name = Array("MARKER_IN_NAME".utf8)
            let at = (0...(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name }
            let finding = result.findings.first { $0.path == path && $0.title.contains("In_Name") }
            #expect(finding?.offset == at, "\(path)")
            #expect(finding?.evidence["sha256"]?.description.count == 64, "\(path): the container's SHA-256")

            // Without looking inside, the container is searched whole, as any file.
            var closed = ScanOptions(threads: threads)
            closed.containers = nil
            let whole = try scan([path], rules: markerRules, options: closed)
            let wholeHits = yaraHits(whole)
            #expect(wholeHits.contains("In_Name|\(path)"))
            #expect(whole.statistics.containerDataBytesLeftToMembers == 0)
            if path.hasSuffix("m.tar") || path.hasSuffix("stored.zip") || path.hasSuffix("stored.cab") {
                #expect(wholeHits.contains("In_Data|\(path)"), "\(path): \(wholeHits)")
            }
        }
    }

    @Test(arguments: [1, 2])
    func aNestedContainerReadInFullIsSearchedLikeAnOuterOne(threads: Int) throws {
        let dir = try Scratch()
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", "-c",
            """
            import io, sys, tarfile, zipfile
            out = sys.argv[1]
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, 'w', zipfile.ZIP_STORED) as z:
                z.writestr('data.txt', b'x MARKER_IN_DATA x'); z.writestr('MARKER_IN_NAME.txt', b'plain')
            cut = inner.getvalue()[:60]  # a damaged copy (the first member, then nothing): its walk stops
            with tarfile.open(out + '/outer.tar', 'w') as t:
                for name, data in [('inner.zip', inner.getvalue()), ('cut.zip', cut)]:
                    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
            """,
            dir.path,
        ])
        try #require(r.status == 0, "\(r.stderr)")
        let outer = dir.path + "/outer.tar"
        let result = try scan([outer], rules: markerRules, options: ScanOptions(threads: threads))
        let hits = yaraHits(result)
        #expect(hits.contains("In_Name|\(outer)!/inner.zip"), "\(hits)")
        #expect(hits.contains("In_Data|\(outer)!/inner.zip!/data.txt"), "\(hits)")
        #expect(!hits.contains("In_Data|\(outer)!/inner.zip"), "\(hits)")
        // The damaged nested ZIP was not read in full: it is searched whole, and holds the marker.
        #expect(hits.contains("In_Data|\(outer)!/cut.zip"), "\(hits)")
        #expect(result.diagnostics.contains { $0.path.hasPrefix(outer + "!/cut.zip") }, "\(result.diagnostics)")
        // The outer tar was read in full (the damage is inside a member): only its framing is searched.
        #expect(!hits.contains("In_Data|\(outer)"), "\(hits)")
        #expect(!hits.contains("In_Name|\(outer)"), "\(hits)")
    }

    @Test func bytesHiddenAfterADeflateStreamAreSearched() throws {
        // libarchive stops at the deflate stream's end and skips what follows inside the member's
        // compressed size without a word; the container's own search must still see it.
        let dir = try Scratch()
        let zip = try #require(try ContainerFixtures.hostile(into: dir.url)["deflate-slack.zip"]).path
        let result = try scan([zip], rules: markerRules)
        #expect(result.statistics.membersScanned == 1)
        #expect(result.statistics.containerDataBytesLeftToMembers == 0)
        #expect(yaraHits(result).contains("In_Data|\(zip)"), "\(yaraHits(result)) \(result.diagnostics)")
    }

    @Test func bytesAppendedToATarGzAreSearched() throws {
        // A gzip stream's end is known only by decompressing it, so its layout is not read: data
        // appended after it (a trick to carry a payload past tools that stop at the stream's end)
        // must still be searched, as part of the whole file.
        let dir = try Scratch()
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", "-c",
            """
            import gzip, io, sys, tarfile
            out = sys.argv[1]
            raw = io.BytesIO()
            with tarfile.open(fileobj=raw, mode='w') as t:
                i = tarfile.TarInfo('plain.txt'); i.size = 5; t.addfile(i, io.BytesIO(b'plain'))
            open(out + '/m.tar.gz', 'wb').write(gzip.compress(raw.getvalue()) + b'appended MARKER_IN_DATA payload')
            """,
            dir.path,
        ])
        try #require(r.status == 0, "\(r.stderr)")
        let tgz = dir.path + "/m.tar.gz"
        let result = try scan([tgz], rules: markerRules)
        #expect(result.statistics.membersScanned == 1, "\(result.diagnostics)")
        #expect(yaraHits(result).contains("In_Data|\(tgz)"), "\(yaraHits(result))")
        #expect(result.statistics.containerDataBytesLeftToMembers == 0)
    }

    @Test func aContainerNotReadInFullIsSearchedWhole() throws {
        let dir = try Scratch()
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", "-c",
            """
            import io, sys, tarfile
            out = sys.argv[1]
            with tarfile.open(out + '/full.tar', 'w') as t:
                for name, data in [('data.txt', b'x MARKER_IN_DATA x'), ('big.bin', bytes(range(256)) * 64)]:
                    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
            raw = open(out + '/full.tar', 'rb').read()
            open(out + '/cut.tar', 'wb').write(raw[:2048 + 5000])
            """,
            dir.path,
        ])
        try #require(r.status == 0, "\(r.stderr)")
        let full = dir.path + "/full.tar", cut = dir.path + "/cut.tar"
        // Read in full: only the member holds the marker.
        #expect(!yaraHits(try scan([full], rules: markerRules)).contains("In_Data|\(full)"))
        // Cut inside big.bin: the walk stops, so the whole container is searched.
        let damaged = try scan([cut], rules: markerRules)
        #expect(damaged.diagnostics.contains { $0.kind == "container-unreadable" }, "\(damaged.diagnostics)")
        #expect(yaraHits(damaged).contains("In_Data|\(cut)"), "\(yaraHits(damaged))")
        #expect(damaged.statistics.containerDataBytesLeftToMembers == 0)
        // A member over the member-size cap is not scanned: the whole container is.
        var capped = ScanOptions(threads: 2)
        capped.containers = ContainerLimits(maxMemberBytes: 4096)
        let over = try scan([full], rules: markerRules, options: capped)
        #expect(over.diagnostics.contains { $0.kind == "container-limit" }, "\(over.diagnostics)")
        #expect(yaraHits(over).contains("In_Data|\(full)"), "\(yaraHits(over))")
        #expect(yaraHits(over).contains("In_Data|\(full)!/data.txt"))
    }
}
