import Testing
import VigilCore
import VigilFormats
@testable import VigilDiff

/// Signals and the risk summary on hand-made facts, for the cases the fixtures do not build.
@Suite("Signals")
struct SignalTests {
    func pe(_ path: String, sha: String, signer: String? = "CN=Vendor", status: String = "signed", version: String? = "1.0.0.0",
            imports: [String] = [], library: Bool = true) -> FileFacts {
        var f = FileFacts(path: path, size: 100, sha256: sha, format: .pe)
        f.executable = ExecutableFacts(kind: "pe", isLibrary: library, machine: "x64", imports: imports, exports: ["f"])
        f.executable?.imageDigest = "digest-" + sha
        var s = SignatureFacts(status: status)
        s.signer = signer
        s.slackBytes = 0
        f.signature = s
        f.version = version.map { VersionFacts(fileVersion: $0, productVersion: $0) }
        return f
    }

    func evaluate(old: [FileFacts], new: [FileFacts]) -> [Finding] {
        let changes = Pairing.pair(old: old, new: new)
        return Signals.evaluate(ReleaseComparison(changes: changes, oldFiles: old))
    }

    @Test("signer changed and signature removed are high")
    func signers() {
        let found = evaluate(
            old: [pe("a.dll", sha: "1"), pe("b.dll", sha: "2")],
            new: [pe("a.dll", sha: "3", signer: "CN=Someone Else"), pe("b.dll", sha: "4", signer: nil, status: "unsigned")])
        #expect(found.first { $0.path == "a.dll" && $0.check == "diff.signer-changed" }?.severity == .high)
        #expect(found.first { $0.path == "b.dll" && $0.check == "diff.signature-removed" }?.severity == .high)
    }

    @Test("a new unsigned DLL beside signed executables is medium; in a new folder it is not reported")
    func newExecutable() {
        let old = [pe("app/main.exe", sha: "1", library: false)]
        let found = evaluate(old: old, new: old + [pe("app/version.dll", sha: "2", signer: nil, status: "unsigned"), pe("tools/x.exe", sha: "3")])
        let f = found.first { $0.check == "diff.new-executable" }
        #expect(f?.path == "app/version.dll" && f?.severity == .medium && f?.attack.contains("T1574.002") == true)
        #expect(!found.contains { $0.path == "tools/x.exe" })
    }

    @Test("renames and moves pair by content and by name")
    func pairing() {
        let changes = Pairing.pair(
            old: [pe("a/x.dll", sha: "1"), pe("a/y.dll", sha: "2"), pe("gone.dll", sha: "9")],
            new: [pe("a/z.dll", sha: "1"), pe("b/y.dll", sha: "5"), pe("new.dll", sha: "8")])
        let kinds = Dictionary(uniqueKeysWithValues: changes.map { ($0.path, $0.kind) })
        #expect(kinds == ["a/z.dll": .renamed, "b/y.dll": .moved, "gone.dll": .removed, "new.dll": .added])
    }

    @Test("two independent medium signals on one file make the release high; one does not")
    func escalation() {
        let medium = { (check: String, path: String) in
            Finding(check: check, title: check, severity: .medium, path: path, explanation: "")
        }
        #expect(RiskSummary(findings: [medium("x", "a.dll"), medium("y", "b.dll")]).level == .medium)
        let two = RiskSummary(findings: [medium("x", "a.dll"), medium("y", "a.dll"), medium("x", "b.dll")])
        #expect(two.level == .high)
        #expect(two.files.first == "a.dll")
        #expect(two.reasons.first?.contains("several independent signals") == true)
        #expect(RiskSummary(findings: []).label == "none")
    }

    @Test("version unchanged with new loader APIs: medium each, high together")
    func loaderAndVersion() {
        var before = pe("ffmpeg.dll", sha: "1", imports: ["kernel32.dll!GetLastError"])
        before.executable?.sections = [SectionFacts(name: ".text", size: 10, entropy: 6, executable: true, sha256: "a")]
        var after = pe("ffmpeg.dll", sha: "2", imports: ["kernel32.dll!GetLastError", "kernel32.dll!VirtualProtect", "kernel32.dll!CreateThread"])
        after.executable?.sections = [SectionFacts(name: ".text", size: 12, entropy: 7.6, executable: true, sha256: "b")]
        let found = evaluate(old: [before], new: [after])
        #expect(Set(found.map(\.check)) == ["diff.version-unchanged", "diff.new-loader-apis", "diff.code-entropy-jump"])
        #expect(found.first { $0.check == "diff.new-loader-apis" }?.evidence["capabilities"] == .strings(["executable memory", "thread creation"]))
        #expect(RiskSummary(findings: found).level == .high)
    }
}
