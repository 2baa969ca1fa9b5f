import VigilCore

/// Human-readable lines describing one file change (shared by the text and Markdown reports).
enum ChangeDescription {
    /// One-letter marker per kind: `A`dded, `D`eleted, `M`odified, `V` moved, `R`enamed.
    static func marker(_ kind: ChangeKind) -> String {
        switch kind {
        case .added: "A"
        case .removed: "D"
        case .modified: "M"
        case .moved: "V"
        case .renamed: "R"
        case .unchanged: " "
        }
    }

    /// `pe dll x64, 15960 → 16984 bytes`.
    static func headline(_ c: FileChange) -> String {
        let f = c.new ?? c.old
        var kind = f?.format.rawValue ?? "?"
        if let exe = f?.executable { kind += (exe.isLibrary ? " library " : " executable ") + exe.machine }
        if f?.linkTarget != nil { kind = "link → \(f?.linkTarget ?? "")" }
        let size: String
        switch (c.old?.size, c.new?.size) {
        case let (a?, b?) where a != b: size = "\(a) → \(b) bytes"
        case let (_, b?): size = "\(b) bytes"
        case let (a?, nil): size = "\(a) bytes"
        default: size = ""
        }
        var out = "\(kind), \(size)"
        if let old = c.old, old.path != c.path { out += ", was \(old.path)" }
        return out
    }

    /// Detail lines (facts that changed), without indentation.
    static func details(_ c: FileChange) -> [String] {
        var lines: [String] = []
        let d = c.details
        if let o = c.old, let n = c.new, o.sha256 != n.sha256 {
            lines.append("sha256 \(o.sha256.prefix(16))… → \(n.sha256.prefix(16))…")
        } else if let f = c.new ?? c.old, f.linkTarget == nil {
            lines.append("sha256 \(f.sha256)")
        }
        if let o = c.old?.version, let n = c.new?.version {
            lines.append(o == n ? "version \(n.summary) (unchanged)" : "version \(o.summary) → \(n.summary)")
        } else if let n = c.new?.version {
            lines.append("version \(n.summary)")
        }
        if let o = c.old?.signature, let n = c.new?.signature, o != n || c.kind == .modified {
            lines.append("signature \(signature(o)) → \(signature(n))")
        } else if let n = c.new?.signature, c.old == nil {
            lines.append("signature \(signature(n))")
        }
        if let a = c.old?.executable?.imageDigest, let b = c.new?.executable?.imageDigest, c.contentChanged {
            lines.append(a == b ? "image digest unchanged (only signature-area bytes differ)" : "image digest changed")
        }
        if c.old != nil {
            if !d.importsAdded.isEmpty { lines.append("imports added: " + list(d.importsAdded, mark: true)) }
            if !d.importsRemoved.isEmpty { lines.append("imports removed: " + list(d.importsRemoved)) }
            if !d.exportsAdded.isEmpty { lines.append("exports added: " + list(d.exportsAdded)) }
            if !d.exportsRemoved.isEmpty { lines.append("exports removed: " + list(d.exportsRemoved)) }
            if !d.sectionsAdded.isEmpty { lines.append("sections added: " + list(d.sectionsAdded)) }
            if !d.sectionsRemoved.isEmpty { lines.append("sections removed: " + list(d.sectionsRemoved)) }
            for s in d.sectionsChanged {
                lines.append(
                    "section \(s.name)\(s.executable ? " (code)" : ""): \(s.oldSize) → \(s.newSize) bytes, entropy \(fmt(s.oldEntropy)) → \(fmt(s.newEntropy))")
            }
            if let delta = d.codeSizeChange, delta != 0 { lines.append("code size \(delta > 0 ? "+" : "")\(delta) bytes") }
        }
        if !d.networkAdded.isEmpty { lines.append("network indicators added: " + list(d.networkAdded)) }
        if !d.networkRemoved.isEmpty, c.new != nil { lines.append("network indicators removed: " + list(d.networkRemoved)) }
        if !d.moduleNamesAdded.isEmpty, c.old != nil { lines.append("module names now in data: " + list(d.moduleNamesAdded)) }
        if let t = c.new?.imageTrailer, t != c.old?.imageTrailer {
            lines.append("\(t.size) bytes after the image data at offset \(t.offset) (\(t.encoding), entropy \(fmt(t.entropy)))")
        }
        return lines
    }

    static func signature(_ s: SignatureFacts) -> String {
        var out = s.status
        if let signer = s.signer { out += " by \(signer)" }
        if let team = s.teamID, s.signer?.contains(team) != true { out += " (team \(team))" }
        if let slack = s.slackBytes { out += ", slack \(slack)" + (s.slackNonZero == true ? " non-zero" : "") }
        if let after = s.bytesAfterTable { out += ", \(after) bytes after table" }
        if s.digestMatches == false { out += ", DIGEST MISMATCH" }
        return out
    }

    static func list(_ items: [String], mark: Bool = false, limit: Int = 12) -> String {
        let shown = items.prefix(limit).map { item in
            mark && LoaderAPIs.capability(ofImport: item) != nil ? item + " [" + (LoaderAPIs.capability(ofImport: item) ?? "") + "]" : item
        }
        return shown.joined(separator: ", ") + (items.count > limit ? ", … (\(items.count - limit) more)" : "")
    }

    static func fmt(_ d: Double) -> String { EvidenceValue.double(d).description }
}
