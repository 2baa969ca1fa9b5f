import VigilCore

/// Signals from the structure of changed and added binaries: imports, code entropy, network
/// strings, new executables and new dylib loads.
enum StructureSignals {
    /// A changed binary gained loader or injector imports while its exports stayed the same.
    static func newLoaderAPIs(_ c: SignalContext) -> [Finding] {
        guard c.old?.executable != nil, let exe = c.new?.executable else { return [] }
        var byCapability: [String: [String]] = [:]
        for entry in c.details.importsAdded {
            if let cap = LoaderAPIs.capability(ofImport: entry) { byCapability[cap, default: []].append(LoaderAPIs.function(entry)) }
        }
        guard !byCapability.isEmpty else { return [] }
        let exportsSame = c.details.exportsAdded.isEmpty && c.details.exportsRemoved.isEmpty
        let capabilities = byCapability.keys.sorted()
        let functions = byCapability.values.flatMap { $0 }.sorted()
        let severity: Severity = exportsSame && exe.isLibrary ? .medium : .low
        return [
            c.finding(
                "diff.new-loader-apis",
                "Gained \(capabilities.joined(separator: ", ")) imports: \(functions.prefix(8).joined(separator: ", "))",
                severity,
                "These functions let code change memory protection, load or read other modules, start threads or reach the "
                    + "network. \(exportsSame ? "The file's exports did not change, so its advertised purpose did not either; " : "")"
                    + "a library gaining such behaviour between releases is how a trojanized component (3CX ffmpeg.dll: "
                    + "VirtualProtect + file reading) looks.",
                attack: ["T1195.002", "T1055"],
                evidence: ["capabilities": .strings(capabilities), "functions": .strings(functions), "exports_unchanged": .bool(exportsSame)])
        ]
    }

    /// An executable section's entropy rose sharply (packing, encryption).
    static func codeEntropyJump(_ c: SignalContext) -> [Finding] {
        var out: [Finding] = []
        for s in c.details.sectionsChanged where s.executable {
            let jump = s.newEntropy - s.oldEntropy
            guard s.newEntropy >= 7.0, jump >= 0.5 else { continue }
            out.append(
                c.finding(
                    "diff.code-entropy-jump",
                    "Entropy of code section \(s.name) rose from \(fmt(s.oldEntropy)) to \(fmt(s.newEntropy))", .medium,
                    "Compiled code sits around 5.5–6.8 bits per byte; near 8 it is compressed or encrypted. A code section that "
                        + "becomes packed between releases hides what it does from review.",
                    attack: ["T1027.002"],
                    evidence: [
                        "section": .string(s.name), "old_entropy": .double(s.oldEntropy), "new_entropy": .double(s.newEntropy),
                        "old_size": .int(s.oldSize), "new_size": .int(s.newSize),
                    ]))
        }
        for name in c.details.sectionsAdded {
            guard let s = c.new?.executable?.sections.first(where: { $0.name == name }), s.executable, s.entropy >= 7.2,
                c.old?.executable != nil
            else { continue }
            out.append(
                c.finding(
                    "diff.code-entropy-jump", "New executable section \(name) with entropy \(fmt(s.entropy))", .medium,
                    "A new executable section whose bytes look compressed or encrypted appeared in this release.",
                    attack: ["T1027.002"], evidence: ["section": .string(name), "new_entropy": .double(s.entropy), "new_size": .int(s.size)]))
        }
        return out
    }

    /// New URLs, domains or endpoints inside a binary.
    static func newNetworkIndicators(_ c: SignalContext) -> [Finding] {
        guard let new = c.new, new.isExecutableFormat, !c.details.networkAdded.isEmpty else { return [] }
        let versionSame = c.old?.version != nil && c.old?.version == new.version
        let severity: Severity = c.old != nil && versionSame ? .medium : .low
        return [
            c.finding(
                "diff.new-network-indicators",
                "\(c.details.networkAdded.count) new network indicator(s): \(c.details.networkAdded.prefix(5).joined(separator: ", "))",
                severity,
                "These URLs, domains or endpoints are written in this binary and were not in the previous release. "
                    + "\(versionSame ? "The version did not change, so a new destination is unexplained. " : "")"
                    + "Check that each belongs to the vendor.",
                attack: ["T1071.001", "T1195.002"],
                evidence: ["indicators": .strings(c.details.networkAdded), "version_unchanged": .bool(versionSame)])
        ]
    }

    /// A new executable file in a folder that already held executables.
    static func newExecutable(_ c: SignalContext) -> [Finding] {
        guard c.change.kind == .added, let new = c.new, new.isExecutableFormat else { return [] }
        let oldSiblings = (c.release.oldFolders[new.folder] ?? []).filter(\.isExecutableFormat)
        guard !oldSiblings.isEmpty else { return [] }
        let signedSiblings = oldSiblings.filter { $0.signature?.status == "signed" }
        let unsigned = new.signature?.status != "signed"
        let severity: Severity = unsigned && !signedSiblings.isEmpty ? .medium : .low
        return [
            c.finding(
                "diff.new-executable",
                "New \(new.executable?.isLibrary == true ? "library" : "executable") next to \(oldSiblings.count) existing one(s)\(severity == .medium ? ", unsigned among signed files" : "")",
                severity,
                "A binary that was not in the previous release now sits beside the application's own binaries, where it can be "
                    + "loaded by name (DLL sideloading) or run by them. "
                    + (severity == .medium ? "Its neighbours are signed and it is not. " : "") + "Confirm the vendor added it.",
                attack: new.executable?.isLibrary == true ? ["T1574.002", "T1195.002"] : ["T1195.002"],
                evidence: [
                    "folder": .string(new.folder), "existing_executables": .strings(oldSiblings.map(\.name).sorted()),
                    "signature": .string(new.signature?.status ?? "none"),
                ])
        ]
    }

    /// A Mach-O binary loads a dylib it did not load before.
    static func newDylibLoads(_ c: SignalContext) -> [Finding] {
        guard c.old?.executable?.kind == "macho", c.new?.executable?.kind == "macho" else { return [] }
        let added = c.details.importsAdded.filter { $0.hasPrefix("dylib:") || $0.hasPrefix("weak-dylib:") }
        guard !added.isEmpty else { return [] }
        let risky = added.filter { !$0.contains(":/System/") && !$0.contains(":/usr/lib/") }
        return [
            c.finding(
                "diff.new-dylib-load", "Loads \(added.count) new dylib(s): \(added.prefix(4).joined(separator: ", "))",
                risky.isEmpty ? .low : .medium,
                "A new LC_LOAD_DYLIB (or weak) command makes the binary load code it did not load before; one outside the "
                    + "system folders can be planted or swapped (dylib insertion).",
                attack: ["T1574.004", "T1195.002"], evidence: ["dylibs": .strings(added)])
        ]
    }

    static func fmt(_ d: Double) -> String { EvidenceValue.double(d).description }
}

/// Signals from image files: bytes that appeared after the image data.
enum ImageSignals {
    static func trailerAppeared(_ c: SignalContext) -> [Finding] {
        guard let new = c.new, let trailer = new.imageTrailer, trailer.size > 0 else { return [] }
        if let before = c.old?.imageTrailer, before.size >= trailer.size, before.encoding == trailer.encoding { return [] }
        let severity: Severity =
            switch trailer.encoding {
            case "base64-after-dollar": .high
            case "base64" where trailer.size >= 64: .medium
            default: trailer.size >= 256 && trailer.entropy >= 6 ? .medium : .low
            }
        return [
            c.finding(
                "diff.image-trailer-appeared",
                "\(trailer.size) bytes (\(trailer.encoding)) now follow the image data in this \(new.format.rawValue.uppercased())",
                severity,
                "Image viewers ignore bytes after the last image, so they are a place to hide data. The 3CX second stage "
                    + "fetched icon files whose PNG ended with '$' and a base64 blob holding the encrypted C2 address.",
                attack: ["T1027.003", "T1195.002"], offset: trailer.offset,
                evidence: ["trailer_size": .int(trailer.size), "trailer_entropy": .double(trailer.entropy), "encoding": .string(trailer.encoding)])
        ]
    }
}
