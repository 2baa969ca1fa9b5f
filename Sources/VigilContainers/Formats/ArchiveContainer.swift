import ArchiveKit

/// ZIP, tar (plain, gzip, bzip2, xz, zstd, lz4), CAB (MSZIP, LZX, Quantum), 7z, xar (macOS `.pkg`),
/// cpio (odc, newc, binary; the `.pkg` Payload), ISO 9660 (Joliet, Rock Ridge) and RAR (v4 and v5),
/// all through libarchive (``ArchiveKit``).
public struct ArchiveContainer: ContainerFormat {
    public init() {}

    public var identifier: String { "archive" }

    public func recognizes(_ probe: ContainerProbe) -> Bool {
        archiveMagic(probe) || compressionMagic(probe)
    }

    /// The magic of an archive format itself: a file with it that libarchive cannot read is reported.
    func archiveMagic(_ probe: ContainerProbe) -> Bool {
        if probe.has([0x50, 0x4B, 0x03, 0x04]) || probe.has([0x50, 0x4B, 0x05, 0x06]) || probe.has([0x50, 0x4B, 0x07, 0x08]) { return true }  // ZIP
        if probe.has([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return true }  // 7z
        if probe.has(Array("MSCF".utf8) + [0, 0, 0, 0]) { return true }  // CAB (reserved1 = 0)
        if probe.has(Array("xar!".utf8)) { return true }  // xar (.pkg)
        if probe.has(Array("Rar!\u{1A}\u{07}".utf8)) { return true }  // RAR 4 and 5
        if probe.has(Array("07070".utf8)) || probe.has([0xC7, 0x71]) || probe.has([0x71, 0xC7]) { return true }  // cpio
        if probe.has(Array("ustar".utf8), at: 257) { return true }  // POSIX / GNU tar
        if probe.has(Array("CD001".utf8), at: 0x8001) { return true }  // ISO 9660 primary descriptor
        return false
    }

    /// A compressed stream: a container only if libarchive finds an archive inside (open decides).
    func compressionMagic(_ probe: ContainerProbe) -> Bool {
        if probe.has([0x1F, 0x8B]) || probe.has(Array("BZh".utf8)) || probe.has([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
            || probe.has([0x28, 0xB5, 0x2F, 0xFD]) || probe.has([0x04, 0x22, 0x4D, 0x18])
        {
            return true
        }
        return false
    }

    public func open(path: String, probe: ContainerProbe) throws -> any ContainerReader {
        let fd = openReadOnly(path)
        guard fd >= 0 else { throw ContainerError(.malformed, "cannot open: \(errnoText())") }
        defer { closeFD(fd) }
        do {
            return ArchiveContainerReader(reader: try ArchiveReader(fileDescriptor: fd))
        } catch {
            if error.code == .unrecognized {
                if archiveMagic(probe) {
                    throw ContainerError(.malformed, "it starts like an archive, but libarchive cannot read it: \(error.message)", offset: error.offset)
                }
                throw ContainerError(.notAContainer, error.message)
            }
            throw ContainerError(.malformed, "libarchive cannot open it: \(error.message)", offset: error.offset)
        }
    }
}

extension ArchiveContainer {
    /// Whether a compressed stream holds a tar archive, judged from the probe's first bytes alone
    /// (`nil` when libarchive recognises no archive there).
    public static func holdsTar(_ probe: ContainerProbe) -> Bool? {
        guard let reader = try? ArchiveReader(bytes: probe.head) else { return nil }
        guard (try? reader.nextEntry()) != nil else { return nil }
        return reader.isTar
    }
}

/// One open archive. A first header libarchive cannot place makes ``nextMember()`` throw
/// `notAContainer` (a `.gz` holding no archive is just a file).
final class ArchiveContainerReader: ContainerReader {
    private let reader: ArchiveReader
    private var sawHeader = false
    private var current: ArchiveEntry?
    private var notes: [ContainerNote] = []

    func takeNotes() -> [ContainerNote] {
        defer { notes.removeAll() }
        return notes
    }

    init(reader: ArchiveReader) { self.reader = reader }

    var formatName: String {
        let filters = reader.filterNames
        return filters.isEmpty ? reader.formatName : reader.formatName + " (" + filters.joined(separator: ", ") + ")"
    }

    var inputBytesConsumed: Int64? { reader.inputBytesConsumed }

    func nextMember() throws -> ContainerMemberInfo? {
        let entry: ArchiveEntry?
        do {
            entry = try reader.nextEntry()
        } catch {
            if !sawHeader, error.code == .unrecognized {
                throw ContainerError(.notAContainer, error.message)
            }
            throw ContainerError(.malformed, "libarchive: \(error.message)", member: error.member, offset: error.offset)
        }
        guard let entry else { return nil }
        sawHeader = true
        current = entry
        if let warning = entry.warning {
            notes.append(ContainerNote(kind: "container-inconsistent", message: "libarchive: \(warning)", member: entry.name, offset: entry.headerOffset))
        }
        let kind: MemberKind =
            switch entry.kind {
            case .regular: .regular
            case .directory: .directory
            case .symlink: .symlink
            case .hardlink: .hardlink
            case .other: .other
            }
        return ContainerMemberInfo(
            name: entry.name, declaredSize: entry.declaredSize, kind: kind, linkTarget: entry.linkTarget,
            offset: entry.headerOffset)
    }

    func readMember(into sink: MemberSink) throws {
        if let current, current.isEncrypted {
            throw ContainerError(.unsupported, "member is encrypted; its bytes cannot be read without the password", member: current.name)
        }
        do {
            try reader.readData { chunk in try sink.write(chunk) }
        } catch let error as ArchiveError {
            throw ContainerError(
                error.code == .fatal ? .malformed : .memberUnreadable, "libarchive: \(error.message)",
                member: error.member, offset: error.offset)
        }
    }
}
