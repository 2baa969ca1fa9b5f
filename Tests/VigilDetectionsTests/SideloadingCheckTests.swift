import Testing
import VigilCore
import VigilDetections
import VigilFormats

/// The folder-level side-loading rules on hand-made facts (the parsers are exercised by the fixture
/// tests; these pin down each rule and its severity).
@Suite struct SideloadingCheckTests {
    static let vendor = SignerFacts(subject: "CN=Vendor Ltd, O=Vendor Ltd, C=GB")
    static let renewed = SignerFacts(subject: "CN=Vendor Ltd Code Signing 2024, O=Vendor Ltd, C=GB", thumbprint: "aa")
    static let microsoft = SignerFacts(subject: "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US")
    static let other = SignerFacts(subject: "CN=Someone Else, O=Someone Else Inc, C=US")

    func pe(_ path: String, dll: Bool = true, imports: [String] = [], signer: SignerFacts? = nil, tamper: [String] = []) -> FileAnalysis {
        FileAnalysis(
            path: path,
            facts: BinaryFacts(
                format: .pe, pe: PEFacts(isDLL: dll, imports: imports, signer: signer, digestMatches: signer == nil ? nil : true),
                tamperChecks: tamper))
    }

    func run(_ files: [FileAnalysis], folder: String = "/apps/Vendor", options: DetectionOptions = DetectionOptions()) -> [Finding] {
        DetectionEngine(options: options).analyzeFolder(folder, files: files)
    }

    @Test func signerRulesForImportedSiblings() {
        let findings = run([
            pe("/apps/Vendor/app.exe", dll: false, imports: ["kernel32.dll", "a.dll", "b.dll", "c.dll", "d.dll", "e.dll", "vcruntime140.dll"], signer: Self.vendor),
            pe("/apps/Vendor/a.dll"),  // unsigned
            pe("/apps/Vendor/b.dll", signer: Self.other),  // other organisation
            pe("/apps/Vendor/c.dll", signer: Self.microsoft),  // Microsoft redistributable
            pe("/apps/Vendor/d.dll", signer: Self.renewed),  // same organisation, renewed certificate
            pe("/apps/Vendor/e.dll", signer: Self.vendor, tamper: [CheckID.certificateTableSlack]),
            pe("/apps/Vendor/vcruntime140.dll", signer: Self.vendor),
            pe("/apps/Vendor/kernel32.dll"),  // KnownDLL: never loaded from here
        ])
        func severity(_ path: String) -> [Severity] {
            findings.filter { $0.check == CheckID.sideloadedDependency && $0.path == path }.map(\.severity)
        }
        #expect(severity("/apps/Vendor/a.dll") == [.medium])
        #expect(severity("/apps/Vendor/b.dll") == [.medium])
        #expect(severity("/apps/Vendor/c.dll") == [.low])
        #expect(severity("/apps/Vendor/d.dll").isEmpty)
        #expect(severity("/apps/Vendor/e.dll") == [.high])
        #expect(severity("/apps/Vendor/kernel32.dll").isEmpty)
        let surface = findings.first { $0.check == CheckID.sideloadedDependency && $0.path == "/apps/Vendor/app.exe" }
        #expect(surface?.severity == .low)
        #expect(surface?.evidence["dlls"] == .strings(["d.dll", "vcruntime140.dll"]))
    }

    @Test func unsignedProgramsAreNotSideloadingSetups() {
        let findings = run([pe("/apps/x/app.exe", dll: false, imports: ["a.dll"]), pe("/apps/x/a.dll")])
        #expect(findings.isEmpty)
    }

    @Test func systemLibraryNamesInApplicationFolders() {
        let findings = run([
            pe("/apps/Vendor/app.exe", dll: false, imports: ["version.dll"]),
            pe("/apps/Vendor/version.dll"),  // imported, unsigned: medium
            pe("/apps/Vendor/winmm.dll"),  // not imported statically: low
            pe("/apps/Vendor/user32.dll"),  // KnownDLL: low
            pe("/apps/Vendor/d3dcompiler_47.dll"),  // app-local redistributable: nothing
            pe("/apps/Vendor/api-ms-win-core-file-l1-1-0.dll"),  // API set: nothing
        ]).filter { $0.check == CheckID.systemLibraryName }
        #expect(findings.first { $0.path.hasSuffix("version.dll") }?.severity == .medium)
        #expect(findings.first { $0.path.hasSuffix("winmm.dll") }?.severity == .low)
        let user32 = findings.first { $0.path.hasSuffix("user32.dll") }
        #expect(user32?.severity == .low)
        #expect(user32?.evidence["known_dll"] == .bool(true))
        #expect(findings.count == 3)
    }

    @Test func aFolderFullOfSystemLibrariesIsASystemFolder() {
        // A System32 copy or a Wine prefix: every name is a system name, nothing is an application plant.
        let names = ["version.dll", "winmm.dll", "user32.dll", "kernel32.dll", "dwmapi.dll", "uxtheme.dll", "wininet.dll", "crypt32.dll"]
        let files = names.map { pe("/wine/x86_64-windows/\($0)") } + [pe("/wine/x86_64-windows/notepad.exe", dll: false, imports: ["version.dll"])]
        #expect(run(files, folder: "/wine/x86_64-windows").isEmpty)
        // One name fewer than the threshold and the same folder counts as an application folder.
        let fewer = Array(files.dropFirst())
        #expect(!run(fewer, folder: "/wine/x86_64-windows").isEmpty)
    }

    @Test func hijackLibsPairOutsideExpectedLocation() throws {
        let entry = HijackLibsEntry(
            name: "example.dll", vendor: "Microsoft", expectedLocations: ["%SYSTEM32%", "%PROGRAMFILES%\\Example\\%VERSION%\\bin"],
            expectedSigners: ["CN=Microsoft Windows, O=Microsoft Corporation, C=US"],
            vulnerableExecutables: [HijackLibsExecutable(path: "%SYSTEM32%\\host.exe", type: "Sideloading")],
            source: "test/example.yml")
        let options = DetectionOptions(hijackLibs: HijackLibsDatabase(entries: [entry]))
        let planted = run(
            [pe("/users/public/host.exe", dll: false, signer: Self.microsoft), pe("/users/public/example.dll")],
            folder: "/users/public", options: options
        ).filter { $0.check == CheckID.hijackLibsPair }
        #expect(planted.map(\.severity) == [.high])
        #expect(planted.first?.evidence["vulnerable_executables"] == .strings(["/users/public/host.exe"]))
        #expect(planted.first?.indicator == "test/example.yml")
        // Signed by an expected signer: a copied legitimate pair, still unusual.
        let copied = run(
            [pe("/users/public/host.exe", dll: false), pe("/users/public/example.dll", signer: SignerFacts(subject: "CN=Microsoft Windows, O=Microsoft Corporation, C=US"))],
            folder: "/users/public", options: options
        ).filter { $0.check == CheckID.hijackLibsPair }
        #expect(copied.map(\.severity) == [.medium])
        // In an expected location (a mounted Windows image's System32, or the vendor's versioned folder): nothing.
        for folder in ["/mnt/win/Windows/System32", "/mnt/win/Program Files/Example/1.2.3/bin"] {
            let inPlace = run([pe(folder + "/host.exe", dll: false), pe(folder + "/example.dll")], folder: folder, options: options)
            #expect(!inPlace.contains { $0.check == CheckID.hijackLibsPair }, "\(folder)")
        }
        // The DLL alone, without a vulnerable executable beside it: no pair.
        #expect(run([pe("/users/public/example.dll")], folder: "/users/public", options: options).isEmpty)
    }

    @Test func organisationsCompareByOrganisationAttribute() {
        #expect(Self.vendor.organization == Self.renewed.organization)
        #expect(Self.microsoft.isMicrosoft)
        #expect(SignerFacts(subject: "CN=Only Common Name").organization == "only common name")
        #expect(SignerFacts(subject: "CN=x, O=\"Comma, Inc\", C=US").organization == "comma, inc")
    }
}
