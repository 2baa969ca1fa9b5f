import VigilCore
import VigilFormats

/// Per-file Mach-O work: the page-hash check (check 5, per file) and the facts the dylib checks need.
enum MachOAnalyzer {
    /// Findings, facts, and the parse problems as `malformed` diagnostics (counted in the scan summary
    /// as PE problems are; `vigil inspect` lists the same problems).
    static func analyze(_ file: ScannedFile) -> (findings: [Finding], facts: BinaryFacts, diagnostics: [Diagnostic]) {
        let parsed = MachOFile.parse(file.bytes, options: .structure)
        let findings = pageHashFindings(parsed, path: file.path)
        var facts = BinaryFacts(format: file.format, macho: machOFacts(parsed))
        facts.tamperChecks = findings.filter { $0.severity >= .medium }.map(\.check)
        return (findings, facts, parsed.allProblems.map { FormatIssueDiagnostic.make($0, path: file.path) })
    }

    /// Facts from every slice: the first slice's type, the union of dependencies and rpaths, the weakest
    /// signature class and the first team identifier.
    static func machOFacts(_ file: MachOFile) -> MachOFacts? {
        guard let first = file.slices.first(where: { $0.header != nil }), let header = first.header else { return nil }
        var dylibs: [DylibFact] = []
        var rpaths: [String] = []
        var seenDylibs = Set<DylibFact>()
        var classes: [SignatureClass] = []
        var team: String?
        var identifier: String?
        for slice in file.slices where slice.header != nil {
            for dylib in slice.dylibs {
                let fact = DylibFact(kind: dylib.kind.rawValue, name: dylib.name)
                if seenDylibs.insert(fact).inserted { dylibs.append(fact) }
            }
            for rpath in slice.rpaths where !rpaths.contains(rpath) { rpaths.append(rpath) }
            classes.append(slice.signatureClass)
            let directory = slice.codeSignature?.primary
            if team == nil { team = directory?.teamIdentifier }
            if identifier == nil, let id = directory?.identifier, !id.isEmpty { identifier = id }
        }
        return MachOFacts(
            fileType: header.fileType,
            installName: first.installName?.name,
            dylibs: dylibs,
            rpaths: rpaths,
            signatureClass: weakest(classes).rawValue,
            teamID: team,
            identifier: identifier)
    }

    /// The least trustworthy class among slices: unsigned < malformed < ad-hoc < linker-signed < certificate.
    static func weakest(_ classes: [SignatureClass]) -> SignatureClass {
        let order: [SignatureClass] = [.unsigned, .malformed, .adhoc, .linkerSigned, .certificateSigned]
        return order.first { classes.contains($0) } ?? .unsigned
    }

    static func pageHashFindings(_ file: MachOFile, path: String) -> [Finding] {
        var findings: [Finding] = []
        for slice in file.slices {
            guard let signature = slice.codeSignature else { continue }
            for directory in signature.codeDirectories {
                guard let check = directory.verification, check.badPageCount > 0 || !check.badSpecialSlots.isEmpty else {
                    continue
                }
                let arch = slice.header?.architecture ?? "slice@\(slice.offset)"
                let pageSize = directory.pageSize
                let firstBad = check.badPages.first
                let badOffset = firstBad.map { slice.offset + $0 * max(pageSize, 1) }
                var parts: [String] = []
                if check.badPageCount > 0 {
                    parts.append("\(check.badPageCount) of \(check.pagesChecked) code pages")
                }
                if !check.badSpecialSlots.isEmpty {
                    parts.append("special slots \(check.badSpecialSlots.map(String.init).joined(separator: ", "))")
                }
                findings.append(
                    Finding(
                        check: CheckID.pageHashes,
                        title: "Code signature page hashes do not match (\(arch), \(parts.joined(separator: " and ")))",
                        severity: .high,
                        path: path,
                        offset: badOffset,
                        explanation: "The \(arch) code signature (identifier '\(directory.identifier)'"
                            + (directory.teamIdentifier.map { ", team \($0)" } ?? "")
                            + ") records a hash for every page of code, and \(parts.joined(separator: " and ")) no "
                            + "longer match: the code was changed after it was signed. The CMS signature covers only "
                            + "the CodeDirectory, so it still verifies; macOS kills such a process when the page is "
                            + "loaded, unless the file was re-signed. A supply-chain implant patched into a signed "
                            + "library looks exactly like this.",
                        attack: [Attack.codeSigning, Attack.supplyChain],
                        evidence: [
                            "architecture": .string(arch),
                            "identifier": .string(directory.identifier),
                            "team_id": .string(directory.teamIdentifier ?? ""),
                            "signature_class": .string(slice.signatureClass.rawValue),
                            "pages_checked": .int(check.pagesChecked),
                            "bad_page_count": .int(check.badPageCount),
                            "bad_pages": .strings(check.badPages.prefix(32).map(String.init)),
                            "bad_special_slots": .strings(check.badSpecialSlots.map(String.init)),
                            "page_size": .int(pageSize),
                            "cdhash": .string(directory.cdhash ?? ""),
                        ]))
            }
        }
        return findings
    }
}
