import Foundation
import VigilDetections
import VigilFormats

extension InventoryFacts {
    /// Signer and version facts of one file: the signer from the structural checks' facts (no second
    /// signature parse), the product name and version from the PE VS_VERSIONINFO resource (one PE
    /// parse, only when an inventory is asked for). Mach-O files carry their version in the bundle's
    /// Info.plist, outside the binary, which the sweep does not read; they get the signer identity
    /// only when a certificate-signed code signature names a team.
    static func extract(bytes: [UInt8], format: FileFormat, facts: BinaryFacts?) -> InventoryFacts {
        var result = InventoryFacts()
        if let signer = facts?.pe?.signer { result.signer = capped(commonName(of: signer.subject)) }
        if format == .pe, let pe = PEParser.parse(bytes, options: .structure), let info = pe.versionInfo {
            result.productName = capped(info["ProductName"])
            result.version = capped(info["ProductVersion"] ?? info.fixedProductVersion ?? info["FileVersion"] ?? info.fixedFileVersion)
        }
        if let macho = facts?.macho, macho.isCertificateSigned, let team = macho.teamID { result.signer = capped(team) }
        return result
    }

    /// Hostile files may carry megabytes in a version string; inventories keep at most 256 characters.
    private static func capped(_ s: String?) -> String? {
        guard let s = s?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty else { return nil }
        return s.count > 256 ? String(s.prefix(256)) : s
    }
}
