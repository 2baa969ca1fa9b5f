import ArchiveKit
import VigilMSI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Windows Installer packages (`.msi`, `.msm`, `.msp`) through ``VigilMSI``: the members are the
/// files of the package's cabinets, named by where they install
/// (`x.msi!/[ProgramFiles]/3CX Desktop App/ffmpeg.dll`), then the package's other embedded
/// streams (custom-action DLLs and scripts in the `Binary` table, icons), named by stream name.
///
/// Cabinets are read by libarchive (``ArchiveKit``): an embedded cabinet stream is handed to it a run
/// of sectors at a time, straight out of the package (capped by ``MSIContainer/maxCabinetBytes``,
/// never held whole in memory nor written to disk); an external cabinet is read from beside the .msi
/// when it is a regular file there. A cabinet that is missing, over the cap or
/// damaged, a cabinet member without a File row, a File row in no cabinet, and every problem of the
/// database (Directory cycles, bad cells) are reported as notes: nothing is skipped silently.
public struct MSIContainer: ContainerFormat {
    /// Largest embedded cabinet read. Default 4 GiB.
    public var maxCabinetBytes: Int

    public init(maxCabinetBytes: Int = 4 << 30) { self.maxCabinetBytes = maxCabinetBytes }

    public var identifier: String { "msi" }

    static let cfbMagic: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]

    /// An OLE compound file named `.msi`/`.msm`/`.msp`, or any compound file whose first 64 KiB hold
    /// the directory name of MSI's string pool stream.
    public func recognizes(_ probe: ContainerProbe) -> Bool {
        guard probe.has(Self.cfbMagic) else { return false }
        if ["msi", "msm", "msp"].contains(probe.fileExtension) { return true }
        var pattern: [UInt8] = []
        for u in MSIStreamName.encode("!_StringPool") { pattern += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        return Self.contains(probe.head, pattern)
    }

    public func open(path: String, probe: ContainerProbe) throws -> any ContainerReader {
        let msi: MSIPackage
        do {
            msi = try MSIPackage(path: path)
        } catch {
            switch error {
            case .missingStream, .compoundFile(.notCompoundFile):
                throw ContainerError(.notAContainer, error.description)
            default:
                throw ContainerError(.malformed, "MSI: \(error.description)")
            }
        }
        return MSIContainerReader(msi: msi, maxCabinetBytes: maxCabinetBytes)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return true }
            i += 1
        }
        return false
    }
}

/// One open package: its cabinets one after another, then its other streams.
final class MSIContainerReader: ContainerReader {
    private let msi: MSIPackage
    private let maxCabinetBytes: Int
    private var notes: [ContainerNote] = []
    /// Cabinets still to open, in Media order.
    private var cabinets: [MSIMedia]
    /// The cabinet being read and the File rows it holds, by File key.
    private var archive: ArchiveReader?
    private var archiveFiles: [String: MSIFile] = [:]
    private var archiveName = ""
    /// File keys met in some cabinet.
    private var seenKeys: Set<String> = []
    /// Non-cabinet streams still to list, then the one being read.
    private var streams: [(name: String, entry: CFBEntry)]
    private var currentStream: CFBEntry?
    private var finished = false

    init(msi: MSIPackage, maxCabinetBytes: Int) {
        self.msi = msi
        self.maxCabinetBytes = maxCabinetBytes
        var seenCab: Set<String> = []
        cabinets = msi.media.filter { m in m.cabinet.map { seenCab.insert($0).inserted } ?? false }
        let cabNames = Set(msi.embeddedCabinetNames)
        streams = msi.database.embeddedStreams.filter { !cabNames.contains($0.key) }.sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
        for p in msi.problems {
            notes.append(ContainerNote(kind: "malformed", message: "MSI database: \(p.location): \(p.message)"))
        }
        let uncompressed = msi.files.filter { $0.cabinet == nil }
        if !uncompressed.isEmpty {
            notes.append(ContainerNote(
                kind: "container-incomplete",
                message: "\(uncompressed.count) file(s) are on a disk without a cabinet (stored uncompressed outside the package) and are not in it, e.g. \(uncompressed[0].installPath)"))
        }
    }

    var formatName: String { "MSI" }

    func takeNotes() -> [ContainerNote] {
        defer { notes.removeAll() }
        return notes
    }

    func nextMember() throws -> ContainerMemberInfo? {
        currentStream = nil
        while true {
            if let archive {
                let entry: ArchiveEntry?
                do {
                    entry = try archive.nextEntry()
                } catch {
                    notes.append(ContainerNote(kind: "malformed", message: "cabinet \(archiveName): libarchive: \(error.message)",
                                               member: error.member, offset: error.offset))
                    closeCabinet()
                    continue
                }
                guard let entry else {
                    closeCabinet()
                    continue
                }
                let file = archiveFiles[entry.name]
                if file == nil {
                    notes.append(ContainerNote(kind: "container-ambiguous",
                                               message: "cabinet \(archiveName) holds '\(entry.name)', which no File row names; shown by its cabinet name",
                                               member: entry.name))
                } else {
                    seenKeys.insert(entry.name)
                }
                let kind: MemberKind = entry.kind == .regular ? .regular : (entry.kind == .directory ? .directory : .other)
                return ContainerMemberInfo(name: entry.name, declaredSize: entry.declaredSize, kind: kind,
                                           installPath: file?.installPath ?? (archiveName + "/" + entry.name),
                                           offset: entry.headerOffset)
            }
            if !cabinets.isEmpty {
                openCabinet(cabinets.removeFirst())
                continue
            }
            if !streams.isEmpty {
                let (name, entry) = streams.removeFirst()
                currentStream = entry
                return ContainerMemberInfo(name: name, declaredSize: Int64(clamping: entry.size), kind: .regular)
            }
            if !finished {
                finished = true
                let missing = msi.files.filter { $0.cabinet != nil && !seenKeys.contains($0.key) }
                for f in missing.prefix(20) {
                    notes.append(ContainerNote(kind: "container-incomplete",
                                               message: "File row \(f.key) is in no readable cabinet (\(f.cabinet ?? "")): not scanned",
                                               member: f.installPath))
                }
                if missing.count > 20 {
                    notes.append(ContainerNote(kind: "container-incomplete",
                                               message: "\(missing.count - 20) more File rows are in no readable cabinet"))
                }
            }
            return nil
        }
    }

    func readMember(into sink: MemberSink) throws {
        if let stream = currentStream {
            // The sink's own error (a cap) is passed on unchanged, so the walker reports the cap.
            var sinkError: (any Error)?
            do {
                try msi.database.compoundFile.forEachChunk(stream, maxBytes: Int.max) { (chunk: [UInt8]) throws(CFBError) in
                    do { try sink.write(chunk) } catch {
                        sinkError = error
                        throw CFBError.limit("member sink refused the bytes")
                    }
                }
            } catch {
                if let sinkError { throw sinkError }
                throw ContainerError(.memberUnreadable, "MSI stream: \(error)")
            }
            return
        }
        guard let archive else { throw ContainerError(.memberUnreadable, "no member is open") }
        do {
            try archive.readData { chunk in try sink.write(chunk) }
        } catch let error as ArchiveError {
            throw ContainerError(error.code == .fatal ? .malformed : .memberUnreadable,
                                 "cabinet \(archiveName): libarchive: \(error.message)", member: error.member, offset: error.offset)
        }
    }

    private func closeCabinet() {
        archive = nil
        archiveFiles = [:]
    }

    private func openCabinet(_ media: MSIMedia) {
        guard let name = media.cabinet else { return }
        archiveName = name
        archiveFiles = msi.files(inCabinet: name)
        do {
            if media.embedded {
                guard let entry = msi.database.embeddedStreams[name] else {
                    notes.append(ContainerNote(kind: "container-incomplete", message: "embedded cabinet '\(name)' (disk \(media.diskId)) has no stream in the package"))
                    return
                }
                guard entry.size <= UInt64(maxCabinetBytes) else {
                    notes.append(ContainerNote(kind: "container-limit",
                                               message: "embedded cabinet '\(name)' declares \(entry.size) bytes, over the \(maxCabinetBytes)-byte cap; its files are not read"))
                    return
                }
                // Streamed out of the package as libarchive reads it: never held whole.
                var chunks = try msi.database.compoundFile.chunks(of: entry, maxBytes: maxCabinetBytes)
                archive = try ArchiveReader(chunks: { try chunks.next() }, formats: [.cab])
            } else {
                guard let path = msi.externalCabinetPath(name) else {
                    notes.append(ContainerNote(kind: "container-incomplete", message: "external cabinet '\(name)' cannot be looked up beside the package"))
                    return
                }
                let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                guard fd >= 0 else {
                    notes.append(ContainerNote(kind: "container-incomplete",
                                               message: "external cabinet '\(name)' is not beside the package (\(String(cString: strerror(errno)))); its \(archiveFiles.count) file(s) are not read"))
                    return
                }
                defer { close(fd) }
                var st = stat()
                guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                    notes.append(ContainerNote(kind: "container-incomplete", message: "external cabinet '\(name)' is not a regular file"))
                    return
                }
                archive = try ArchiveReader(fileDescriptor: fd, formats: [.cab])
            }
        } catch let error as ArchiveError {
            notes.append(ContainerNote(kind: "malformed", message: "cabinet \(name): libarchive: \(error.message)"))
            closeCabinet()
        } catch {
            notes.append(ContainerNote(kind: "malformed", message: "cabinet \(name): \(error)"))
            closeCabinet()
        }
    }
}
