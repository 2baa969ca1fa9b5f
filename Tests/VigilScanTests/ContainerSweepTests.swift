import Foundation
import Testing
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
