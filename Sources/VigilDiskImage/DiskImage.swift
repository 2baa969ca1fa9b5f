import FsApfsKit
import FsHfsKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A macOS disk image opened for reading: a UDIF .dmg (decoded into a private sparse temporary file)
/// or a raw disk/volume image, its partitions, and the HFS+/HFSX and APFS volumes on them.
///
/// Why a temporary file rather than decoding chunks on demand: libfshfs and libfsapfs open volumes by
/// path, and their B-tree walks jump around the disk, so each chunk would be decoded many times or
/// cached in memory; decoding each chunk once into a sparse file costs the disk's used bytes on disk
/// (capped by ``DiskImageLimits/maximumWrittenBytes``) and no memory beyond one chunk.
///
/// Not `Sendable`: one image belongs to one reader. Temporary files are removed when it goes away.
public final class DiskImage {
    public enum Format: String, Sendable { case udif = "UDIF", raw }

    public let format: Format
    /// The UDIF tables, for a .dmg.
    public let udif: UDIFImage?
    public let partitions: [Partition]
    public private(set) var volumes: [FileSystemVolume] = []
    /// What was worked around: unsupported chunks, skipped partitions, unreadable volumes.
    public private(set) var notices: [DiskImageNotice] = []
    public let limits: DiskImageLimits
    /// The decoded disk (UDIF) and, for partitions not at offset 0, their copies.
    let decoded: PrivateFile?
    let workDirectory: String
    let ownsWorkDirectory: Bool
    let disk: DiskBytes

    /// Opens the image at `path`.
    /// - Parameters:
    ///   - workDirectory: a private folder for temporary files (the caller removes it); nil makes one
    ///     under `$TMPDIR`, removed with this object.
    /// - Throws: ``DiskImageError`` when the image, its partition map or every volume is unreadable.
    public init(path: String, workDirectory: String? = nil, limits: DiskImageLimits = DiskImageLimits()) throws(DiskImageError) {
        self.limits = limits
        let input = try InputFile(path: path)
        let work: String
        if let workDirectory { work = workDirectory } else { work = try makeWorkDirectory() }
        self.workDirectory = work
        self.ownsWorkDirectory = workDirectory == nil
        var notices: [DiskImageNotice] = []
        var budget = limits.maximumWrittenBytes
        do {
            let diskPath: String
            if UDIFImage.isUDIF(path: path) {
                let image = try UDIFImage.read(file: input, limits: limits)
                let out = try PrivateFile(directory: work, prefix: "disk")
                try image.decode(from: input, into: out, budget: &budget, notices: &notices)
                format = .udif
                udif = image
                decoded = out
                diskPath = out.path
                disk = DiskBytes(size: out.size) { (offset: UInt64, count: Int) throws(DiskImageError) -> [UInt8] in
                    try out.read(at: offset, count: count)
                }
            } else {
                format = .raw
                udif = nil
                decoded = nil
                diskPath = path
                disk = DiskBytes(size: input.size) { (offset: UInt64, count: Int) throws(DiskImageError) -> [UInt8] in
                    try input.read(at: offset, count: count)
                }
            }
            let listing: PartitionListing
            do {
                listing = try PartitionMap.read(disk, limits: limits)
            } catch {
                // Say why the map may be missing (an LZFSE chunk over it, for example).
                let reasons = notices.map(\.message).joined(separator: "; ")
                throw reasons.isEmpty ? error : DiskImageError(error.code, "\(error.message); \(reasons)")
            }
            partitions = listing.partitions
            notices += listing.notices
            for (i, partition) in partitions.enumerated() where partition.fileSystem != .other {
                do {
                    volumes += try open(partition, at: i, diskPath: diskPath, budget: &budget)
                } catch {
                    notices.append(DiskImageNotice("partition \(partition.index) ('\(partition.name)', \(partition.fileSystem.rawValue)) cannot be opened: \(error)"))
                }
            }
            if volumes.isEmpty {
                let found = partitions.map { "\($0.index) '\($0.name)' \($0.type)" }.joined(separator: ", ")
                let reasons = notices.map(\.message).joined(separator: "; ")
                throw DiskImageError(.fileSystem, "no readable HFS+ or APFS volume (partitions: \(found.isEmpty ? "none" : found))" + (reasons.isEmpty ? "" : "; \(reasons)"))
            }
        } catch {
            if workDirectory == nil { rmdir(work) }
            throw (error as? DiskImageError) ?? DiskImageError(.io, "\(error)")
        }
        self.notices = notices
    }

    deinit {
        volumes.removeAll()
        if ownsWorkDirectory {
            // Every file in it is a PrivateFile owned by this object and already unlinked by now.
            _ = decoded.map { unlink($0.path) }
            rmdir(workDirectory)
        }
    }

    private func open(_ partition: Partition, at index: Int, diskPath: String, budget: inout UInt64) throws(DiskImageError) -> [FileSystemVolume] {
        var backing: PrivateFile?
        var volumePath = diskPath
        if partition.offset != 0 || partition.length != disk.size {
            let copy = try PrivateFile(directory: workDirectory, prefix: "partition\(partition.index)")
            try copy.setSize(partition.length)
            var offset: UInt64 = 0
            let step: UInt64 = 1 << 20
            while offset < partition.length {
                let n = Int(min(step, partition.length - offset))
                let bytes = try disk.read(at: partition.offset + offset, count: n)
                if bytes.contains(where: { $0 != 0 }) {
                    guard UInt64(n) <= budget else {
                        throw DiskImageError(.limitExceeded, "copying the partition passes the limit on bytes written for one image (\(limits.maximumWrittenBytes))")
                    }
                    budget -= UInt64(n)
                    try copy.write(bytes, at: offset)
                }
                offset += UInt64(n)
            }
            backing = copy
            volumePath = copy.path
        }
        switch partition.fileSystem {
        case .hfsPlus, .hfsx:
            do {
                let volume = try HFSVolume(path: volumePath)
                return [FileSystemVolume(kind: partition.fileSystem, name: volume.name, partition: index, handle: .hfs(volume), backing: backing)]
            } catch {
                throw DiskImageError(.fileSystem, error.message)
            }
        case .apfs:
            do {
                let container = try APFSContainer(path: volumePath)
                var result: [FileSystemVolume] = []
                for v in 0..<min(try container.volumeCount(), 100) {
                    let volume = try container.volume(at: v)
                    if try volume.isLocked() {
                        notices.append(DiskImageNotice("APFS volume \(v) '\(volume.name ?? "")' in partition \(partition.index) is encrypted and locked: not listed"))
                        continue
                    }
                    result.append(FileSystemVolume(kind: .apfs, name: volume.name, partition: index, handle: .apfs(volume), backing: backing))
                }
                return result
            } catch {
                throw DiskImageError(.fileSystem, error.message)
            }
        case .other:
            return []
        }
    }

    /// Lists every volume's tree, within ``DiskImageLimits/maximumEntries``. With one volume, paths are
    /// relative to its root; with several, each path starts with `[volume name]` (or `[volume N]`).
    public func entries() -> (entries: [DiskImageEntry], notices: [DiskImageNotice]) {
        var all: [DiskImageEntry] = []
        var notices: [DiskImageNotice] = []
        var budget = limits.maximumEntries
        for (i, volume) in volumes.enumerated() {
            let prefix = volumes.count == 1 ? "" : "[\(volume.name.flatMap { $0.isEmpty ? nil : $0 }?.replacingSlashes ?? "volume \(i)")]"
            all += volume.walk(volume: i, prefix: prefix, limits: limits, budget: &budget, notices: &notices)
        }
        return (all, notices)
    }

    /// Writes the data fork of `entry` (a file) to a new file at `destination` (created exclusively,
    /// mode 0600, never following a link), at most `maximumBytes`. Returns the bytes written.
    public func extract(_ entry: DiskImageEntry, to destination: String, maximumBytes: UInt64) throws(DiskImageError) -> UInt64 {
        guard entry.kind == .file else { throw DiskImageError(.unsupported, "'\(entry.path)' is a \(entry.kind.rawValue), not a file") }
        guard volumes.indices.contains(entry.volume) else { throw DiskImageError(.malformed, "'\(entry.path)' names volume \(entry.volume), which this image does not have") }
        let fd = posixOpen(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DiskImageError(.io, "cannot create \(destination): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            return try volumes[entry.volume].readData(identifier: entry.identifier, maximumBytes: maximumBytes) { (piece: UnsafeRawBufferPointer) throws in
                try writeAll(fd: fd, piece)
            }
        } catch {
            unlink(destination)
            throw (error as? DiskImageError) ?? DiskImageError(.io, "\(error)")
        }
    }

    /// Streams the data fork of `entry` (a file), in order, in pieces of up to 1 MiB, to `body`.
    /// What `body` throws (a caller's own cap, for example) passes through unchanged.
    /// - Returns: the bytes read.
    public func read(_ entry: DiskImageEntry, maximumBytes: UInt64 = .max, into body: (UnsafeRawBufferPointer) throws -> Void) throws -> UInt64 {
        guard entry.kind == .file else { throw DiskImageError(.unsupported, "'\(entry.path)' is a \(entry.kind.rawValue), not a file") }
        guard volumes.indices.contains(entry.volume) else { throw DiskImageError(.malformed, "'\(entry.path)' names volume \(entry.volume), which this image does not have") }
        return try volumes[entry.volume].readData(identifier: entry.identifier, maximumBytes: maximumBytes, into: body)
    }
}

extension String {
    var replacingSlashes: String { String(map { $0 == "/" ? ":" : $0 }) }
}
