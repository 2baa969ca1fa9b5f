internal import CFsHfs

/// An error reported by libfshfs, with its message (the library's error backtrace, one line).
public struct FsHfsError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Turns a libfshfs error into a Swift error and frees it.
func takeError(_ error: inout OpaquePointer?, _ what: String) -> FsHfsError {
    guard let e = error else { return FsHfsError(message: "\(what): libfshfs gave no reason") }
    var buffer = [CChar](repeating: 0, count: 1024)
    _ = libfshfs_error_sprint(UnsafeMutablePointer(e), &buffer, buffer.count)
    var p: UnsafeMutablePointer<libfshfs_error_t>? = UnsafeMutablePointer(e)
    libfshfs_error_free(&p)
    error = nil
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .split(whereSeparator: \.isNewline).joined(separator: "; ")
    return FsHfsError(message: "\(what): \(text)")
}

/// Calls a libfshfs function that reports through `libfshfs_error_t **`; throws unless it returns 1.
@inline(__always)
func call(_ what: @autoclosure () -> String, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<libfshfs_error_t>?>) -> Int32) throws(FsHfsError) {
    var error: UnsafeMutablePointer<libfshfs_error_t>?
    let rc = body(&error)
    if rc != 1 {
        var opaque = error.map(OpaquePointer.init)
        throw takeError(&opaque, what())
    }
}

/// Reads a UTF-8 string through a libfshfs size/value function pair.
func readString(
    size: (UnsafeMutablePointer<Int>, UnsafeMutablePointer<UnsafeMutablePointer<libfshfs_error_t>?>) -> Int32,
    value: (UnsafeMutablePointer<UInt8>, Int, UnsafeMutablePointer<UnsafeMutablePointer<libfshfs_error_t>?>) -> Int32,
    limit: Int = 65_536
) -> String? {
    var length = 0
    var error: UnsafeMutablePointer<libfshfs_error_t>?
    guard size(&length, &error) == 1, length > 0, length <= limit else {
        if error != nil { libfshfs_error_free(&error) }
        return nil
    }
    var bytes = [UInt8](repeating: 0, count: length)
    guard value(&bytes, length, &error) == 1 else {
        if error != nil { libfshfs_error_free(&error) }
        return nil
    }
    return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
}

/// A read-only HFS+ or HFSX volume opened with libfshfs. No libfshfs pointer leaves this module.
/// Not `Sendable`: one volume belongs to one reader.
public final class HFSVolume {
    let handle: UnsafeMutablePointer<libfshfs_volume_t>

    /// Opens the volume stored in the file at `path` (the volume starts at byte 0).
    public init(path: String) throws(FsHfsError) {
        var volume: UnsafeMutablePointer<libfshfs_volume_t>?
        try call("libfshfs_volume_initialize") { libfshfs_volume_initialize(&volume, $0) }
        guard let volume else { throw FsHfsError(message: "libfshfs_volume_initialize returned no volume") }
        do {
            try call("cannot open HFS+ volume") { libfshfs_volume_open(volume, path, Int32(LIBFSHFS_ACCESS_FLAG_READ.rawValue), $0) }
        } catch {
            var v: UnsafeMutablePointer<libfshfs_volume_t>? = volume
            libfshfs_volume_free(&v, nil)
            throw error
        }
        handle = volume
    }

    deinit {
        libfshfs_volume_close(handle, nil)
        var v: UnsafeMutablePointer<libfshfs_volume_t>? = handle
        libfshfs_volume_free(&v, nil)
    }

    /// Whether the file at `path` starts with an HFS+/HFSX volume header, as libfshfs checks it.
    public static func hasSignature(path: String) -> Bool {
        var error: UnsafeMutablePointer<libfshfs_error_t>?
        let rc = libfshfs_check_volume_signature(path, &error)
        if error != nil { libfshfs_error_free(&error) }
        return rc == 1
    }

    /// The volume name, when it has one.
    public var name: String? {
        readString(size: { libfshfs_volume_get_utf8_name_size(handle, $0, $1) },
                   value: { libfshfs_volume_get_utf8_name(handle, $0, $1, $2) })
    }

    /// The root folder.
    public func rootDirectory() throws(FsHfsError) -> HFSFileEntry {
        var entry: UnsafeMutablePointer<libfshfs_file_entry_t>?
        try call("cannot read the root folder") { libfshfs_volume_get_root_directory(handle, &entry, $0) }
        guard let entry else { throw FsHfsError(message: "libfshfs returned no root folder") }
        return HFSFileEntry(handle: entry, volume: self)
    }

    /// The entry with catalog node identifier `identifier`.
    public func entry(identifier: UInt64) throws(FsHfsError) -> HFSFileEntry {
        guard identifier <= UInt64(UInt32.max) else { throw FsHfsError(message: "catalog node identifier \(identifier) out of range") }
        var entry: UnsafeMutablePointer<libfshfs_file_entry_t>?
        try call("cannot read catalog node \(identifier)") { libfshfs_volume_get_file_entry_by_identifier(handle, UInt32(identifier), &entry, $0) }
        guard let entry else { throw FsHfsError(message: "libfshfs returned no entry for \(identifier)") }
        return HFSFileEntry(handle: entry, volume: self)
    }
}

/// One file, folder or symbolic link of an ``HFSVolume``. Keeps its volume open.
public final class HFSFileEntry {
    let handle: UnsafeMutablePointer<libfshfs_file_entry_t>
    let volume: HFSVolume

    init(handle: UnsafeMutablePointer<libfshfs_file_entry_t>, volume: HFSVolume) {
        self.handle = handle
        self.volume = volume
    }

    deinit {
        var e: UnsafeMutablePointer<libfshfs_file_entry_t>? = handle
        libfshfs_file_entry_free(&e, nil)
    }

    /// The catalog node identifier (CNID).
    public func identifier() throws(FsHfsError) -> UInt64 {
        var value: UInt32 = 0
        try call("cannot read the entry identifier") { libfshfs_file_entry_get_identifier(handle, &value, $0) }
        return UInt64(value)
    }

    /// The name (UTF-8), nil for the root folder or an unreadable name.
    public var name: String? {
        readString(size: { libfshfs_file_entry_get_utf8_name_size(handle, $0, $1) },
                   value: { libfshfs_file_entry_get_utf8_name(handle, $0, $1, $2) })
    }

    /// The POSIX mode (type bits and permissions).
    public func mode() throws(FsHfsError) -> UInt16 {
        var value: UInt16 = 0
        try call("cannot read the file mode") { libfshfs_file_entry_get_file_mode(handle, &value, $0) }
        return value
    }

    /// The data fork size in bytes.
    public func size() throws(FsHfsError) -> UInt64 {
        var value: UInt64 = 0
        try call("cannot read the file size") { libfshfs_file_entry_get_size(handle, &value, $0) }
        return value
    }

    /// The symbolic link target, nil when the entry is not a link.
    public var symbolicLinkTarget: String? {
        readString(size: { libfshfs_file_entry_get_utf8_symbolic_link_target_size(handle, $0, $1) },
                   value: { libfshfs_file_entry_get_utf8_symbolic_link_target(handle, $0, $1, $2) })
    }

    /// The number of entries in this folder.
    public func subEntryCount() throws(FsHfsError) -> Int {
        var value: Int32 = 0
        try call("cannot count the folder entries") { libfshfs_file_entry_get_number_of_sub_file_entries(handle, &value, $0) }
        return Int(max(0, value))
    }

    /// The folder entry at `index` (0 ..< ``subEntryCount()``).
    public func subEntry(at index: Int) throws(FsHfsError) -> HFSFileEntry {
        guard index >= 0, index <= Int(Int32.max) else { throw FsHfsError(message: "folder entry index \(index) out of range") }
        var entry: UnsafeMutablePointer<libfshfs_file_entry_t>?
        try call("cannot read folder entry \(index)") { libfshfs_file_entry_get_sub_file_entry_by_index(handle, Int32(index), &entry, $0) }
        guard let entry else { throw FsHfsError(message: "libfshfs returned no folder entry \(index)") }
        return HFSFileEntry(handle: entry, volume: volume)
    }

    /// Reads data fork bytes at `offset` into `buffer`; returns the count read (0 at the end).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FsHfsError) -> Int {
        guard let base = buffer.baseAddress, offset <= UInt64(Int64.max) else { return 0 }
        var error: UnsafeMutablePointer<libfshfs_error_t>?
        let n = libfshfs_file_entry_read_buffer_at_offset(handle, base, buffer.count, off64_t(offset), &error)
        if n < 0 {
            var opaque = error.map(OpaquePointer.init)
            throw takeError(&opaque, "cannot read file data at offset \(offset)")
        }
        return n
    }
}
