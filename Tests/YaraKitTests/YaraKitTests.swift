import Foundation
import Testing
import YaraKit

@Suite("YaraKit")
struct YaraKitTests {
    static let sample = """
        rule Demo_Marker : demo test
        {
            meta:
                description = "finds the marker"
                author = "Vigil tests"
                score = 75
                internal = true
            strings:
                $a = "MARKER"
                $b = { DE AD BE EF }
            condition:
                any of them
        }
        rule Never { condition: false }
        """

    @Test func matchReportsRuleTagsMetadataAndOffsets() throws {
        let compilation = RuleCompiler.compile([.text(Self.sample, name: "builtin:sample")])
        #expect(compilation.errors.isEmpty)
        let rules = try #require(compilation.rules)
        #expect(rules.ruleCount == 2)
        let scanner = try rules.makeScanner()
        // "xxMARKERyy" then DE AD BE EF at offset 12, "MARKER" again at 20.
        var bytes = Array("xxMARKERyy..".utf8) + [0xDE, 0xAD, 0xBE, 0xEF] + Array("....MARKER".utf8)
        let outcome = try scanner.scan(bytes)
        #expect(outcome.matches.count == 1)
        let match = try #require(outcome.matches.first)
        #expect(match.rule == "Demo_Marker")
        #expect(match.namespace == "builtin:sample")
        #expect(match.source == "builtin:sample")
        #expect(match.tags == ["demo", "test"])
        #expect(match.meta("description") == .string("finds the marker"))
        #expect(match.meta("author") == .string("Vigil tests"))
        #expect(match.meta("score")?.integerValue == 75)
        #expect(match.meta("internal") == .boolean(true))
        #expect(match.strings == [
            MatchedString(identifier: "$a", offset: 2, length: 6),
            MatchedString(identifier: "$a", offset: 20, length: 6),
            MatchedString(identifier: "$b", offset: 12, length: 4),
        ])
        #expect(match.totalStringMatches == 3)
        // The scanner is reusable and forgets the previous scan's matches.
        bytes = Array("nothing here".utf8)
        #expect(try scanner.scan(bytes).matches.isEmpty)
        #expect(try scanner.scan([]).matches.isEmpty)
    }

    @Test func partsOfAFileKeepTheFilesOffsetsAndSize() throws {
        let source = """
            rule Word { strings: $w = "NEEDLE" condition: $w }
            rule Across { strings: $a = "HALFHALF" condition: $a }
            rule Sized { condition: filesize == 10000 }
            rule At_Base { condition: uint32(4096) == 0x44434241 }
            rule In_Gap { condition: uint8(100) == 0 }
            """
        let scanner = try #require(RuleCompiler.compile([.text(source, name: "parts")]).rules).makeScanner()
        // Two parts of a 10,000-byte file: 8 bytes at 0 and 16 bytes at 4096.
        let first = Array("xxxxHALF".utf8), second = Array("ABCDHALF..NEEDLE".utf8)
        let outcome = try scanner.scan(parts: first + second, blocks: [(0, first.count), (4096, second.count)], fileSize: 10_000)
        let byRule = Dictionary(uniqueKeysWithValues: outcome.matches.map { ($0.rule, $0) })
        #expect(byRule["Word"]?.strings.first?.offset == 4096 + 10)
        #expect(byRule["Sized"] != nil)
        #expect(byRule["At_Base"] != nil)
        // A string split between two parts is not found, and a byte in no part is undefined.
        #expect(byRule["Across"] == nil)
        #expect(byRule["In_Gap"] == nil)
        // No parts at all: only the size is known.
        let empty = try scanner.scan(parts: [], blocks: [], fileSize: 10_000)
        #expect(empty.matches.map(\.rule) == ["Sized"])
    }

    @Test func brokenRuleFileIsReportedWithLineAndOthersLoad() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("yarakit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.yar")
        let bad = dir.appendingPathComponent("bad.yar")
        let other = dir.appendingPathComponent("other.yara")
        try #"rule Good { strings: $a = "GOOD" condition: $a }"#.write(to: good, atomically: true, encoding: .utf8)
        // Line 4 uses an undefined identifier.
        try "rule Fine1 { condition: true }\n\nrule Broken {\n  condition: no_such_thing\n}\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        try #"rule Other { strings: $a = "OTHER" condition: $a }"#.write(to: other, atomically: true, encoding: .utf8)

        let compilation = RuleCompiler.compile([.file(good.path), .file(bad.path), .file(other.path)])
        #expect(compilation.loadedSources == [good.path, other.path])
        #expect(compilation.rejectedSources == [bad.path])
        let error = try #require(compilation.errors.first)
        #expect(error.source == bad.path)
        #expect(error.line == 4)
        #expect(error.message.contains("no_such_thing"))
        let rules = try #require(compilation.rules)
        #expect(rules.ruleCount == 2)
        let matches = try rules.makeScanner().scan(Array("GOOD and OTHER".utf8)).matches
        #expect(matches.map(\.rule).sorted() == ["Good", "Other"])
        #expect(matches.first { $0.rule == "Good" }?.source == good.path)
    }

    @Test func sameRuleNameInTwoSourcesLoadsInSeparateNamespaces() throws {
        let a = RuleSource.text("rule Same { condition: true }", name: "a.yar")
        let b = RuleSource.text("rule Same { condition: true }", name: "a.yar")
        let c = RuleSource.text("rule Third { condition: true }", name: "c.yar")
        // Different namespaces (a, a_2) make the same rule name legal: both load.
        let compilation = RuleCompiler.compile([a, b, c])
        #expect(compilation.errors.isEmpty)
        #expect(compilation.rules?.ruleCount == 3)
    }

    @Test(arguments: [
        ("filename", "ffmpeg.dll"),
        ("filepath", "/opt/3CXDesktopApp"),
        ("extension", ".dll"),
        ("filetype", "EXE"),
        ("owner", "root"),
    ])
    func eachLokiExternalIsDeclaredAndSetPerScan(name: String, value: String) throws {
        let source = RuleSource.text("rule Uses_\(name) { condition: \(name) == \"\(value)\" }", name: "ext")
        let compilation = RuleCompiler.compile([source])
        #expect(compilation.errors.isEmpty)
        let scanner = try #require(compilation.rules).makeScanner()
        #expect(try scanner.scan([1, 2, 3]).matches.isEmpty)  // empty by default
        try scanner.setExternal(name, value)
        #expect(try scanner.scan([1, 2, 3]).matches.map(\.rule) == ["Uses_\(name)"])
        try scanner.setExternal(name, "something else")
        #expect(try scanner.scan([1, 2, 3]).matches.isEmpty)
    }

    @Test func withoutExternalsTheLokiStyleRuleDoesNotCompile() {
        let compilation = RuleCompiler.compile([.text("rule R { condition: extension == \".exe\" }", name: "r")], externals: [])
        #expect(compilation.rules == nil)
        #expect(compilation.errors.first?.message.contains("extension") == true)
    }

    @Test func undeclaredExternalIsAnError() throws {
        let scanner = try #require(RuleCompiler.compile([.text("rule R { condition: true }", name: "r")]).rules).makeScanner()
        #expect(throws: YaraError.self) { try scanner.setExternal("not_declared", "x") }
    }

    @Test func atMostThirtyTwoScannersPerRuleSet() throws {
        let rules = try #require(RuleCompiler.compile([.text("rule R { condition: true }", name: "r")]).rules)
        var scanners: [YaraScanner] = []
        for _ in 0..<CompiledRules.maximumConcurrentScanners { scanners.append(try rules.makeScanner()) }
        #expect(CompiledRules.maximumConcurrentScanners == 32)
        #expect(throws: YaraError.self) { _ = try rules.makeScanner() }
        scanners.removeLast()  // releasing one frees a slot
        scanners.append(try rules.makeScanner())
        #expect(scanners.count == 32)
    }

    @Test func sharedDataThreeCXRulesCompileWithExternals() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/yara")
        let sigbase = root.appendingPathComponent("signature-base-3cx.yar").path
        guard FileManager.default.fileExists(atPath: sigbase) else { return }  // shared data absent: nothing to check
        let volexity = root.appendingPathComponent("volexity-3cx.yar").path
        let withExternals = RuleCompiler.compile([.file(sigbase), .file(volexity)])
        #expect(withExternals.errors.isEmpty)
        #expect(withExternals.rules?.ruleCount == 19 + 6)
        let without = RuleCompiler.compile([.file(sigbase)], externals: [])
        #expect(without.errors.contains { $0.source == sigbase && $0.line == 367 && $0.message.contains("extension") })
    }
}
