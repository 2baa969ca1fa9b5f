import VigilBinary
import VigilFormats

/// Computes ``FileFacts`` for one release member: format by magic, PE / Mach-O structure and
/// signature, version, image trailers, network indicators and module names in its strings.
enum FactExtractor {
    /// Strings are searched in at most this many bytes of a file.
    static let maxStringScan = 64 << 20

    static func facts(for member: ReleaseMember) -> FileFacts {
        switch member.content {
        case .symlink(let target):
            var facts = FileFacts(path: member.path, size: 0, sha256: "link:" + target, format: .unknown)
            facts.linkTarget = target
            return facts
        case .file(let bytes, let size, let sha256, let complete):
            var facts = FileFacts(path: member.path, size: size, sha256: sha256, format: FileFormat.identify(bytes), complete: complete)
            var excluded: [Range<Int>] = []
            switch facts.format {
            case .pe:
                if let pe = PEParser.parse(bytes) {
                    let result = PEFactsBuilder.build(pe, bytes: bytes)
                    facts.executable = result.executable
                    facts.version = result.version
                    facts.signature = result.signature
                    excluded = result.excluded
                }
            case .macho, .machoFat:
                let (exe, signature, ranges) = MachOFactsBuilder.build(MachOFile.parse(bytes), bytes: bytes)
                facts.executable = exe
                facts.signature = signature
                excluded = ranges
            case .ico:
                facts.imageTrailer = trailer(ICOFile.parse(bytes).trailing)
            case .png:
                facts.imageTrailer = trailer(PNGImage.parse(bytes).trailing)
            default:
                if InfoPlistVersion.isBundlePlist(member.path) { facts.version = InfoPlistVersion.read(bytes) }
            }
            let scanned = bytes.count > maxStringScan ? Array(bytes.prefix(maxStringScan)) : bytes
            if facts.format != .zip, facts.format != .gzip {
                facts.networkIndicators = NetworkStrings.extract(scanned, excluding: excluded)
            }
            if facts.isExecutableFormat {
                facts.moduleNames = ModuleNames.extract(scanned, excluding: excluded)
            }
            return facts
        }
    }

    private static func trailer(_ data: TrailingData?) -> TrailerFacts? {
        guard let data, data.size > 0, data.encoding != .zeros else { return nil }
        let encoding =
            switch data.encoding {
            case .dollarBase64: "base64-after-dollar"
            default: data.encoding.rawValue
            }
        return TrailerFacts(offset: data.offset, size: data.size, entropy: data.entropy, encoding: encoding)
    }

    /// Gives Mach-O files inside a bundle the versions of the bundle's Info.plist.
    static func attachBundleVersions(_ files: inout [FileFacts]) {
        var bundles: [(root: String, version: VersionFacts)] = []
        for f in files where f.version != nil && InfoPlistVersion.isBundlePlist(f.path) {
            bundles.append((InfoPlistVersion.bundleRoot(ofPlist: f.path), f.version!))
        }
        guard !bundles.isEmpty else { return }
        bundles.sort { $0.root.count > $1.root.count }  // innermost bundle first
        for i in files.indices where files[i].executable?.kind == "macho" && files[i].version == nil {
            let path = files[i].path
            if let b = bundles.first(where: { $0.root.isEmpty || path.hasPrefix($0.root + "/") }) { files[i].version = b.version }
        }
    }
}
