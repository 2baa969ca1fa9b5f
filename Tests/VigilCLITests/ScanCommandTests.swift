import Foundation
import Testing
import VigilCore
import _VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The shape of `vigil scan --format json`, decoded back.
private struct ScanDocument: Decodable {
    var tool: String
    var command: String
    var findings: [Finding]
    var diagnostics: [Diagnostic]
    var statistics: Statistics
    struct Statistics: Decodable {
        var filesScanned: Int
        var bytesScanned: Int
        var findings: Int
        var diagnostics: Int
        var diagnosticsByKind: [String: Int]
        var yaraRules: Int
    }
}

/// Runs vigil with an empty feed store, so feeds stored by other tests or users cannot add findings.
private func runIsolated(_ arguments: [String]) throws -> TestSupport.RunResult {
    try TestSupport.runVigil(arguments, environment: ["VIGIL_STORE": "/nonexistent/vigil-store-\(UUID().uuidString)"])
}

/// The parts of a SARIF log the tests read.
private struct SARIFDocument: Decodable {
    struct Run: Decodable {
        struct Result: Decodable {
            var ruleId: String
            var level: String
        }
        var results: [Result]
    }
    var version: String
    var runs: [Run]
}

@Suite("vigil scan (end to end)", .serialized)
struct ScanCommandTests {
    static let abcSHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    /// A tree with one file matching a hash indicator, one matching a rule, one clean file.
    private func makeTree() throws -> (root: URL, iocs: String, rules: String) {
        let root = try TestSupport.makeTemporaryDirectory("vigil-cli")
        try TestSupport.write(Array("abc".utf8), to: "tree/abc.bin", in: root)
        try TestSupport.write(Array("....RULE-HIT....".utf8), to: "tree/sub/rule.bin", in: root)
        try TestSupport.write(Array("clean".utf8), to: "tree/clean.txt", in: root)
        let iocs = try TestSupport.write(Array("\(Self.abcSHA256);CLI test hash\n".utf8), to: "hash-iocs.txt", in: root).path
        let rules = try TestSupport.write(
            Array(#"rule Cli_Hit { meta: score = 70 strings: $h = "RULE-HIT" condition: $h }"#.utf8), to: "rules/cli.yar", in: root).path
        return (root, iocs, rules)
    }

    @Test func jsonDocumentDecodesWithFindingsDiagnosticsAndStatistics() throws {
        let (root, iocs, rules) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = try runIsolated(["scan", "--no-default-indicators", "--iocs", iocs, "--rules", rules, "--format", "json", root.path + "/tree"])
        #expect(r.status == 1)
        let doc = try JSONDecoder().decode(ScanDocument.self, from: Data(r.stdout.utf8))
        #expect(doc.tool == "vigil")
        #expect(doc.command == "scan")
        #expect(doc.findings.map(\.check) == ["ioc.hash", "yara"])
        #expect(doc.findings[0].path == root.path + "/tree/abc.bin")
        #expect(doc.findings[1].matches == [StringMatch(identifier: "$h", offset: 4, length: 8)])
        #expect(doc.statistics.filesScanned == 3)
        #expect(doc.statistics.bytesScanned == 3 + 16 + 5)
        #expect(doc.statistics.findings == 2)
        #expect(doc.statistics.yaraRules == 1)
        #expect(!r.stdout.contains(#"\/"#))  // slashes are not escaped
    }

    @Test func jsonLinesHoldOneDecodableFindingPerLine() throws {
        let (root, iocs, rules) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = try runIsolated(["scan", "--no-default-indicators", "--iocs", iocs, "--rules", rules, "--format", "jsonl", root.path + "/tree"])
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let findings = try lines.map { try JSONDecoder().decode(Finding.self, from: Data($0.utf8)) }
        #expect(findings.map(\.check) == ["ioc.hash", "yara"])
        #expect(findings[0].evidence["sha256"] == .string(Self.abcSHA256))
        #expect(findings[0].severity == .critical)
        #expect(findings[1].indicator == "cli:Cli_Hit")
        #expect(r.stderr.contains("2 findings in 2 files"))
    }

    @Test func textOutputGroupsFindingsByFile() throws {
        let (root, iocs, rules) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = try runIsolated(["scan", "--no-default-indicators", "--iocs", iocs, "--rules", rules, root.path + "/tree"])
        #expect(r.status == 1)
        #expect(r.stdout.contains(root.path + "/tree/abc.bin\n  [CRITICAL 100] SHA-256 matches a known-bad file: CLI test hash"))
        #expect(r.stdout.contains("strings:   $h at 4 (0x4, 8 bytes)"))
        #expect(r.stdout.contains("Scanned 3 files"))
        #expect(!r.stdout.contains("\u{1B}["))  // no colour when stdout is not a terminal
    }

    @Test func lokiFalsePositiveColumnSetsMatchesAsideAndTheSummarySaysSo() throws {
        let root = try TestSupport.makeTemporaryDirectory("vigil-cli-fp")
        defer { try? FileManager.default.removeItem(at: root) }
        try TestSupport.write(Array("x".utf8), to: "tree/AppData/Local/WhatsApp/WhatsApp.exe", in: root)
        try TestSupport.write(Array("x".utf8), to: "tree/Downloads/whatsapp.exe", in: root)
        let line = #"\\whatsapp\.exe;55;(\\WhatsApp|\\Prefetch\\)"# + "\n"
        let iocs = try TestSupport.write(Array(("# WhatsApp look-alikes\n" + line).utf8), to: "filename-iocs.txt", in: root).path
        let r = try runIsolated(["scan", "--no-default-indicators", "--iocs", iocs, root.path + "/tree"])
        #expect(r.status == 1)
        #expect(r.stdout.contains(root.path + "/tree/Downloads/whatsapp.exe\n"))
        #expect(!r.stdout.contains("WhatsApp/WhatsApp.exe"))
        #expect(r.stdout.contains("1 file name matches not reported: their indicator's false-positive regex matched too"))
    }

    @Test func cleanScanExitsZero() throws {
        let (root, _, _) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = try runIsolated(["scan", root.path + "/tree/clean.txt"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("0 findings in 0 files"))
        #expect(r.stdout.contains("25 YARA rules from 2 rule sources"))
    }

    @Test(arguments: [
        ["scan"],
        ["scan", "/nonexistent/vigil-path"],
        ["scan", "--format", "xml", "."],
        ["scan", "--rules", "/nonexistent/rules.yar", "."],
        ["scan", "--iocs", "/nonexistent/iocs.txt", "."],
        ["scan", "--max-file-size", "lots", "."],
    ])
    func usageErrorsExitTwo(arguments: [String]) throws {
        let r = try runIsolated(arguments)
        #expect(r.status == 2)
        #expect(!r.stderr.isEmpty)
    }

    @Test func brokenRuleFileIsNamedWithLineAndTheScanGoesOn() throws {
        let (root, iocs, _) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let bad = try TestSupport.write(Array("rule Broken {\n  condition: nope\n}\n".utf8), to: "rules/broken.yar", in: root).path
        let r = try runIsolated(["scan", "--no-default-indicators", "--iocs", iocs, "--rules", root.path + "/rules", "--format", "json", root.path + "/tree"])
        #expect(r.status == 1)
        let doc = try JSONDecoder().decode(ScanDocument.self, from: Data(r.stdout.utf8))
        let d = try #require(doc.diagnostics.first { $0.kind == "rule-error" })
        #expect(d.path == bad)
        #expect(d.line == 2)
        #expect(doc.findings.map(\.check) == ["ioc.hash", "yara"])  // cli.yar still loaded
    }

    @Test func maxFileSizeSkipsAndReports() throws {
        let (root, _, _) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = try runIsolated(["scan", "--max-file-size", "4", "--format", "json", root.path + "/tree"])
        let doc = try JSONDecoder().decode(ScanDocument.self, from: Data(r.stdout.utf8))
        #expect(doc.statistics.diagnosticsByKind == ["skipped-size": 2])
        #expect(doc.statistics.filesScanned == 1)
    }

    @Test func unreadableFileIsACountedProblem() throws {
        // As root, mode 000 is still readable; run the binary as `nobody` through setpriv then.
        let root = try TestSupport.makeTemporaryDirectory("vigil-cli-perm")
        defer { try? FileManager.default.removeItem(at: root) }
        let secret = try TestSupport.write(Array("abc".utf8), to: "tree/secret.bin", in: root).path
        try TestSupport.write(Array("fine".utf8), to: "tree/fine.txt", in: root)
        #expect(chmod(secret, 0) == 0)
        for dir in [root.path, root.path + "/tree"] { chmod(dir, 0o755) }
        chmod(root.path + "/tree/fine.txt", 0o644)
        let exe = try #require(TestSupport.vigilExecutable)
        let r: TestSupport.RunResult
        if geteuid() == 0 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
            r = try TestSupport.run(
                URL(fileURLWithPath: "/usr/bin/setpriv"),
                ["--reuid=65534", "--regid=65534", "--clear-groups", exe.path, "scan", "--format", "json", root.path + "/tree"])
        } else {
            r = try runIsolated(["scan", "--format", "json", root.path + "/tree"])
        }
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONDecoder().decode(ScanDocument.self, from: Data(r.stdout.utf8))
        #expect(doc.diagnostics.map(\.kind) == ["unreadable"])
        #expect(doc.diagnostics.first?.path == secret)
        #expect(doc.statistics.filesScanned == 1)
    }

    @Test func helpShowsExamples() throws {
        let r = try runIsolated(["scan", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Examples:"))
        #expect(r.stdout.contains("--follow-symlinks"))
    }

    @Test func jsonLinesEscapeQuotesBackslashesAndControlCharacters() throws {
        let root = try TestSupport.makeTemporaryDirectory("vigil-cli-esc")
        defer { try? FileManager.default.removeItem(at: root) }
        let name = "we\"ird\\na\tme\u{1}é.bin"
        try TestSupport.write(Array("abc".utf8), to: "tree/" + name, in: root)
        let iocs = try TestSupport.write(Array("\(Self.abcSHA256);quote \" and backslash \\ here\n".utf8), to: "hash-iocs.txt", in: root).path
        let r = try runIsolated(["scan", "--no-default-indicators", "--iocs", iocs, "--format", "jsonl", root.path + "/tree"])
        #expect(r.status == 1)
        let line = try #require(r.stdout.split(separator: "\n").first)
        let finding = try JSONDecoder().decode(Finding.self, from: Data(line.utf8))
        #expect(finding.path == root.path + "/tree/" + name)
        #expect(finding.title.hasSuffix("quote \" and backslash \\ here"))
    }

    @Test func sarifLogListsEachFinding() throws {
        let (root, iocs, rules) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = try runIsolated(["scan", "--no-default-indicators", "--iocs", iocs, "--rules", rules, "--format", "sarif", root.path + "/tree"])
        #expect(r.status == 1)
        let log = try JSONDecoder().decode(SARIFDocument.self, from: Data(r.stdout.utf8))
        #expect(log.version == "2.1.0")
        #expect(log.runs.first?.results.map(\.ruleId) == ["ioc.hash", "yara"])
        #expect(log.runs.first?.results.map(\.level) == ["error", "warning"])
    }

    @Test func storedFeedsAreUsed() throws {
        let (root, iocs, _) = try makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = root.path + "/store"
        let add = try TestSupport.runVigil(["feed", "add", iocs, "--name", "cli-feed", "--store", store])
        #expect(add.status == 0, "\(add.stderr)")
        let r = try TestSupport.runVigil(["scan", "--no-default-indicators", "--store", store, "--format", "json", root.path + "/tree"])
        #expect(r.status == 1)
        let doc = try JSONDecoder().decode(ScanDocument.self, from: Data(r.stdout.utf8))
        #expect(doc.findings.map(\.check) == ["ioc.hash"])
        #expect(doc.findings.first?.source?.hasPrefix("cli-feed") == true)
        // Without the store the same scan is clean.
        let clean = try runIsolated(["scan", "--no-default-indicators", root.path + "/tree"])
        #expect(clean.status == 0)
    }
}
