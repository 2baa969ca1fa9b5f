import Foundation
import Testing
import VigilCore
import _VigilTestSupport
@testable import VigilScan

@Suite("Rule and indicator setup")
struct RuleSetupTests {
    @Test func signatureBaseStyleFolderLoadsWithAllFiveExternals() throws {
        let dir = try Scratch()
        try dir.write("rules/apt_one.yar", #"import "pe"\#nrule APT_One { strings: $a = "ONE-MARKER" condition: $a }"#)
        try dir.write("rules/sub/gen_two.yara", #"rule Gen_Two : tagged { meta: score = 40 strings: $b = { 54 57 4F } condition: $b }"#)
        try dir.write("rules/thor_ext_vars.yar", """
            rule Ext_Filename { condition: filename == "x.exe" }
            rule Ext_Filepath { condition: filepath contains "/nowhere" }
            rule Ext_Extension { condition: extension == ".regtrans-ms" }
            rule Ext_Filetype { condition: filetype == "EXE" and filesize < 10 }
            rule Ext_Owner { condition: owner == "nobody-in-particular" }
            """)
        try dir.write("rules/README.md", "not a rule file")
        let configuration = try ScanSetup.prepare(rulePaths: [dir.path + "/rules"], indicatorFiles: [], useDefaults: false, options: ScanOptions())
        #expect(configuration.setupDiagnostics.isEmpty)
        #expect(configuration.ruleSourceCount == 3)
        #expect(configuration.rules?.ruleCount == 7)

        try dir.write("scan/a.regtrans-ms", "ONE-MARKER")
        let result = ScanEngine(configuration: configuration).scan([dir.path + "/scan"])
        #expect(result.findings.compactMap(\.indicator).sorted() == ["apt_one:APT_One", "thor_ext_vars:Ext_Extension"])
    }

    @Test func brokenRuleFileIsReportedWithFileAndLineAndOthersStillMatch() throws {
        let dir = try Scratch()
        try dir.write("rules/good.yar", #"rule Good { strings: $a = "GOOD" condition: $a }"#)
        let bad = try dir.write("rules/bad.yar", "rule Ok { condition: true }\nrule Bad {\n  strings: $a = \"x\"\n  condition: $b\n}\n")
        let configuration = try ScanSetup.prepare(rulePaths: [dir.path + "/rules"], indicatorFiles: [], useDefaults: false, options: ScanOptions())
        let d = try #require(configuration.setupDiagnostics.first)
        #expect(configuration.setupDiagnostics.count == 1)
        #expect(d.kind == "rule-error")
        #expect(d.path == bad)
        #expect(d.line == 5)  // where libyara (and `yara bad.yar`, 4.2.3) reports the undefined $b
        #expect(configuration.ruleSourceCount == 1)
        try dir.write("scan/f.txt", "GOOD")
        let result = ScanEngine(configuration: configuration).scan([dir.path + "/scan"])
        #expect(result.findings.map(\.indicator) == ["good:Good"])
        // The setup problem travels with the sweep's own diagnostics.
        #expect(result.diagnostics.map(\.kind) == ["rule-error"])
    }

    @Test func missingRulesPathIsASetupError() {
        #expect(throws: ScanSetupError.self) {
            _ = try ScanSetup.prepare(rulePaths: ["/nonexistent/rules"], indicatorFiles: [], useDefaults: false, options: ScanOptions())
        }
    }

    @Test func defaultsCanBeTurnedOff() throws {
        let on = try ScanSetup.prepare(rulePaths: [], indicatorFiles: [], useDefaults: true, options: ScanOptions())
        #expect(on.rules?.ruleCount == 25)  // 6 Volexity + 19 signature-base rules
        #expect(on.indicators.countsByKind[.sha256, default: 0] > 0)
        let off = try ScanSetup.prepare(rulePaths: [], indicatorFiles: [], useDefaults: false, options: ScanOptions())
        #expect(off.rules == nil)
        #expect(off.indicators.count == 0)
    }

    @Test func plainIndicatorListAcceptsHashesAndPathRegexes() throws {
        let dir = try Scratch()
        let list = try dir.write("my-iocs.txt", """
            # demo list
            ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
            /tmp/.*\\.evil$
            not a valid thing at all
            """)
        let configuration = try ScanSetup.prepare(rulePaths: [], indicatorFiles: [list], useDefaults: false, options: ScanOptions())
        #expect(configuration.indicators.countsByKind[.sha256] == 1)
        #expect(configuration.indicators.filenamePatterns.map(\.value) == [#"/tmp/.*\.evil$"#])
        #expect(Set(configuration.setupDiagnostics.map(\.line)) == [4])  // only the junk line is rejected
    }

    @Test(.enabled(if: TestSupport.sharedData != nil, "\(TestSupport.sharedDataMissing)"))
    func lokiSignatureBaseIndicatorFilesAndThreeCXRulesLoad() throws {
        let data = try #require(TestSupport.sharedData)
        let configuration = try ScanSetup.prepare(
            rulePaths: [data.appendingPathComponent("yara").path],
            indicatorFiles: [data.appendingPathComponent("iocs-loki/hash-iocs.txt").path, data.appendingPathComponent("iocs-loki/filename-iocs.txt").path],
            useDefaults: false, options: ScanOptions())
        #expect(configuration.setupDiagnostics.filter { $0.kind == "rule-error" }.isEmpty)
        #expect(configuration.rules?.ruleCount == 25)
        // signature-base hash-iocs.txt, counted with sort -u: 986 MD5, 893 SHA-1 and 1,174 SHA-256 unique values; 3,828 regexes.
        #expect(configuration.indicators.countsByKind[.md5] == 986)
        #expect(configuration.indicators.countsByKind[.sha1] == 893)
        #expect(configuration.indicators.countsByKind[.sha256] == 1174)
        #expect(configuration.indicators.countsByKind[.filename, default: 0] > 3700)
    }
}
