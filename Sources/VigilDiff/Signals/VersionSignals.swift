import VigilCore

/// A binary whose code changed while its version numbers stayed the same.
enum VersionSignals {
    static func versionUnchanged(_ c: SignalContext) -> [Finding] {
        guard let old = c.old, let new = c.new, c.change.contentChanged, new.executable != nil,
            let before = old.version, let after = new.version, after.hasVersion,
            before.fileVersion == after.fileVersion, before.productVersion == after.productVersion
        else { return [] }
        // Covered, more precisely, by diff.signature-only-change.
        if let a = old.executable?.imageDigest, a == new.executable?.imageDigest { return [] }
        let codeChanged = c.details.sectionsChanged.contains(where: \.executable) || !c.details.sectionsAdded.isEmpty
            || !c.details.importsAdded.isEmpty
        let changed = c.details.sectionsChanged.map(\.name) + c.details.sectionsAdded.map { $0 + " (new)" }
        return [
            c.finding(
                "diff.version-unchanged",
                "Content changed but the version did not (\(after.summary))",
                codeChanged ? .medium : .low,
                "Vendors stamp a new version on a rebuilt binary. This file's \(codeChanged ? "code" : "content") changed while "
                    + "its version numbers stayed the same, as in the trojanized 3CX builds, whose ffmpeg.dll kept its name "
                    + "and version. Check that the change comes from the vendor's own build.",
                attack: ["T1195.002"],
                evidence: [
                    "file_version": .string(after.fileVersion ?? ""), "product_version": .string(after.productVersion ?? ""),
                    "changed_sections": .strings(changed), "code_changed": .bool(codeChanged),
                ])
        ]
    }
}
