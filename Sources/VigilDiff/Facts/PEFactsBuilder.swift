import Crypto
import VigilBinary
import VigilFormats

/// Turns a parsed PE file into the facts a release diff compares, and computes the image digest:
/// SHA-256 over every byte except the checksum field, the security-directory entry and the
/// certificate table (the Authenticode exclusions). Bytes after the table are hashed, so data
/// appended outside the signature changes the digest.
enum PEFactsBuilder {
    struct Result {
        var executable: ExecutableFacts
        var version: VersionFacts?
        var signature: SignatureFacts
        /// Byte ranges to leave out of string extraction (the certificate table: its certificates
        /// hold CRL and OCSP URLs that say nothing about the code).
        var excluded: [Range<Int>]
    }

    static func build(_ pe: PEFile, bytes: [UInt8]) -> Result {
        var imports: [String] = []
        for library in pe.imports {
            let dll = library.dll.lowercased()
            for function in library.functions {
                if let name = function.name {
                    imports.append(dll + "!" + name)
                } else if let ordinal = function.ordinal {
                    imports.append(dll + "!#\(ordinal)")
                }
            }
        }
        let exports = (pe.exports?.symbols ?? []).map { $0.name ?? "#\($0.ordinal)" }
        var sections: [SectionFacts] = []
        var seenNames: [String: Int] = [:]
        for section in pe.sections {
            let start = Int(section.pointerToRawData)
            let length = min(Int(section.sizeOfRawData), max(0, bytes.count - start))
            guard start >= 0, start <= bytes.count, length >= 0 else { continue }
            // Two sections may share a name; number the repeats so both are compared.
            let n = seenNames[section.name, default: 0]
            seenNames[section.name] = n + 1
            let name = n == 0 ? section.name : "\(section.name)#\(n + 1)"
            sections.append(
                SectionFacts(
                    name: name, size: Int(section.sizeOfRawData), entropy: section.entropy ?? 0, executable: section.isExecutable,  // parsed with .complete: always measured
                    sha256: SHA256.hash(data: Array(bytes[start..<start + length])).hexString))
        }
        let executable = ExecutableFacts(
            kind: "pe", isLibrary: pe.coff.isDLL, machine: pe.coff.machineName, imports: imports.sorted(),
            exports: exports.sorted(), sections: sections,
            codeSize: sections.filter(\.executable).reduce(0) { $0 + $1.size },
            linkTime: pe.coff.timeDateStamp == 0 ? nil : pe.coff.timeDateStamp)
        var signature = signature(pe)
        if signature.status == "signed", let report = Authenticode.analyze(bytes, pe: pe) {
            addSigner(report, to: &signature)
        }
        var result = Result(executable: executable, version: version(pe), signature: signature, excluded: [])
        if let table = pe.certificateTable, table.size > 0, let end = table.offset.adding(table.size) {
            result.excluded = [table.offset..<min(end, bytes.count)]
        }
        result.executable.imageDigest = imageDigest(pe, bytes: bytes)
        return result
    }

    private static func version(_ pe: PEFile) -> VersionFacts? {
        guard let info = pe.versionInfo else { return nil }
        let facts = VersionFacts(
            fileVersion: info["FileVersion"] ?? info.fixedFileVersion,
            productVersion: info["ProductVersion"] ?? info.fixedProductVersion,
            productName: info["ProductName"], companyName: info["CompanyName"], originalFilename: info["OriginalFilename"])
        return facts.hasVersion || facts.productName != nil ? facts : nil
    }

    private static func signature(_ pe: PEFile) -> SignatureFacts {
        guard let table = pe.certificateTable, table.size > 0 else { return SignatureFacts(status: "unsigned") }
        let signedEntries = table.entries.filter { $0.certificateType == 2 }
        var facts = SignatureFacts(status: signedEntries.isEmpty ? "malformed" : "signed")
        var slack = 0
        var nonZero = false
        var entropy = 0.0
        for entry in table.entries {
            if let s = entry.slack {
                slack += s.size
                nonZero = nonZero || !s.allZero
                entropy = max(entropy, s.entropy)
            }
            if let p = entry.alignmentPadding { nonZero = nonZero || !p.allZero }
        }
        facts.slackBytes = slack
        facts.slackNonZero = nonZero
        facts.slackEntropy = entropy
        facts.bytesAfterTable = table.bytesAfter > 0 ? table.bytesAfter : nil
        return facts
    }

    /// Signer identity and digest verdict from the primary (outermost) Authenticode signature; the
    /// digest matches only when every signature's does.
    private static func addSigner(_ report: AuthenticodeReport, to facts: inout SignatureFacts) {
        guard let primary = report.signatures.first(where: { $0.nestingLevel == 0 }) ?? report.signatures.first else {
            facts.status = "malformed"
            return
        }
        facts.signer = primary.signer?.subject
        facts.issuer = primary.signerIssuer ?? primary.signer?.issuer
        facts.serial = primary.signerSerialNumber ?? primary.signer?.serialNumber
        facts.thumbprint = primary.signer?.sha256Thumbprint
        facts.signedDigest = primary.signedDigest
        facts.digestMatches = report.signatures.allSatisfy(\.digestMatches) && primary.signatureValid != false
    }

    /// SHA-256 over the file minus the checksum, the security-directory entry and the certificate table.
    static func imageDigest(_ pe: PEFile, bytes: [UInt8]) -> String? {
        guard let optional = pe.optionalHeader else { return nil }
        var excluded: [Range<Int>] = [
            optional.checksumOffset..<(optional.checksumOffset + 4),
            optional.securityDirectoryEntryOffset..<(optional.securityDirectoryEntryOffset + 8),
        ]
        if let table = pe.certificateTable, table.size > 0, let end = table.offset.adding(table.size) {
            excluded.append(table.offset..<end)
        }
        var hasher = SHA256()
        var position = 0
        for range in excluded.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let start = min(max(range.lowerBound, position), bytes.count)
            if start > position { hasher.update(data: Array(bytes[position..<start])) }
            position = max(position, min(range.upperBound, bytes.count))
        }
        if position < bytes.count { hasher.update(data: Array(bytes[position...])) }
        return hasher.finalize().hexString
    }
}
