import Crypto
import VigilFormats

/// Turns a parsed Mach-O file (thin or fat) into the facts a release diff compares.
enum MachOFactsBuilder {
    /// MH_DYLIB, MH_BUNDLE.
    private static let libraryFileTypes: Set<UInt32> = [6, 8]
    /// S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS.
    private static let instructionFlags: UInt32 = 0x8000_0000 | 0x0000_0400

    static func build(_ macho: MachOFile, bytes: [UInt8]) -> (ExecutableFacts, SignatureFacts, [Range<Int>]) {
        let slices = macho.slices
        let architectures = slices.compactMap { $0.header?.architecture }
        var imports: Set<String> = []
        var sections: [SectionFacts] = []
        var signatureRanges: [Range<Int>] = []
        for slice in slices {
            let arch = slice.header?.architecture ?? "unknown"
            for dylib in slice.dylibs {
                imports.insert((dylib.kind == .weak ? "weak-dylib:" : "dylib:") + dylib.name)
            }
            for segment in slice.segments {
                for section in segment.sections where !section.isZeroFill {
                    let start = slice.offset + Int(section.fileOffset)
                    let length = Int(clamping: section.size)
                    guard start >= 0, let end = start.adding(length), end <= bytes.count else { continue }
                    let raw = bytes[start..<end]
                    sections.append(
                        SectionFacts(
                            name: (slices.count > 1 ? arch + ":" : "") + section.segmentName + "," + section.name,
                            size: length, entropy: section.entropy ?? 0,
                            executable: section.flags & instructionFlags != 0,
                            sha256: SHA256.hash(data: Array(raw)).hexString))
                }
            }
            if let range = slice.codeSignatureRange {
                let start = slice.offset + Int(range.dataOffset)
                if let end = start.adding(Int(range.dataSize)), end <= bytes.count { signatureRanges.append(start..<end) }
            }
        }
        let isLibrary = slices.contains { libraryFileTypes.contains($0.header?.fileType ?? 0) }
        let facts = ExecutableFacts(
            kind: "macho", isLibrary: isLibrary, machine: architectures.joined(separator: "+"),
            imports: imports.sorted(), exports: [], sections: sections,
            codeSize: sections.filter(\.executable).reduce(0) { $0 + $1.size })
        return (facts, signature(of: slices), signatureRanges)
    }

    /// The weakest signature over all slices (a fat file is as trustworthy as its weakest slice).
    private static func signature(of slices: [MachOSlice]) -> SignatureFacts {
        let order: [SignatureClass] = [.malformed, .unsigned, .adhoc, .linkerSigned, .certificateSigned]
        let weakest = slices.min { (order.firstIndex(of: $0.signatureClass) ?? 0) < (order.firstIndex(of: $1.signatureClass) ?? 0) }
        var facts: SignatureFacts
        switch weakest?.signatureClass ?? .unsigned {
        case .unsigned: facts = SignatureFacts(status: "unsigned")
        case .adhoc, .linkerSigned: facts = SignatureFacts(status: "adhoc")
        case .certificateSigned: facts = SignatureFacts(status: "signed")
        case .malformed: facts = SignatureFacts(status: "malformed")
        }
        let signatures = slices.compactMap(\.codeSignature)
        if let cd = signatures.first?.primary {
            facts.teamID = cd.teamIdentifier
            facts.signedDigest = signatures.compactMap { $0.primary?.cdhash }.joined(separator: ",")
            facts.signer = signatures.first?.cmsSigner?.subject ?? cd.teamIdentifier.map { "team \($0)" }
            facts.issuer = signatures.first?.cmsSigner?.issuer
            facts.serial = signatures.first?.cmsSigner?.serialNumber
        }
        if !signatures.isEmpty {
            facts.digestMatches = signatures.allSatisfy(\.pageHashesValid)
        }
        return facts
    }
}
