/// Why a release input was refused or could not be read. Each case names the input and, for
/// archive members, the member, so the message alone tells the user what to look at.
public enum ReleaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// The input is not a folder or an archive format Vigil opens.
    case unsupported(path: String, reason: String)
    /// A member name that would escape the release: `../`, an absolute path, a drive letter.
    case unsafePath(archive: String, member: String, reason: String)
    /// A symbolic link whose target lies outside the release tree.
    case linkOutOfTree(archive: String, member: String, target: String)
    /// An expansion cap was reached: a zip bomb, too many entries, nesting too deep.
    case bomb(archive: String, member: String, reason: String)
    /// The archive structure is damaged.
    case malformed(archive: String, member: String?, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read \(path): \(reason)"
        case .unsupported(let path, let reason):
            "cannot open \(path) as a release: \(reason)"
        case .unsafePath(let archive, let member, let reason):
            "refused \(archive): member '\(member)' \(reason); nothing was extracted"
        case .linkOutOfTree(let archive, let member, let target):
            "refused \(archive): symbolic link '\(member)' points outside the release ('\(target)'); nothing was followed"
        case .bomb(let archive, let member, let reason):
            "refused \(archive): '\(member)' \(reason) (possible zip bomb); reading stopped"
        case .malformed(let archive, let member, let reason):
            "cannot read \(archive)\(member.map { " at '\($0)'" } ?? ""): \(reason)"
        }
    }

    /// A short kind for machine output and counting.
    public var kind: String {
        switch self {
        case .unreadable: "unreadable"
        case .unsupported: "unsupported"
        case .unsafePath: "unsafe-path"
        case .linkOutOfTree: "link-out-of-tree"
        case .bomb: "bomb"
        case .malformed: "malformed"
        }
    }
}
