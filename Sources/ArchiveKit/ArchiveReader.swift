import CArchive

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What kind of entry libarchive reported.
public enum ArchiveEntryKind: String, Sendable, Hashable {
    case regular, directory, symlink, hardlink, other
}

/// One entry header, copied out of libarchive (nothing here points into the library).
public struct ArchiveEntry: Sendable, Hashable {
    /// The name as stored, decoded as UTF-8 (invalid bytes shown as `\xHH`), never normalised:
    /// it may start with `/` or hold `..`. The caller decides what is safe.
    public var name: String
    /// Size the header declares, when it declares one.
    public var declaredSize: Int64?
    public var kind: ArchiveEntryKind
    /// Target of a symbolic link, or the earlier member a hard link names.
    public var linkTarget: String?
    /// The entry's data is encrypted (libarchive cannot read it without a passphrase).
    public var isEncrypted: Bool
    /// Offset of the entry's header in the decompressed stream, when libarchive knows it.
    public var headerOffset: Int64?
    /// libarchive's warning about this header (it read the entry but found something inconsistent,
    /// such as sizes that disagree between the local header and the central directory).
    public var warning: String? = nil
}

/// Streaming reader over libarchive: one entry at a time, data in bounded chunks, never seeking
/// back and never extracting anything by itself. Only the formats and filters listed in
/// ``Format`` are enabled; filters that libarchive would run as an external program (when it was
/// built without the library) are refused, so reading never executes anything.
///
/// Not thread-safe: one reader per thread. The `archive *` handle stays inside this class.
public final class ArchiveReader {
    /// Archive formats ArchiveKit enables.
    public enum Format: String, CaseIterable, Sendable {
        case zip, tar, cab, sevenZip = "7zip", xar, cpio, iso9660, rar, rar5
    }

    private let handle: OpaquePointer
    private var memory: UnsafeMutableRawBufferPointer?
    private var buffer: UnsafeMutableRawBufferPointer
    private var currentName: String?
    private var opened = false

    /// Bytes read per `archive_read_data` call.
    public static let chunkSize = 256 * 1024

    private init(formats: [Format]) throws(ArchiveError) {
        guard let a = archive_read_new() else { throw ArchiveError(code: .open, message: "libarchive could not allocate a reader") }
        handle = a
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        for f in formats {
            switch f {
            case .zip: archive_read_support_format_zip(a)
            case .tar: archive_read_support_format_tar(a); archive_read_support_format_gnutar(a)
            case .cab: archive_read_support_format_cab(a)
            case .sevenZip: archive_read_support_format_7zip(a)
            case .xar: archive_read_support_format_xar(a)
            case .cpio: archive_read_support_format_cpio(a)
            case .iso9660: archive_read_support_format_iso9660(a)
            case .rar: archive_read_support_format_rar(a)
            case .rar5: archive_read_support_format_rar5(a)
            }
        }
        // In-process filters only: ARCHIVE_WARN means libarchive fell back to an external program.
        let filters: [(OpaquePointer) -> Int32] = [
            { archive_read_support_filter_gzip($0) }, { archive_read_support_filter_bzip2($0) },
            { archive_read_support_filter_xz($0) }, { archive_read_support_filter_lzma($0) },
            { archive_read_support_filter_zstd($0) }, { archive_read_support_filter_lz4($0) },
        ]
        var external = false
        for add in filters where add(a) != ARCHIVE_OK { external = true }
        if external {
            // deinit frees the handle and the buffer.
            throw ArchiveError(code: .open, message: "this libarchive lacks a built-in decompressor (gzip, bzip2, xz, zstd or lz4) and would run an external program; refusing")
        }
    }

    /// Opens a file for reading. The descriptor is duplicated; the caller keeps its own.
    public convenience init(fileDescriptor fd: Int32, formats: [Format] = Format.allCases) throws(ArchiveError) {
        try self.init(formats: formats)
        let own = dup(fd)
        guard own >= 0 else { throw ArchiveError(code: .open, message: "cannot duplicate the descriptor: \(String(cString: strerror(errno)))") }
        // archive_read_open_fd does not close the descriptor; the close callback below does.
        guard archive_read_open_fd(handle, own, 64 * 1024) == ARCHIVE_OK else {
            let e = lastError(openFailureCode())
            close(own)
            throw e
        }
        ownedFD = own
        opened = true
    }

    /// Reads an archive held in memory (the bytes are copied, so the caller may reuse its array).
    public convenience init(bytes: [UInt8], formats: [Format] = Format.allCases) throws(ArchiveError) {
        try self.init(formats: formats)
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { copy.baseAddress!.copyMemory(from: base, byteCount: src.count) }
        }
        memory = copy
        guard archive_read_open_memory(handle, copy.baseAddress, bytes.count) == ARCHIVE_OK else {
            throw lastError(openFailureCode())
        }
        opened = true
    }

    /// Reads an archive whose bytes `next` hands over a chunk at a time (`nil` after the last), never
    /// holding the whole archive: a cabinet embedded in an MSI package is read this way. Reading is
    /// forward only, so formats that must seek (ZIP's central directory, 7z) cannot be read so; an
    /// error `next` throws ends the archive with that error.
    public convenience init(chunks next: @escaping () throws -> [UInt8]?, formats: [Format] = Format.allCases) throws(ArchiveError) {
        try self.init(formats: formats)
        let source = ChunkSource(next: next)
        chunkSource = source
        guard archive_read_open(handle, Unmanaged.passUnretained(source).toOpaque(), nil, readChunk, nil) == ARCHIVE_OK else {
            throw lastError(openFailureCode())
        }
        opened = true
    }

    /// The source of an archive read with ``init(chunks:formats:)``, kept alive by the reader.
    private var chunkSource: ChunkSource?

    private var ownedFD: Int32 = -1

    deinit {
        archive_read_free(handle)
        if ownedFD >= 0 { close(ownedFD) }
        memory?.deallocate()
        buffer.deallocate()
    }

    /// The archive format libarchive detected (`ZIP 2.0 (deflation)`, `7-Zip`, `MS CAB`, `xar`…),
    /// known after the first ``nextEntry()``.
    public var formatName: String {
        guard let s = archive_format_name(handle) else { return "unknown" }
        return String(cString: s)
    }

    /// Whether the archive read so far is a tar (ustar, pax, GNU or v7), by libarchive's format code.
    public var isTar: Bool { archive_format(handle) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_TAR }

    /// Compression filters applied to the input, outermost last (`gzip`, `xz`…); empty for none.
    public var filterNames: [String] {
        var names: [String] = []
        let n = archive_filter_count(handle)
        for i in 0..<max(0, n) {
            guard archive_filter_code(handle, i) != ARCHIVE_FILTER_NONE, let s = archive_filter_name(handle, i) else { continue }
            names.append(String(cString: s))
        }
        return names
    }

    /// Bytes of the raw input consumed so far.
    public var inputBytesConsumed: Int64 { archive_filter_bytes(handle, -1) }

    /// The next entry header, or `nil` at the end of the archive.
    /// - Throws: ``ArchiveError`` with code `.unrecognized` when the first header is no known
    ///   format, `.fatal` when the archive is damaged or truncated.
    public func nextEntry() throws(ArchiveError) -> ArchiveEntry? {
        var entry: OpaquePointer?
        let first = currentName == nil && !readAnyHeader
        let r = archive_read_next_header(handle, &entry)
        readAnyHeader = true
        if r == ARCHIVE_EOF { return nil }
        if r == ARCHIVE_RETRY {
            throw lastError(.fatal)
        }
        guard r == ARCHIVE_OK || r == ARCHIVE_WARN, let entry else {
            if first, archive_format(handle) == 0 {
                throw lastError(.unrecognized)
            }
            throw lastError(r == ARCHIVE_FATAL ? .fatal : .member)
        }
        let name = Self.decodeName(utf8: archive_entry_pathname_utf8(entry), raw: archive_entry_pathname(entry))
        currentName = name
        let type = archive_entry_filetype(entry)
        var kind: ArchiveEntryKind
        var link: String?
        if let hard = archive_entry_hardlink(entry) {
            kind = .hardlink
            link = Self.decodeName(utf8: archive_entry_hardlink_utf8(entry), raw: hard)
        } else {
            switch type {
            case 0o100000: kind = .regular
            case 0o040000: kind = .directory
            case 0o120000:
                kind = .symlink
                link = Self.decodeName(utf8: archive_entry_symlink_utf8(entry), raw: archive_entry_symlink(entry))
            default: kind = .other
            }
        }
        let position = archive_read_header_position(handle)
        var warning: String?
        if r == ARCHIVE_WARN { warning = archive_error_string(handle).map { String(cString: $0) } ?? "libarchive warning" }
        return ArchiveEntry(
            name: name,
            declaredSize: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
            kind: kind, linkTarget: link,
            isEncrypted: archive_entry_is_data_encrypted(entry) > 0 || archive_entry_is_metadata_encrypted(entry) > 0,
            headerOffset: position >= 0 ? position : nil, warning: warning)
    }

    private var readAnyHeader = false

    /// Streams the current entry's data to `body` in the blocks libarchive decodes (at most
    /// ``chunkSize`` bytes per call; holes of sparse entries are passed as zeros). `body` may throw
    /// to stop early (a cap); its error is rethrown unchanged.
    ///
    /// Uses `archive_read_data_block`, not `archive_read_data`: libarchive 3.6.2's xar reader hands
    /// `archive_read_data` the previous member's bytes again after an entry's last block (measured:
    /// a 158-byte member read as 310 bytes), while the block interface gives each entry's own data.
    /// - Throws: ``ArchiveError`` (`.member` for damaged data of this member, `.fatal` when the
    ///   archive cannot go on), or what `body` throws.
    public func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var position: Int64 = 0
        var empty = 0
        while true {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: Int64 = 0
            let r = archive_read_data_block(handle, &block, &size, &offset)
            if r == ARCHIVE_EOF { return }
            if r < ARCHIVE_WARN {
                throw lastError(r == ARCHIVE_FATAL ? .fatal : .member)
            }
            if offset < position {
                throw ArchiveError(code: .member, message: "a data block of this member starts at \(offset), before the \(position) bytes already read", member: currentName, offset: inputBytesConsumed)
            }
            // A hole (sparse entry): zeros, in chunks, counted by the body like any data.
            if offset > position {
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
                while position < offset {
                    let n = Int(min(Int64(buffer.count), offset - position))
                    try body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
                    position += Int64(n)
                }
            }
            guard let block, size > 0 else {
                empty += 1
                if empty > 10_000 { throw ArchiveError(code: .member, message: "libarchive returned empty data blocks without end", member: currentName, offset: inputBytesConsumed) }
                continue
            }
            empty = 0
            var done = 0
            while done < size {
                let n = min(Self.chunkSize, size - done)
                try body(UnsafeRawBufferPointer(start: block + done, count: n))
                done += n
            }
            position += Int64(size)
        }
    }

    /// libarchive bids for a format while opening: "no format recognised" is reported with
    /// ARCHIVE_ERRNO_FILE_FORMAT (EILSEQ).
    private func openFailureCode() -> ArchiveError.Code {
        archive_errno(handle) == EILSEQ ? .unrecognized : .open
    }

    private func lastError(_ code: ArchiveError.Code) -> ArchiveError {
        let message: String
        if let s = archive_error_string(handle) {
            message = String(cString: s)
        } else {
            message = code == .unrecognized ? "not an archive libarchive reads" : "libarchive error \(archive_errno(handle))"
        }
        let offset = opened ? archive_filter_bytes(handle, -1) : nil
        return ArchiveError(code: code, message: message, member: currentName, offset: offset)
    }

    /// Decodes a name: libarchive's UTF-8 form when it has one, else the raw bytes with each
    /// byte that is not valid UTF-8 written as `\xHH`.
    static func decodeName(utf8: UnsafePointer<CChar>?, raw: UnsafePointer<CChar>?) -> String {
        if let utf8 { return String(cString: utf8) }
        guard let raw else { return "" }
        let bytes = UnsafeRawBufferPointer(start: raw, count: strlen(raw))
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        var out = ""
        for b in bytes {
            if b < 0x80 { out.unicodeScalars.append(Unicode.Scalar(b)) } else { out += "\\x" + String(b, radix: 16, uppercase: false).leftPadded(2) }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Hands libarchive the chunks of an archive read with ``ArchiveReader/init(chunks:formats:)``; the
/// last chunk stays in `storage` until libarchive asks for the next.
private final class ChunkSource {
    let next: () throws -> [UInt8]?
    var storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    init(next: @escaping () throws -> [UInt8]?) { self.next = next }

    deinit { storage.deallocate() }
}

/// libarchive's read callback for ``ChunkSource``: a non-capturing function that finds its state
/// through the client data.
private func readChunk(
    _ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> la_ssize_t {
    guard let client, let buffer else { return -1 }
    let source = Unmanaged<ChunkSource>.fromOpaque(client).takeUnretainedValue()
    do {
        var chunk: [UInt8] = []
        while chunk.isEmpty {
            guard let c = try source.next() else { return 0 }
            chunk = c
        }
        if chunk.count > source.storage.count {
            source.storage.deallocate()
            source.storage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk.count, alignment: 16)
        }
        chunk.withUnsafeBytes { source.storage.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        buffer.pointee = UnsafeRawPointer(source.storage.baseAddress!)
        return la_ssize_t(chunk.count)
    } catch {
        carchive_set_error(archive, EIO, "reading the archive's bytes: \(error)")
        return -1
    }
}
