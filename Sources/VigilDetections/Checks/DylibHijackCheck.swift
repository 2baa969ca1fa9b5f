import Foundation
import VigilCore
import VigilFormats

/// Check 5 (folder level): dylib hijacking surfaces and signing anomalies of the libraries a Mach-O
/// executable loads (after Objective-See's Dylib Hijack Scanner;
/// resolution rules in docs/detections.md).
///
/// For every executable in the folder, each dependency is resolved the way dyld does it: `@rpath/`
/// against the `LC_RPATH` list in order, `@executable_path` and `@loader_path` against the executable's
/// folder. Candidates inside the bundle are looked up on disk; absolute candidates name folders on the
/// target Mac and are judged by where they point.
struct DylibHijackCheck {
    var options: DetectionOptions
    var cache: MachOFactsCache

    private struct Candidate {
        var path: String
        var location: DylibLocation
        var fromBundle: Bool
        var exists: Bool
    }

    func run(folder: String, files: [FileAnalysis]) -> [Finding] {
        var findings: [Finding] = []
        let local = Dictionary(
            files.compactMap { f in f.facts?.macho.map { (DylibPaths.absolute(f.path), $0) } }, uniquingKeysWith: { a, _ in a })
        for file in files {
            guard let facts = file.facts?.macho, facts.isExecutable else { continue }
            findings += check(executable: file.path, facts: facts, local: local)
        }
        return findings
    }

    private func check(executable path: String, facts: MachOFacts, local: [String: MachOFacts]) -> [Finding] {
        let execPath = DylibPaths.absolute(path)
        let execFolder = DylibPaths.folder(of: execPath)
        let bundleRoot = DylibPaths.bundleRoot(containing: execPath)
        let inBundle = DylibPaths.isInBundle(execPath)
        // Paths that are not on disk come from a virtual tree (release archive members in `vigil diff`):
        // resolve only against the files the engine analysed, never against the host's file system.
        let onDisk = options.resolveDylibsOnDisk && FileManager.default.fileExists(atPath: execPath)
        var findings: [Finding] = []
        var reportedRpaths = Set<String>()
        let rpathDirs: [(raw: String, path: String, fromBundle: Bool)] = facts.rpaths.compactMap { raw in
            DylibPaths.expand(raw, executableFolder: execFolder, loaderFolder: execFolder).map { (raw, $0.path, $0.fromBundle) }
        }
        for dylib in facts.dylibs {
            var candidates: [Candidate] = []
            if dylib.name.hasPrefix("@rpath/") {
                let rest = String(dylib.name.dropFirst("@rpath/".count))
                for dir in rpathDirs {
                    let full = dir.fromBundle ? DylibPaths.absolute(dir.path + "/" + rest) : dir.path + "/" + rest
                    candidates.append(candidate(full, bundleRoot: bundleRoot, fromBundle: dir.fromBundle, local: local, onDisk: onDisk))
                }
            } else if let expanded = DylibPaths.expand(dylib.name, executableFolder: execFolder, loaderFolder: execFolder) {
                candidates.append(candidate(expanded.path, bundleRoot: bundleRoot, fromBundle: expanded.fromBundle, local: local, onDisk: onDisk))
            } else {
                continue  // another @token dyld does not define for executables
            }
            if !candidates.isEmpty, candidates.allSatisfy({ $0.location == .system }) { continue }
            let firstFound = candidates.firstIndex { $0.exists }
            let searchedBefore = candidates[..<(firstFound ?? candidates.count)]
            let risky = searchedBefore.first { $0.location == .userWritable || $0.location == .otherAbsolute }
            var evidence: [String: EvidenceValue] = [
                "executable": .string(path),
                "dylib": .string(dylib.name),
                "load_command": .string(dylib.kind),
                "rpaths": .strings(facts.rpaths),
                "search_order": .strings(candidates.map { "\($0.path) [\($0.location.rawValue)\($0.exists ? ", present" : "")]" }),
                "bundle_root": .string(bundleRoot),
            ]
            if let risky {
                // dyld tries this folder before any copy the bundle ships.
                evidence["first_resolution"] = .string(risky.path)
                evidence["first_resolution_location"] = .string(risky.location.rawValue)
                reportedRpaths.insert(DylibPaths.folder(of: risky.path))
                let severity: Severity = risky.location == .userWritable ? .high : .medium
                let where_ = risky.location == .userWritable ? "a folder any local user can write to" : "a folder outside the application"
                findings.append(
                    finding(
                        check: dylib.kind == "weak" ? CheckID.weakDylib : CheckID.rpathHijack,
                        title: "\(dylib.name) resolves first to \(risky.path) (\(risky.location.rawValue))",
                        severity: severity, path: path,
                        explanation: "dyld looks for \(dylib.name) (\(loadCommand(dylib.kind))) in \(risky.path) before "
                            + (firstFound.map { "the copy at \(candidates[$0].path)" } ?? "any copy in the bundle")
                            + ". That is \(where_): whoever drops a library there gets code run inside this signed "
                            + "program (dylib hijacking). Signed applications should only search inside their bundle.",
                        evidence: evidence))
                continue
            }
            guard let found = firstFound else {
                let weak = dylib.kind == "weak"
                evidence["bundled"] = .bool(inBundle)
                findings.append(
                    finding(
                        check: weak ? CheckID.weakDylib : CheckID.missingDylib,
                        title: weak
                            ? "Weak dylib \(dylib.name) is missing: a planted copy would be loaded"
                            : "Dylib \(dylib.name) is missing from where the executable expects it",
                        severity: inBundle ? .medium : .low, path: path,
                        explanation: (weak
                            ? "The executable loads \(dylib.name) weakly (LC_LOAD_WEAK_DYLIB), so it starts without it; "
                            : "The executable needs \(dylib.name), ")
                            + "but no candidate location holds the file (\(candidates.map(\.path).joined(separator: ", "))). "
                            + "A library later placed at the first of these paths is loaded with the program's "
                            + "privileges: the classic weak/missing dylib hijack. Check whether the bundle is complete.",
                        evidence: evidence))
                continue
            }
            let resolved = candidates[found]
            // Loose binaries (bin/../lib layouts) have no bundle boundary to leave.
            if resolved.location == .outsideBundle && inBundle {
                evidence["resolved_path"] = .string(resolved.path)
                findings.append(
                    finding(
                        check: CheckID.rpathHijack,
                        title: "\(dylib.name) resolves outside the application bundle, to \(resolved.path)",
                        severity: .medium, path: path,
                        explanation: "The library is loaded from \(resolved.path), outside the bundle \(bundleRoot). "
                            + "Code outside the bundle is not covered by the bundle's signature and may be writable.",
                        evidence: evidence))
            }
            if resolved.location == .bundle, facts.isCertificateSigned,
                let library = libraryFacts(resolved.path, local: local, onDisk: onDisk)
            {
                findings += signerFindings(
                    executable: path, facts: facts, dylib: dylib, libraryPath: DylibPaths.display(resolved.path, like: path),
                    library: library)
            }
        }
        // Search paths outside the bundle that no dependency resolved through first: a latent surface.
        for dir in rpathDirs where !dir.fromBundle && !reportedRpaths.contains(dir.path) {
            let location = DylibLocation.classify(dir.path, bundleRoot: bundleRoot, resolvedFromBundle: false)
            guard location == .userWritable else { continue }
            findings.append(
                finding(
                    check: CheckID.rpathHijack,
                    title: "LC_RPATH \(dir.raw) points into a user-writable folder",
                    severity: .low, path: path,
                    explanation: "The executable searches \(dir.raw) for @rpath libraries after the bundle's own "
                        + "folders. Nothing resolves there today, but if a bundled library goes missing, a library "
                        + "dropped in that folder would be loaded.",
                    evidence: ["executable": .string(path), "rpath": .string(dir.raw), "rpaths": .strings(facts.rpaths)]))
        }
        return findings
    }

    private func signerFindings(
        executable: String, facts: MachOFacts, dylib: DylibFact, libraryPath: String, library: MachOFacts
    ) -> [Finding] {
        let mainTeam = facts.teamID ?? ""
        var evidence: [String: EvidenceValue] = [
            "executable": .string(executable),
            "library": .string(libraryPath),
            "dylib": .string(dylib.name),
            "executable_team_id": .string(mainTeam),
            "executable_signature_class": .string(facts.signatureClass),
            "library_team_id": .string(library.teamID ?? ""),
            "library_signature_class": .string(library.signatureClass),
            "library_identifier": .string(library.identifier ?? ""),
        ]
        let severity: Severity
        let what: String
        switch library.signatureClass {
        case SignatureClass.certificateSigned.rawValue:
            guard library.teamID != facts.teamID else { return [] }
            severity = .high
            what = "is signed by team \(library.teamID ?? "(none)"), not by the application's team \(mainTeam)"
        case SignatureClass.adhoc.rawValue, SignatureClass.linkerSigned.rawValue:
            severity = .high
            what = "is only ad-hoc signed (no certificate, no team) inside an application signed by team \(mainTeam)"
        default:
            severity = .medium
            what = "is \(library.signatureClass) inside an application signed by team \(mainTeam)"
        }
        evidence["mismatch"] = .string(library.signatureClass == SignatureClass.certificateSigned.rawValue ? "team" : "class")
        return [
            finding(
                check: CheckID.librarySigner,
                title: "Bundled library \(DylibPaths.folder(of: libraryPath).split(separator: "/").last.map { "\($0)/" } ?? "")"
                    + "\((libraryPath as NSString).lastPathComponent) \(what)",
                severity: severity, path: libraryPath,
                explanation: "\(executable) loads \(dylib.name), which resolves to \(libraryPath). That library \(what). "
                    + "A vendor signs everything it ships with its own Developer ID; a library with another identity "
                    + "was added or replaced after the build, the way supply-chain implants and dylib hijacks are. "
                    + "(Library validation blocks this only when the app uses the hardened runtime without the "
                    + "disable-library-validation entitlement.)",
                evidence: evidence),
        ]
    }

    private func candidate(_ path: String, bundleRoot: String, fromBundle: Bool, local: [String: MachOFacts], onDisk: Bool) -> Candidate {
        let location = DylibLocation.classify(path, bundleRoot: bundleRoot, resolvedFromBundle: fromBundle)
        var exists = false
        if fromBundle {
            exists = local[path] != nil || cache.facts(for: path) != nil
                || (onDisk && FileManager.default.fileExists(atPath: path))
        }
        return Candidate(path: path, location: location, fromBundle: fromBundle, exists: exists)
    }

    /// The library's facts: from this folder, from the scan's cache, or read from disk (bounded).
    private func libraryFacts(_ path: String, local: [String: MachOFacts], onDisk: Bool) -> MachOFacts? {
        if let facts = local[path] ?? cache.facts(for: path) { return facts }
        guard onDisk,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int, size <= options.maxDylibReadSize,
            let data = FileManager.default.contents(atPath: path)
        else { return nil }
        guard let facts = MachOAnalyzer.machOFacts(MachOFile.parse([UInt8](data), options: .structure)) else { return nil }
        cache.insert(facts, for: path)
        return facts
    }

    private func loadCommand(_ kind: String) -> String {
        DylibKind(rawValue: kind)?.commandName ?? kind
    }

    private func finding(
        check: String, title: String, severity: Severity, path: String, explanation: String, evidence: [String: EvidenceValue]
    ) -> Finding {
        Finding(
            check: check, title: title, severity: severity, path: path, explanation: explanation,
            attack: check == CheckID.librarySigner ? [Attack.dylibHijacking, Attack.codeSigning, Attack.supplyChain] : [Attack.dylibHijacking],
            evidence: evidence)
    }
}
