import Foundation
import Testing
import VigilFormats

/// Parity with `scripts/parity/macho_parity.py reference`: llvm-objdump's load commands and an
/// independent Python reader of the code signature (cdhash, page hashes, team) on real Mach-O files
/// from macOS wheels on PyPI plus the fixtures. Skips when the corpus has not been fetched
/// (`scripts/parity/macho_parity.py fetch && scripts/parity/macho_parity.py reference`).
@Suite struct MachOCorpusParityTests {
    struct Reference: Decodable {
        var path: String
        var size: Int
        var slices: [Slice]
        struct Slice: Decodable {
            var offset: Int
            var size: Int
            var load_commands: [String]
            var cmdsizes: [Int]
            var dylibs: [String]
            var rpaths: [String]
            var id: String?
            var segments: [String]
            var code_signature: Signature?
        }
        struct Signature: Decodable {
            var dataoff: Int
            var datasize: Int
            var identifier: String
            var team: String?
            var flags: UInt32
            var version: UInt32
            var hash_type: String
            var code_slots: Int
            var code_limit: UInt64
            var cdhash: String
            var bad_pages: [Int]
            var cms_size: Int?
            var has_entitlements: Bool
            var cms_verifies: Bool?
            var signer_subject: String?
        }

        /// The `CN=…` component of an RFC 2253 name as openssl prints it (commas inside are `\,`).
        static func commonName(_ name: String) -> String? {
            guard let start = name.range(of: "CN=") else { return nil }
            var out = "CN=", escaped = false
            for ch in name[start.upperBound...] {
                if ch == ",", !escaped { break }
                escaped = ch == "\\" && !escaped
                out.append(ch)
            }
            return out
        }
    }

    static let referencePath =
        (ProcessInfo.processInfo.environment["VIGIL_MACHO_CORPUS"] ?? "/tmp/vigil-macho-corpus") + "/reference.json"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: referencePath), "Mach-O corpus not fetched"))
    func parserAgreesWithReferenceOnEveryField() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.referencePath))
        let references = try JSONDecoder().decode([Reference].self, from: data)
        var slices = 0, signed = 0, certificate = 0
        for reference in references {
            guard let content = FileManager.default.contents(atPath: reference.path) else { continue }
            let name = (reference.path as NSString).lastPathComponent
            let file = MachOFile.parse([UInt8](content))
            #expect(file.allProblems.isEmpty, "\(name): \(file.allProblems)")
            try #require(file.slices.count == reference.slices.count, "\(name)")
            for (ours, theirs) in zip(file.slices, reference.slices) {
                slices += 1
                #expect(ours.offset == theirs.offset && ours.size == theirs.size, "\(name)")
                #expect(ours.loadCommands.map(\.name) == theirs.load_commands, "\(name)")
                #expect(ours.loadCommands.map { Int($0.size) } == theirs.cmdsizes, "\(name)")
                #expect(ours.dylibs.map(\.name) == theirs.dylibs, "\(name)")
                #expect(ours.rpaths == theirs.rpaths, "\(name)")
                #expect(ours.installName?.name == theirs.id, "\(name)")
                #expect(ours.segments.map(\.name) == theirs.segments, "\(name)")
                guard let sig = theirs.code_signature else {
                    #expect(ours.signatureClass == .unsigned, "\(name)")
                    continue
                }
                signed += 1
                let cd = try #require(ours.codeSignature?.primary, "\(name)")
                #expect(ours.codeSignatureRange == LinkeditRange(dataOffset: UInt32(sig.dataoff), dataSize: UInt32(sig.datasize)))
                #expect(cd.identifier == sig.identifier, "\(name)")
                #expect(cd.teamIdentifier == sig.team, "\(name)")
                #expect(cd.flags == sig.flags && cd.version == sig.version, "\(name)")
                #expect(cd.hashType.rawValue == sig.hash_type, "\(name)")
                #expect(Int(cd.codeSlotCount) == sig.code_slots && cd.codeLimit == sig.code_limit, "\(name)")
                #expect(cd.cdhash == sig.cdhash, "\(name)")
                #expect(cd.verification?.badPages == sig.bad_pages, "\(name)")
                #expect(cd.verification?.isValid == sig.bad_pages.isEmpty, "\(name)")
                #expect(ours.codeSignature?.cmsSize == sig.cms_size, "\(name)")
                #expect(ours.codeSignature?.hasEntitlements == sig.has_entitlements, "\(name)")
                if sig.cms_size ?? 0 > 0 {
                    certificate += 1
                    #expect(ours.signatureClass == .certificateSigned, "\(name)")
                    // openssl cms -verify -noverify accepted the CMS over this CodeDirectory.
                    let signer = ours.codeSignature?.cmsSigner
                    #expect(signer?.digestMatchesCodeDirectory == sig.cms_verifies, "\(name)")
                    #expect(signer?.signatureValid == sig.cms_verifies, "\(name)")
                    let cn = try #require(sig.signer_subject.flatMap(Reference.commonName), "\(name)")
                    #expect(signer?.subject.contains(cn) == true, "\(name): \(signer?.subject ?? "nil") lacks \(cn)")
                }
            }
        }
        #expect(slices >= 50)
        #expect(signed >= 40)
        #expect(certificate >= 1)
    }
}
