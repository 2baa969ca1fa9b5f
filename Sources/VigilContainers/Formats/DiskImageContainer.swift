import VigilDiskImage

/// macOS disk images: UDIF `.dmg` files (a `koly` trailer in the last 512 bytes) and bare HFS+,
/// HFSX or APFS volume images, read by `VigilDiskImage` (UDIF chunks decoded into a sparse file in
/// a sub-folder of the walker's private workspace, volumes read with libfshfs / libfsapfs).
///
/// Members are named by their path inside the volume (`3CX Desktop App.app/Contents/MacOS/…`); an
/// image with several volumes prefixes each path with `[volume name]`. Unsupported chunks (LZFSE)
/// and other worked-around problems become `container-unsupported`, `container-limit` or
/// `container-notice` notes.
struct DiskImageContainer: ContainerFormat {
    var identifier: String { "dmg" }

    func recognizes(_ probe: ContainerProbe) -> Bool {
        if probe.tail.count >= 512 {
            let k = probe.tail.count - 512
            if probe.tail[k] == 0x6B, probe.tail[k + 1] == 0x6F, probe.tail[k + 2] == 0x6C, probe.tail[k + 3] == 0x79 { return true }  // "koly"
        }
        return probe.has([0x48, 0x2B, 0x00, 0x04], at: 1024)  // HFS+ "H+" version 4
            || probe.has([0x48, 0x58, 0x00, 0x05], at: 1024)  // HFSX "HX" version 5
            || probe.has(Array("NXSB".utf8), at: 32)  // APFS container superblock
    }

    func open(path: String, probe: ContainerProbe) throws -> any ContainerReader {
        let folder = try PrivateWorkspace.shared().createFolder()
        do {
            return DiskImageReader(image: try DiskImage(path: path, workDirectory: folder), folder: folder)
        } catch {
            PrivateWorkspace.removeTree(folder)
            switch error.code {
            case .notRecognised: throw ContainerError(.notAContainer, error.message)
            case .limitExceeded: throw ContainerError(.limit, "disk image: \(error.message)", limit: "disk-image")
            case .unsupported: throw ContainerError(.unsupported, "disk image: \(error.message)")
            default: throw ContainerError(.malformed, "disk image: \(error.message)")
            }
        }
    }
}

/// Lists the volumes' entries once at open, then streams each file's data fork into the sink.
final class DiskImageReader: ContainerReader {
    let image: DiskImage
    let folder: String
    private let entries: [DiskImageEntry]
    private var next = 0
    private var notes: [ContainerNote]
    let formatName: String

    init(image: DiskImage, folder: String) {
        self.image = image
        self.folder = folder
        let listing = image.entries()
        entries = listing.entries
        notes = (image.notices + listing.notices).map { notice in
            let kind = notice.message.contains("unsupported") ? "container-unsupported"
                : notice.message.contains("(limit)") || notice.message.contains("limit of") ? "container-limit" : "container-notice"
            return ContainerNote(kind: kind, message: notice.message)
        }
        let kinds = Array(Set(image.volumes.map(\.kind.rawValue))).sorted().joined(separator: ", ")
        formatName = (image.format == .udif ? "UDIF" : "disk image") + (kinds.isEmpty ? "" : " (\(kinds))")
    }

    deinit { PrivateWorkspace.removeTree(folder) }

    func nextMember() throws -> ContainerMemberInfo? {
        guard next < entries.count else { return nil }
        let entry = entries[next]
        next += 1
        let kind: MemberKind
        switch entry.kind {
        case .file: kind = .regular
        case .directory: kind = .directory
        case .symbolicLink: kind = .symlink
        case .other: kind = .other
        }
        return ContainerMemberInfo(name: entry.path, declaredSize: Int64(clamping: entry.size), kind: kind, linkTarget: entry.linkTarget)
    }

    func readMember(into sink: MemberSink) throws {
        guard next > 0 else { return }
        let entry = entries[next - 1]
        do {
            _ = try image.read(entry) { try sink.write($0) }
        } catch let error as DiskImageError {
            throw ContainerError(.memberUnreadable, error.message, member: entry.path)
        }
    }

    func takeNotes() -> [ContainerNote] {
        defer { notes.removeAll() }
        return notes
    }
}
