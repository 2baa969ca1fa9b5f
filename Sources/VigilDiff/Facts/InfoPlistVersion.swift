import Foundation

/// Reads the version keys of an `Info.plist` (XML or binary) for bundle version comparisons.
enum InfoPlistVersion {
    static func read(_ bytes: [UInt8]) -> VersionFacts? {
        guard bytes.count < 4 << 20,
            let plist = try? PropertyListSerialization.propertyList(from: Data(bytes), options: [], format: nil) as? [String: Any]
        else { return nil }
        let facts = VersionFacts(
            fileVersion: plist["CFBundleVersion"] as? String,
            productVersion: plist["CFBundleShortVersionString"] as? String,
            productName: (plist["CFBundleName"] as? String) ?? (plist["CFBundleIdentifier"] as? String),
            companyName: nil,
            originalFilename: plist["CFBundleExecutable"] as? String)
        return facts.hasVersion ? facts : nil
    }

    /// Whether a member path is a bundle's Info.plist (`X.app/Contents/Info.plist`,
    /// `X.framework/Resources/Info.plist`, `…/Versions/A/Resources/Info.plist`).
    static func isBundlePlist(_ path: String) -> Bool {
        path.hasSuffix("Contents/Info.plist") || path.hasSuffix("Resources/Info.plist")
    }

    /// The bundle root a plist describes (the folder above `Contents` or `Resources`, and above
    /// `Versions/X` for frameworks).
    static func bundleRoot(ofPlist path: String) -> String {
        var parts = path.split(separator: "/").dropLast(2)
        if parts.count >= 2, parts[parts.endIndex - 2] == "Versions" { parts = parts.dropLast(2) }
        return parts.joined(separator: "/")
    }
}
