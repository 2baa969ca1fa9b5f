import VigilCore

/// A changed library that names, or gained the means to read, a sibling module whose certificate
/// table grew hidden data in the same release: the loader half of the 3CX pair (`ffmpeg.dll`
/// reading the payload out of `d3dcompiler_47.dll`'s signature).
enum SiblingSignals {
    static func readsSiblingSignatureArea(_ c: SignalContext) -> [Finding] {
        guard let new = c.new, new.format == .pe, c.change.contentChanged else { return [] }
        let siblings = (c.release.byNewFolder[new.folder] ?? []).filter { change in
            guard let s = change.new, s.path != new.path, let sig = s.signature, sig.hasAnomalousSlack else { return false }
            return !(change.old?.signature?.hasAnomalousSlack ?? false)
        }
        guard !siblings.isEmpty else { return [] }
        let fileReading = c.details.importsAdded.filter { LoaderAPIs.capability(ofImport: $0) == "file reading" }.map(LoaderAPIs.function)
        var out: [Finding] = []
        for sibling in siblings {
            guard let s = sibling.new else { continue }
            let named = new.moduleNames.contains(s.name.lowercased())
            guard named || !fileReading.isEmpty else { continue }
            var reasons: [String] = []
            if named { reasons.append("names '\(s.name)' in its data") }
            if !fileReading.isEmpty { reasons.append("gained file-reading imports (\(fileReading.joined(separator: ", ")))") }
            out.append(
                c.finding(
                    "diff.sibling-signature-read",
                    "Changed DLL \(reasons.joined(separator: " and ")) while sibling \(s.name) gained data in its certificate table",
                    .high,
                    "In the same release, \(s.name) grew \(s.signature?.slackBytes ?? 0) bytes of unsigned data inside its "
                        + "signature and this library changed in a way that lets it find and read that file. This is the 3CX "
                        + "loader pattern: a sideloaded DLL reads an encrypted payload out of a still-validly-signed neighbour.",
                    attack: ["T1574.002", "T1027", "T1195.002"],
                    evidence: [
                        "sibling": .string(s.path), "sibling_slack_bytes": .int(s.signature?.slackBytes ?? 0),
                        "names_sibling": .bool(named), "new_file_reading_imports": .strings(fileReading),
                    ]))
        }
        return out
    }
}
