import FsApfsKit
import FsHfsKit

/// What a volume entry is.
public enum EntryKind: String, Sendable, Hashable {
    case file, directory, symbolicLink, other
}

/// One entry of a volume's file tree.
public struct DiskImageEntry: Sendable, Hashable {
    /// Path inside the image, `/`-separated, without a leading slash. With more than one volume in the
    /// image it starts with the volume's label (`[name]/…`).
    public var path: String
    public var kind: EntryKind
    /// Data fork size in bytes (0 for folders).
    public var size: UInt64
    /// The link target, for symbolic links (never followed).
    public var linkTarget: String?
    /// Index into ``DiskImage/volumes``.
    public var volume: Int
    /// Catalog node identifier (HFS+) or inode number (APFS).
    public var identifier: UInt64
}

/// The entry interface both libfshfs and libfsapfs wrappers offer.
protocol VolumeNode {
    func identifier() throws -> UInt64
    var name: String? { get }
    func mode() throws -> UInt16
    func size() throws -> UInt64
    var symbolicLinkTarget: String? { get }
    func subEntryCount() throws -> Int
    func child(at index: Int) throws -> Self
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int
}

extension HFSFileEntry: VolumeNode {
    func child(at index: Int) throws -> HFSFileEntry { try subEntry(at: index) }
}

extension APFSFileEntry: VolumeNode {
    func child(at index: Int) throws -> APFSFileEntry { try subEntry(at: index) }
}

/// An HFS+/HFSX or APFS volume found in the image, opened through its library.
public final class FileSystemVolume {
    enum Handle {
        case hfs(HFSVolume)
        case apfs(APFSVolume)
    }

    public let kind: FileSystemKind
    /// The volume name from the file system, when readable.
    public let name: String?
    /// Which partition holds it (index into ``DiskImage/partitions``).
    public let partition: Int
    let handle: Handle
    /// The private copy of the partition, when the partition does not start the decoded disk.
    let backing: PrivateFile?

    init(kind: FileSystemKind, name: String?, partition: Int, handle: Handle, backing: PrivateFile?) {
        self.kind = kind
        self.name = name
        self.partition = partition
        self.handle = handle
        self.backing = backing
    }

    /// Walks the tree iteratively (no recursion), breadth by folder, within the limits; every entry
    /// that could not be read or was left out because of a cap becomes a notice.
    func walk(volume index: Int, prefix: String, limits: DiskImageLimits, budget: inout Int, notices: inout [DiskImageNotice]) -> [DiskImageEntry] {
        switch handle {
        case .hfs(let v):
            do {
                return walk(root: try v.rootDirectory(), lookup: { try v.entry(identifier: $0) }, index: index, prefix: prefix, limits: limits, budget: &budget, notices: &notices)
            } catch { notices.append(DiskImageNotice("\(label): cannot read the root folder: \(error)")) }
        case .apfs(let v):
            do {
                return walk(root: try v.rootDirectory(), lookup: { try v.entry(identifier: $0) }, index: index, prefix: prefix, limits: limits, budget: &budget, notices: &notices)
            } catch { notices.append(DiskImageNotice("\(label): cannot read the root folder: \(error)")) }
        }
        return []
    }

    var label: String { "\(kind.rawValue) volume '\(name ?? "")' (partition \(partition))" }

    private func walk<Node: VolumeNode>(root: Node, lookup: (UInt64) throws -> Node, index: Int, prefix: String, limits: DiskImageLimits, budget: inout Int, notices: inout [DiskImageNotice]) -> [DiskImageEntry] {
        var entries: [DiskImageEntry] = []
        var visited: Set<UInt64> = []
        // Folders still to read: (identifier, path, depth). The root is read from its node directly.
        var pending: [(node: Node?, id: UInt64, path: String, depth: Int)] = [(root, (try? root.identifier()) ?? 0, prefix, 0)]
        visited.insert(pending[0].id)
        while let folder = pending.popLast() {
            let node: Node
            if let n = folder.node {
                node = n
            } else {
                do { node = try lookup(folder.id) } catch {
                    notices.append(DiskImageNotice("\(label): folder '\(folder.path)' cannot be opened: \(error)"))
                    continue
                }
            }
            let count: Int
            do { count = try node.subEntryCount() } catch {
                notices.append(DiskImageNotice("\(label): folder '\(folder.path)' cannot be listed: \(error)"))
                continue
            }
            if count > limits.maximumFolderEntries {
                notices.append(DiskImageNotice("\(label): folder '\(folder.path)' has \(count) entries; only the first \(limits.maximumFolderEntries) were listed (limit)"))
            }
            for i in 0..<min(count, limits.maximumFolderEntries) {
                guard budget > 0 else {
                    notices.append(DiskImageNotice("\(label): entry limit of \(limits.maximumEntries) reached in '\(folder.path)'; the rest of the volume is not listed"))
                    return entries
                }
                let child: Node
                do { child = try node.child(at: i) } catch {
                    notices.append(DiskImageNotice("\(label): entry \(i) of folder '\(folder.path)' cannot be read: \(error)"))
                    continue
                }
                guard let raw = child.name, !raw.isEmpty, raw != ".", raw != ".." else {
                    notices.append(DiskImageNotice("\(label): entry \(i) of folder '\(folder.path)' has an empty, '.' or '..' name: not listed"))
                    continue
                }
                // HFS+ allows '/' in names (Finder shows ':' there); NUL never belongs in a path.
                let name = String(raw.map { $0 == "/" ? ":" : ($0 == "\0" ? "?" : $0) })
                let path = folder.path.isEmpty ? name : folder.path + "/" + name
                let id = (try? child.identifier()) ?? 0
                let mode = (try? child.mode()) ?? 0
                let kind: EntryKind
                switch mode & 0o170000 {
                case 0o040000: kind = .directory
                case 0o100000: kind = .file
                case 0o120000: kind = .symbolicLink
                case 0:
                    // No type bits (an HFS+ record whose BSD info was never set): a folder if it has
                    // entries, else a file (an empty folder then lists as an empty file).
                    kind = ((try? child.subEntryCount()) ?? 0) > 0 ? .directory : .file
                default: kind = .other
                }
                let size = kind == .directory ? 0 : ((try? child.size()) ?? 0)
                entries.append(DiskImageEntry(path: path, kind: kind, size: size,
                                              linkTarget: kind == .symbolicLink ? child.symbolicLinkTarget : nil,
                                              volume: index, identifier: id))
                budget -= 1
                if kind == .directory {
                    guard folder.depth + 1 < limits.maximumDepth else {
                        notices.append(DiskImageNotice("\(label): folder '\(path)' is deeper than the limit of \(limits.maximumDepth): its contents are not listed"))
                        continue
                    }
                    guard visited.insert(id).inserted else {
                        notices.append(DiskImageNotice("\(label): folder '\(path)' (id \(id)) was already listed: a cycle, not followed"))
                        continue
                    }
                    pending.append((nil, id, path, folder.depth + 1))
                }
            }
        }
        return entries
    }

    /// Reads the data fork of the entry with `identifier` in pieces of up to 1 MiB, in order, and
    /// hands each to `body`, at most `maximumBytes` in all. Errors `body` throws pass through as they are.
    func readData(identifier: UInt64, maximumBytes: UInt64, into body: (UnsafeRawBufferPointer) throws -> Void) throws -> UInt64 {
        do {
            switch handle {
            case .hfs(let v): return try stream(try v.entry(identifier: identifier), maximumBytes: maximumBytes, body)
            case .apfs(let v): return try stream(try v.entry(identifier: identifier), maximumBytes: maximumBytes, body)
            }
        } catch let error as FsHfsError {
            throw DiskImageError(.fileSystem, "\(label): cannot read entry \(identifier): \(error)")
        } catch let error as FsApfsError {
            throw DiskImageError(.fileSystem, "\(label): cannot read entry \(identifier): \(error)")
        }
    }

    private func stream<Node: VolumeNode>(_ node: Node, maximumBytes: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> UInt64 {
        let size = try node.size()
        guard size <= maximumBytes else {
            throw DiskImageError(.limitExceeded, "\(label): entry is \(size) bytes, more than the per-member limit of \(maximumBytes)")
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: UInt64 = 0
        while offset < size {
            let want = Int(min(UInt64(buffer.count), size - offset))
            let n = try buffer.withUnsafeMutableBytes { raw in
                try node.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]), at: offset)
            }
            guard n > 0, n <= want else { throw DiskImageError(.fileSystem, "\(label): file data ends at \(offset) of \(size) bytes") }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            offset += UInt64(n)
        }
        return offset
    }
}
