import Foundation
import Testing
import VigilCore
import VigilIndicators
import YaraKit
import _VigilTestSupport
@testable import VigilScan

#if canImport(Glibc)
import Glibc
#endif

@Suite("Sweep")
struct SweepTests {
    // FIPS 180 / RFC 1321 test vectors for "abc".
    static let abcMD5 = "900150983cd24fb0d6963f7d28e17f72"
    static let abcSHA1 = "a9993e364706816aba3e25717850c26c9cd0d89d"
    static let abcSHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    @Test(arguments: [IndicatorKind.md5, .sha1, .sha256])
    func hashIndicatorOfEachKindMatches(kind: IndicatorKind) throws {
        let dir = try Scratch()
        try dir.write("sub/abc.bin", "abc")
        try dir.write("other.bin", "abd")
        let value = [IndicatorKind.md5: Self.abcMD5, .sha1: Self.abcSHA1, .sha256: Self.abcSHA256][kind]!
        let result = try scan([dir.path], indicators: [hashIndicator(kind, value, score: 90)])
        #expect(result.findings.count == 1)
        let f = try #require(result.findings.first)
        #expect(f.check == "ioc.hash")
        #expect(f.path == dir.path + "/sub/abc.bin")
        #expect(f.score == 90)
        #expect(f.severity == .high)
        #expect(f.indicator == value)
        #expect(f.evidence["md5"] == .string(Self.abcMD5))
        #expect(f.evidence["sha1"] == .string(Self.abcSHA1))
        #expect(f.evidence["sha256"] == .string(Self.abcSHA256))
        #expect(result.statistics.filesScanned == 2)
        #expect(result.statistics.bytesScanned == 6)
        #expect(result.diagnostics.isEmpty)
    }

    @Test func hashesOfALargeMultiChunkFileMatchIndependentDigests() throws {
        // 3.5 MiB crosses the 1 MiB read/hash chunks; compare with the system's sha256sum/md5sum.
        let dir = try Scratch()
        let bytes = (0..<(3 * 1_048_576 + 524_288)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let path = try dir.write("big.bin", bytes)
        func tool(_ name: String) throws -> String {
            let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/\(name)"), [path])
            return String(r.stdout.prefix { $0 != " " })
        }
        let sha256 = try tool("sha256sum"), md5 = try tool("md5sum"), sha1 = try tool("sha1sum")
        #expect(sha256.count == 64)
        let result = try scan([dir.path], indicators: [hashIndicator(.sha256, sha256)])
        let f = try #require(result.findings.first)
        #expect(f.evidence["md5"] == .string(md5))
        #expect(f.evidence["sha1"] == .string(sha1))
        #expect(result.statistics.bytesScanned == bytes.count)
    }

    @Test func filenameIndicatorInLokiWindowsSyntaxMatchesCaseInsensitively() throws {
        let dir = try Scratch()
        try dir.write("Downloads/3cxdesktopapp-18.12.416.MSI", "x")
        try dir.write("Downloads/3CXDesktopApp-18.12.417.msi", "x")
        let result = try scan([dir.path], indicators: [filenameIndicator(#"\\3CXDesktopApp-18\.12\.416\.msi"#, score: 80)])
        #expect(result.findings.map(\.path) == [dir.path + "/Downloads/3cxdesktopapp-18.12.416.MSI"])
        #expect(result.findings.first?.check == "ioc.filename")
        #expect(result.findings.first?.severity == .high)
    }

    @Test func aMatchAlsoMatchedByTheFalsePositiveRegexIsCountedNotReported() throws {
        // signature-base's WhatsApp line: the real client's folders are known false positives.
        let dir = try Scratch()
        try dir.write("AppData/Local/WhatsApp/WhatsApp.exe", "x")
        try dir.write("Downloads/whatsapp.exe", "x")
        let indicator = Indicator(
            kind: .filename, value: #"\\whatsapp\.exe"#, score: 55, provenance: [Provenance(feed: "t")],
            falsePositivePattern: #"(\\WhatsApp|\\Prefetch\\|\\(Packages|WindowsApps)\\.{8}\.WhatsAppDesktop)"#)
        let result = try scan([dir.path], indicators: [indicator])
        #expect(result.findings.map(\.path) == [dir.path + "/Downloads/whatsapp.exe"])
        #expect(result.statistics.filenameHitsSuppressed == 1)
        // Without the column both are reported.
        var plain = indicator
        plain.falsePositivePattern = nil
        #expect(try scan([dir.path], indicators: [plain]).findings.count == 2)
    }

    @Test func yaraMatchCarriesStringOffsetsAndRuleMetadata() throws {
        let dir = try Scratch()
        try dir.write("payload.bin", Array("....EVIL-MARKER....EVIL-MARKER".utf8))
        let rules = """
            rule Test_Marker : demo {
                meta:
                    description = "test marker"
                    author = "tests"
                    score = 65
                strings:
                    $m = "EVIL-MARKER"
                condition:
                    $m
            }
            """
        let result = try scan([dir.path], rules: rules)
        let f = try #require(result.findings.first)
        #expect(f.check == "yara")
        #expect(f.indicator == "test-rules:Test_Marker")
        #expect(f.score == 65)
        #expect(f.severity == .medium)
        #expect(f.offset == 4)
        #expect(f.matches == [StringMatch(identifier: "$m", offset: 4, length: 11), StringMatch(identifier: "$m", offset: 19, length: 11)])
        #expect(f.evidence["tags"] == .strings(["demo"]))
        #expect(f.evidence["author"] == .string("tests"))
        #expect(f.source == "test-rules")
    }

    @Test func lokiExternalsAreSetPerFile() throws {
        let dir = try Scratch()
        try dir.write("bin/FFmpeg.DLL", tinyPE())
        try dir.write("bin/ffmpeg.txt", "text")
        let owner = currentUserName()
        let rules = """
            rule All_Five {
                condition:
                    filename == "FFmpeg.DLL" and filepath == "\(dir.path)/bin" and extension == ".dll"
                    and filetype == "EXE" and owner == "\(owner)"
            }
            rule Text_Ext { condition: extension == ".txt" and filetype == "UNKNOWN" and filename == "ffmpeg.txt" }
            """
        let result = try scan([dir.path], rules: rules)
        #expect(result.findings.map { "\($0.path.split(separator: "/").last!):\($0.indicator!)" }.sorted() == [
            "FFmpeg.DLL:test-rules:All_Five", "ffmpeg.txt:test-rules:Text_Ext",
        ])
    }

    @Test func extensionFollowsPythonSplitext() {
        #expect(LokiExternals.extensionOf("a.TAR.GZ") == ".gz")
        #expect(LokiExternals.extensionOf(".bashrc") == "")
        #expect(LokiExternals.extensionOf("noext") == "")
        #expect(LokiExternals.extensionOf("x.regtrans-ms") == ".regtrans-ms")
        let e = LokiExternals(absolutePath: "/f.exe", format: .pe, owner: "root")
        #expect(e.filepath == "/")
        #expect(e.filename == "f.exe")
    }

    @Test func specialFilesAreReportedNotOpened() throws {
        let dir = try Scratch()
        try dir.write("a.txt", "a")
        #expect(mkfifo(dir.path + "/pipe", 0o644) == 0)
        let result = try scan([dir.path])  // would block forever if the FIFO were opened for reading
        #expect(result.diagnostics.map(\.kind) == ["special-file"])
        #expect(result.diagnostics.first?.path == dir.path + "/pipe")
        #expect(result.statistics.filesScanned == 1)
    }

    @Test func onlyTheDigestsALoadedIndicatorNeedsAreComputedDuringTheRead() throws {
        let dir = try Scratch()
        let path = try dir.write("abc.txt", "abc")
        let item = WorkItem(path: RawPath(path), mayFollow: false)
        let sha256Only = try FileReader.read(item, maxFileSize: 1 << 20, extraDigests: [], largeFileGate: LargeFileGate())
        #expect(sha256Only.hashes == FileHashes(md5: nil, sha1: nil, sha256: Self.abcSHA256))
        #expect(sha256Only.hashes.completed(from: sha256Only.bytes) == FileHashes(md5: Self.abcMD5, sha1: Self.abcSHA1, sha256: Self.abcSHA256))
        // The configuration asks for MD5 or SHA-1 only when such an indicator is loaded.
        var set = IndicatorSet()
        set.insert(Indicator(kind: .sha256, value: Self.abcSHA256))
        #expect(ScanConfiguration(indicators: set).extraDigests == [])
        set.insert(Indicator(kind: .sha1, value: Self.abcSHA1))
        #expect(ScanConfiguration(indicators: set).extraDigests == [.sha1])
        set.insert(Indicator(kind: .md5, value: Self.abcMD5))
        #expect(ScanConfiguration(indicators: set).extraDigests == [.md5, .sha1])
    }

    @Test func md5AndSHA1LinkedToALoadedSHA256AreFoundWithoutComputingThemForEveryFile() throws {
        let dir = try Scratch()
        try dir.write("abc.txt", "abc")
        try dir.write("other.txt", "other")
        let linkedMD5 = Indicator(kind: .md5, value: Self.abcMD5, provenance: [Provenance(feed: "t")], sameFileSHA256: Self.abcSHA256)
        let linkedSHA1 = Indicator(kind: .sha1, value: Self.abcSHA1, provenance: [Provenance(feed: "t")], sameFileSHA256: Self.abcSHA256)
        var set = IndicatorSet()
        set.insert(linkedMD5)
        set.insert(linkedSHA1)
        // The linked SHA-256 is not loaded: the MD5 and SHA-1 must be computed.
        #expect(ScanConfiguration(indicators: set).extraDigests == [.md5, .sha1])
        set.insert(hashIndicator(.sha256, Self.abcSHA256))
        #expect(ScanConfiguration(indicators: set).extraDigests == [])
        // An unlinked MD5 of another file brings MD5 back, and only MD5.
        set.insert(hashIndicator(.md5, "00000000000000000000000000000000"))
        #expect(ScanConfiguration(indicators: set).extraDigests == [.md5])

        let result = try scan([dir.path], indicators: [linkedMD5, linkedSHA1, hashIndicator(.sha256, Self.abcSHA256)])
        #expect(result.findings.compactMap { $0.evidence["hash_type"] }.sorted { "\($0)" < "\($1)" }
            == [.string("md5"), .string("sha1"), .string("sha256")])
        #expect(Set(result.findings.map(\.path)) == [dir.path + "/abc.txt"])
        #expect(result.findings.allSatisfy { $0.evidence["md5"] == .string(Self.abcMD5) && $0.evidence["sha1"] == .string(Self.abcSHA1) })
    }

    @Test func fifoAppearingAfterTheWalkIsNotBlockedOn() throws {
        let dir = try Scratch()
        let fifo = dir.path + "/late-pipe"
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(throws: ReadRefusal.self) {
            _ = try FileReader.read(WorkItem(path: RawPath(fifo), mayFollow: false), maxFileSize: 1 << 20, largeFileGate: LargeFileGate())
        }
        do {
            _ = try FileReader.read(WorkItem(path: RawPath(fifo), mayFollow: false), maxFileSize: 1 << 20, largeFileGate: LargeFileGate())
        } catch {
            guard case .diagnostic(let d) = error else { return }
            #expect(d.kind == "special-file")
        }
    }

    @Test func fileVanishingBetweenWalkAndReadIsReported() throws {
        let dir = try Scratch()
        let path = try dir.write("gone.bin", "soon gone")
        try FileManager.default.removeItem(atPath: path)
        do {
            _ = try FileReader.read(WorkItem(path: RawPath(path), mayFollow: false), maxFileSize: 1 << 20, largeFileGate: LargeFileGate())
            Issue.record("a vanished file was read")
        } catch {
            guard case .diagnostic(let d) = error else { return }
            #expect(d.kind == "vanished")
            #expect(d.path == path)
        }
    }

    @Test func filesVanishingDuringASweepAreCountedAndTheSweepFinishes() throws {
        // A second thread deletes files while the sweep runs: every file is either scanned or
        // reported as vanished, never lost.
        let dir = try Scratch()
        let count = 400
        for i in 0..<count { try dir.write("f\(i / 50)/file\(i).bin", [UInt8](repeating: UInt8(i & 0xFF), count: 20_000)) }
        let base = dir.path
        let deleter = Thread {
            for i in stride(from: 0, to: count, by: 2) { unlink(base + "/f\(i / 50)/file\(i).bin") }
        }
        deleter.start()
        let result = try scan([dir.path], options: ScanOptions(threads: 1))
        let vanished = result.diagnostics.filter { $0.kind == "vanished" }.count
        #expect(result.diagnostics.allSatisfy { $0.kind == "vanished" })
        #expect(result.statistics.filesScanned + vanished <= count)
        #expect(result.statistics.filesScanned >= count / 2)
        // Walked entries either scanned or reported: deleted-before-walk ones are simply not seen.
        #expect(result.statistics.filesScanned + vanished >= count / 2)
    }

    @Test func symlinksAreNotFollowedByDefault() throws {
        let dir = try Scratch()
        let outside = try Scratch()
        try outside.write("abc.bin", "abc")
        #expect(symlink(outside.path + "/abc.bin", dir.path + "/link.bin") == 0)
        let result = try scan([dir.path], indicators: [hashIndicator(.sha256, Self.abcSHA256)])
        #expect(result.findings.isEmpty)
        #expect(result.statistics.symlinksNotFollowed == 1)
        let followed = try scan([dir.path], indicators: [hashIndicator(.sha256, Self.abcSHA256)], options: ScanOptions(followSymlinks: true))
        #expect(followed.findings.map(\.path) == [dir.path + "/link.bin"])
    }

    @Test func symlinkLoopIsDetectedWhenFollowing() throws {
        let dir = try Scratch()
        try dir.write("a/b/file.bin", "abc")
        #expect(symlink("../..", dir.path + "/a/b/up") == 0)  // a/b/up -> dir
        #expect(symlink("loop2", dir.path + "/loop1") == 0)  // a self-referencing link chain
        #expect(symlink("loop1", dir.path + "/loop2") == 0)
        let result = try scan([dir.path], indicators: [hashIndicator(.sha256, Self.abcSHA256)], options: ScanOptions(followSymlinks: true))
        #expect(result.findings.map(\.path) == [dir.path + "/a/b/file.bin"])  // scanned once
        #expect(result.statistics.filesScanned == 1)
        let loops = result.diagnostics.filter { $0.kind == "symlink-loop" }
        #expect(loops.map(\.path).sorted() == [dir.path + "/a/b/up", dir.path + "/loop1", dir.path + "/loop2"])
    }

    @Test func filesOverTheSizeCapAreSkippedAndReported() throws {
        let dir = try Scratch()
        try dir.write("small.bin", [UInt8](repeating: 1, count: 1000))
        try dir.write("exact.bin", [UInt8](repeating: 2, count: 1024))
        try dir.write("evil-large.bin", [UInt8](repeating: 3, count: 1025))
        let result = try scan([dir.path], indicators: [filenameIndicator("evil-large")], options: ScanOptions(maxFileSize: 1024))
        #expect(result.statistics.filesScanned == 2)
        #expect(result.statistics.filesSkippedForSize == 1)
        #expect(result.diagnostics.map(\.kind) == ["skipped-size"])
        #expect(result.diagnostics.first?.path == dir.path + "/evil-large.bin")
        #expect(result.diagnostics.first?.message.contains("1025") == true)
        // File name indicators still apply to files too large to read.
        #expect(result.findings.map(\.check) == ["ioc.filename"])
    }

    @Test func unreadableFileIsReportedUnlessRunningAsRoot() throws {
        let dir = try Scratch()
        let path = try dir.write("secret.bin", "abc")
        #expect(chmod(path, 0) == 0)
        let result = try scan([dir.path], indicators: [hashIndicator(.sha256, Self.abcSHA256)])
        if geteuid() == 0 {
            // root reads mode-000 files (CAP_DAC_OVERRIDE): the file is scanned and matches.
            // The unreadable path is covered as an unprivileged user in VigilCLITests.
            #expect(result.findings.count == 1)
        } else {
            #expect(result.diagnostics.map(\.kind) == ["unreadable"])
            #expect(result.findings.isEmpty)
        }
    }

    @Test func missingPathIsADiagnostic() throws {
        let result = try scan(["/nonexistent/vigil-\(UUID().uuidString)"])
        #expect(result.diagnostics.map(\.kind) == ["vanished"])
    }

    @Test func bundledVolexityIcoRuleFiresOnASyntheticCarrier() throws {
        // Benign synthetic ICO: header, a PNG IEND chunk, then "$" and base64 text, as the 3CX
        // carriers had (per the public 3CX rules). Built-in rules only.
        let dir = try Scratch()
        var ico: [UInt8] = [0, 0, 1, 0, 1, 0] + [UInt8](repeating: 0x20, count: 200)
        ico += [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82, 0x24]
        ico += Array("VmlnaWwgZGVtbyBzYW1wbGUsIG5vdCBhIHJlYWwgQzIgbWVzc2FnZQ==".utf8)
        try dir.write("icon13.ico", ico)
        let configuration = try ScanSetup.prepare(rulePaths: [], indicatorFiles: [], useDefaults: true, options: ScanOptions())
        #expect(configuration.setupDiagnostics.isEmpty)
        let result = ScanEngine(configuration: configuration).scan([dir.path])
        let f = try #require(result.findings.first)
        #expect(f.indicator == "default:volexity-3cx:apt_ico_uta0040_b64_c2")
        #expect(f.source == "default:volexity-3cx.yar")
        #expect(f.matches.first?.offset == 206)
        #expect(f.attack == ["T1195.002"])
    }

    @Test func fileWithANonUTF8NameIsStillReadAndMatched() throws {
        let dir = try Scratch()
        var raw = Array((dir.path + "/bad-").utf8CString.dropLast()) + [CChar(bitPattern: 0xFF), CChar(bitPattern: 0xFE)] + Array(".bin".utf8CString)
        let fd = raw.withUnsafeMutableBufferPointer { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        _ = "abc".withCString { write(fd, $0, 3) }
        close(fd)
        let result = try scan([dir.path], indicators: [hashIndicator(.sha256, Self.abcSHA256)])
        #expect(result.diagnostics.isEmpty)
        // Invalid bytes are shown escaped, not as U+FFFD (which would make such names look alike).
        #expect(result.findings.map(\.path) == [dir.path + "/bad-\\xff\\xfe.bin"])
    }

    @Test func overlappingPathsScanEachFolderOnce() throws {
        let dir = try Scratch()
        try dir.write("sub/abc.bin", "abc")
        let result = try scan([dir.path, dir.path + "/sub"], indicators: [hashIndicator(.sha256, Self.abcSHA256)])
        #expect(result.findings.count == 1)
        #expect(result.diagnostics.map(\.kind) == ["already-scanned"])
    }

    @Test func yaraTimeoutIsACountedProblem() throws {
        let dir = try Scratch()
        try dir.write("slow.bin", [UInt8](repeating: 0x41, count: 200_000))
        try dir.write("fast.txt", "EVIL-MARKER")
        // 200,000² loop iterations: far beyond a one-second limit.
        let rules = """
            rule Slow { condition: for all i in (0..filesize - 1) : (for all j in (0..filesize - 1) : (uint8(i) == uint8(j))) }
            rule Marker { strings: $m = "EVIL-MARKER" condition: $m }
            """
        let result = try scan([dir.path], rules: rules, options: ScanOptions(threads: 1, yaraTimeoutSeconds: 1))
        #expect(result.diagnostics.map(\.kind) == ["yara-timeout"])
        #expect(result.diagnostics.first?.path == dir.path + "/slow.bin")
        // The other file is still scanned, by the same worker's scanner.
        #expect(result.findings.map(\.indicator) == ["test-rules:Marker"])
    }

    @Test func fileGrowingDuringTheReadIsReportedAsChanged() throws {
        // /proc files report size 0 but return data: exactly a file that grew after fstat.
        let file = try FileReader.read(WorkItem(path: RawPath("/proc/self/status"), mayFollow: true), maxFileSize: 1 << 20, largeFileGate: LargeFileGate())
        #expect(file.bytes.isEmpty)
        #expect(file.changeNote?.contains("grew") == true)
    }
}
