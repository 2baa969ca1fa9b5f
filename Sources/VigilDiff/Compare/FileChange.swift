/// How a file of the new release relates to the old one.
public enum ChangeKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// Only in the new release.
    case added
    /// Only in the old release.
    case removed
    /// Same path, different content.
    case modified
    /// Same name in another folder (content may also differ: see ``FileChange/contentChanged``).
    case moved
    /// Same content under another name.
    case renamed
    /// Same path, same content.
    case unchanged
}

/// One paired (or unpaired) file and what changed about it.
public struct FileChange: Sendable, Codable, Hashable {
    public var kind: ChangeKind
    public var old: FileFacts?
    public var new: FileFacts?
    public var details: ChangeDetails

    public init(kind: ChangeKind, old: FileFacts?, new: FileFacts?) {
        self.kind = kind
        self.old = old
        self.new = new
        self.details = ChangeDetails(old: old, new: new)
    }

    /// The path to show: the new one, or the old one for removed files.
    public var path: String { new?.path ?? old?.path ?? "" }

    /// Whether the bytes differ (false for unchanged and pure renames).
    public var contentChanged: Bool {
        guard let old, let new else { return true }
        return old.sha256 != new.sha256
    }
}

/// The differences between two versions of one file that matter for risk.
public struct ChangeDetails: Sendable, Codable, Hashable {
    public var importsAdded: [String] = []
    public var importsRemoved: [String] = []
    public var exportsAdded: [String] = []
    public var exportsRemoved: [String] = []
    public var sectionsAdded: [String] = []
    public var sectionsRemoved: [String] = []
    public var sectionsChanged: [SectionChange] = []
    /// New code size minus old (executable sections).
    public var codeSizeChange: Int?
    public var networkAdded: [String] = []
    public var networkRemoved: [String] = []
    public var moduleNamesAdded: [String] = []

    public init(old: FileFacts?, new: FileFacts?) {
        guard let new else { return }
        let oldExe = old?.executable
        if let exe = new.executable {
            (importsAdded, importsRemoved) = Self.setDiff(oldExe?.imports ?? [], exe.imports)
            (exportsAdded, exportsRemoved) = Self.setDiff(oldExe?.exports ?? [], exe.exports)
            let oldSections = Dictionary((oldExe?.sections ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let newSections = Dictionary(exe.sections.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            sectionsAdded = exe.sections.map(\.name).filter { oldSections[$0] == nil }
            sectionsRemoved = (oldExe?.sections ?? []).map(\.name).filter { newSections[$0] == nil }
            for section in exe.sections {
                guard let before = oldSections[section.name], before.sha256 != section.sha256 else { continue }
                sectionsChanged.append(SectionChange(old: before, new: section))
            }
            if let oldExe { codeSizeChange = exe.codeSize - oldExe.codeSize }
        }
        (networkAdded, networkRemoved) = Self.setDiff(old?.networkIndicators ?? [], new.networkIndicators)
        moduleNamesAdded = Self.setDiff(old?.moduleNames ?? [], new.moduleNames).added
    }

    static func setDiff(_ old: [String], _ new: [String]) -> (added: [String], removed: [String]) {
        let o = Set(old), n = Set(new)
        return (n.subtracting(o).sorted(), o.subtracting(n).sorted())
    }
}

/// A section present on both sides with different bytes.
public struct SectionChange: Sendable, Codable, Hashable {
    public var name: String
    public var oldSize: Int
    public var newSize: Int
    public var oldEntropy: Double
    public var newEntropy: Double
    public var executable: Bool

    init(old: SectionFacts, new: SectionFacts) {
        name = new.name
        oldSize = old.size
        newSize = new.size
        oldEntropy = old.entropy
        newEntropy = new.entropy
        executable = new.executable || old.executable
    }
}
