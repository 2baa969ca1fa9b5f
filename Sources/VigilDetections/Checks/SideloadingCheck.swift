import VigilCore

/// Check 3 (folder level): DLL side-loading set-ups among the PE files of one folder.
///
/// Windows looks for a DLL imported by name in the program's own folder first (unless it is a
/// KnownDLL), so a signed program loads whatever DLL of that name sits beside it. 3CX's signed
/// `3CXDesktopApp.exe` loaded a trojanized `ffmpeg.dll` this way. The check relates each signed
/// program to the DLLs beside it that it imports, flags DLLs named like Windows system libraries in
/// application folders, and, with a user-supplied HijackLibs data set, known vulnerable program/DLL
/// pairs outside their expected locations.
struct SideloadingCheck {
    var options: DetectionOptions

    private struct PEEntry {
        var path: String
        var name: String
        var facts: PEFacts
        var tamper: [String]
    }

    func run(folder: String, files: [FileAnalysis]) -> [Finding] {
        let entries: [PEEntry] = files.compactMap { file in
            guard let facts = file.facts?.pe else { return nil }
            return PEEntry(path: file.path, name: Self.fileName(file.path).lowercased(), facts: facts, tamper: file.facts?.tamperChecks ?? [])
        }
        guard !entries.isEmpty else { return [] }
        var byName: [String: PEEntry] = [:]
        for entry in entries where byName[entry.name] == nil { byName[entry.name] = entry }
        let systemNames = entries.filter { options.systemLibraries.contains($0.name) || options.knownDLLs.contains($0.name) }
        let isSystemFolder = systemNames.count >= options.systemFolderThreshold
        var findings: [Finding] = []
        for importer in entries where importer.facts.signer != nil {
            findings += dependencyFindings(importer: importer, byName: byName)
        }
        if !isSystemFolder {
            findings += systemNameFindings(entries: entries)
        }
        // A System32 copy or Wine prefix holds the vulnerable programs and their DLLs together by design.
        if let hijackLibs = options.hijackLibs, !isSystemFolder {
            findings += hijackLibsFindings(folder: folder, files: files, byName: byName, database: hijackLibs)
        }
        return findings
    }

    // MARK: signed program → DLL beside it

    private func dependencyFindings(importer: PEEntry, byName: [String: PEEntry]) -> [Finding] {
        guard let signer = importer.facts.signer else { return [] }
        var findings: [Finding] = []
        var consistent: [String] = []
        for name in importer.facts.imports where !options.knownDLLs.contains(name) {
            guard let dll = byName[name], dll.path != importer.path else { continue }
            var evidence: [String: EvidenceValue] = [
                "importer": .string(importer.path),
                "importer_signer": .string(signer.subject),
                "dll": .string(name),
                "dll_path": .string(dll.path),
                "dll_signer": .string(dll.facts.signer?.subject ?? ""),
                "dll_signature": .string(Self.signatureState(dll.facts)),
            ]
            let severity: Severity
            let reason: String
            let state: String
            if !dll.tamper.isEmpty {
                state = "is tampered"
                evidence["dll_tamper_checks"] = .strings(dll.tamper)
                severity = .high
                reason = "carries signs of tampering itself (\(dll.tamper.joined(separator: ", "))), so the signed "
                    + "program is a loader for modified code"
            } else if dll.facts.signer == nil {
                state = "is unsigned"
                severity = .medium
                reason = "is not signed: the program's signature vouches for nothing that runs from this DLL, and "
                    + "anyone who can write to the folder can replace it"
            } else if let dllSigner = dll.facts.signer, dllSigner.organization != signer.organization {
                // Microsoft-signed redistributables (d3dcompiler_47, the VC++ runtime) are shipped by many vendors.
                state = "has another signer"
                severity = dllSigner.isMicrosoft ? .low : .medium
                reason = "is signed by a different organisation (\(dllSigner.subject)) than the program (\(signer.subject))"
                    + (dllSigner.isMicrosoft ? "; Microsoft redistributables are commonly bundled" : "")
            } else {
                consistent.append(name)
                continue
            }
            findings.append(
                Finding(
                    check: CheckID.sideloadedDependency,
                    title: "Signed \(Self.fileName(importer.path)) imports \(name) from its own folder, which \(state)",
                    severity: severity,
                    path: dll.path,
                    explanation: "\(importer.path) is signed by \(signer.subject) and imports \(name) by name. Windows "
                        + "loads that DLL from the program's own folder first, and the copy there \(reason). This is "
                        + "the DLL side-loading set-up of the 3CX compromise (a signed app loading a trojanized "
                        + "ffmpeg.dll beside it).",
                    attack: [Attack.dllSideLoading, Attack.supplyChain],
                    evidence: evidence))
        }
        if !consistent.isEmpty {
            findings.append(
                Finding(
                    check: CheckID.sideloadedDependency,
                    title: "Signed \(Self.fileName(importer.path)) loads \(consistent.count) DLL(s) from its own folder (same signer)",
                    severity: .low,
                    path: importer.path,
                    explanation: "\(importer.path) imports \(consistent.joined(separator: ", ")) by name and the DLLs sit "
                        + "beside it, signed by the same organisation. That is normal bundling, recorded as the "
                        + "side-loading surface: these files run inside the signed program, so a release diff should "
                        + "show them unchanged unless their version changed.",
                    attack: [Attack.dllSideLoading],
                    evidence: [
                        "importer": .string(importer.path), "importer_signer": .string(signer.subject),
                        "dlls": .strings(consistent),
                    ]))
        }
        return findings
    }

    // MARK: system library names in an application folder

    private func systemNameFindings(entries: [PEEntry]) -> [Finding] {
        var findings: [Finding] = []
        for dll in entries {
            let known = options.knownDLLs.contains(dll.name)
            guard known || options.systemLibraries.contains(dll.name) else { continue }
            if options.appLocalRedistributables.contains(dll.name) || WindowsLibraries.isAPISet(dll.name) { continue }
            let importers = entries.filter { $0.path != dll.path && $0.facts.imports.contains(dll.name) }
            let msSigned = dll.facts.signer?.isMicrosoft == true
            let severity: Severity = (!known && !importers.isEmpty && !msSigned) ? .medium : .low
            let detail: String
            if known {
                detail = "It is a KnownDLL, so Windows always loads the system copy and ignores this one; a copy here "
                    + "is odd rather than dangerous (it may target an older Windows or another loader)."
            } else if importers.isEmpty {
                detail = "No program in this folder imports it statically, but programs also load libraries at run time "
                    + "(LoadLibrary), which a file scan cannot see."
            } else {
                detail = "\(importers.map { Self.fileName($0.path) }.joined(separator: ", ")) import(s) it, and Windows "
                    + "takes the copy in the program's folder before the one in System32."
            }
            findings.append(
                Finding(
                    check: CheckID.systemLibraryName,
                    title: "\(dll.name) (a Windows system library name) in an application folder",
                    severity: severity,
                    path: dll.path,
                    explanation: "Applications do not ship their own \(dll.name); a copy beside a program is the classic "
                        + "DLL side-loading plant. \(detail)"
                        + (msSigned ? " This copy is signed by Microsoft." : ""),
                    attack: [Attack.dllSideLoading],
                    evidence: [
                        "dll": .string(dll.name),
                        "known_dll": .bool(known),
                        "imported_by": .strings(importers.map(\.path)),
                        "dll_signer": .string(dll.facts.signer?.subject ?? ""),
                        "dll_signature": .string(Self.signatureState(dll.facts)),
                    ]))
        }
        return findings
    }

    // MARK: HijackLibs pairs

    private func hijackLibsFindings(
        folder: String, files: [FileAnalysis], byName: [String: PEEntry], database: HijackLibsDatabase
    ) -> [Finding] {
        let namesInFolder = Dictionary(files.map { (Self.fileName($0.path).lowercased(), $0.path) }, uniquingKeysWith: { a, _ in a })
        var findings: [Finding] = []
        for (name, dll) in byName.sorted(by: { $0.key < $1.key }) {
            for entry in database.byName[name] ?? [] {
                if HijackLibsDatabase.folder(folder, matchesAnyOf: entry.expectedLocations) { continue }
                let loaders = entry.vulnerableExecutables.filter {
                    $0.type != "Environment Variable" && namesInFolder[$0.fileName] != nil
                }
                guard !loaders.isEmpty else { continue }
                let expected = Set(entry.expectedSigners.map { SignerFacts(subject: $0).organization })
                let signerMatches = dll.facts.signer.map { expected.contains($0.organization) } ?? false
                let severity: Severity = signerMatches && dll.tamper.isEmpty ? .medium : .high
                let exePaths = loaders.compactMap { namesInFolder[$0.fileName] }
                findings.append(
                    Finding(
                        check: CheckID.hijackLibsPair,
                        title: "Known side-loading pair: \(loaders.map(\.fileName).joined(separator: ", ")) with \(name) outside their usual location",
                        severity: severity,
                        path: dll.path,
                        explanation: "HijackLibs lists \(loaders.map(\.path).joined(separator: ", ")) as loading \(name) "
                            + "by name (\(Set(loaders.map(\.type)).sorted().joined(separator: ", "))). Both files sit "
                            + "together in \(folder), which is not one of the DLL's expected locations. Attackers copy a "
                            + "legitimate program next to a planted DLL to run their code under a trusted name. "
                            + (signerMatches
                                ? "The DLL is signed by an expected signer, so this may be a copied legitimate pair."
                                : "The DLL is \(dll.facts.signer == nil ? "unsigned" : "signed by \(dll.facts.signer?.subject ?? "")"), not by an expected signer."),
                        attack: [Attack.dllSideLoading],
                        source: "HijackLibs",
                        indicator: entry.source,
                        evidence: [
                            "dll": .string(name),
                            "vulnerable_executables": .strings(exePaths),
                            "hijack_types": .strings(Set(loaders.map(\.type)).sorted()),
                            "expected_locations": .strings(entry.expectedLocations),
                            "expected_signers": .strings(entry.expectedSigners),
                            "dll_signer": .string(dll.facts.signer?.subject ?? ""),
                            "hijacklibs_entry": .string(entry.source),
                        ]))
            }
        }
        return findings
    }

    static func fileName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    static func signatureState(_ facts: PEFacts) -> String {
        guard facts.signer != nil else { return "unsigned" }
        switch facts.digestMatches {
        case true: return "signed, digest matches"
        case false: return "signed, digest mismatch"
        default: return "signed"
        }
    }
}
