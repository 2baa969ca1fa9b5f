internal import CFsApfs

/// An error reported by libfsapfs, with its message (the library's error backtrace, one line).
public struct FsApfsError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Turns a libfsapfs error into a Swift error and frees it.
func takeError(_ error: inout OpaquePointer?, _ what: String) -> FsApfsError {
    guard let e = error else { return FsApfsError(message: "\(what): libfsapfs gave no reason") }
    var buffer = [CChar](repeating: 0, count: 1024)
    _ = libfsapfs_error_sprint(UnsafeMutablePointer(e), &buffer, buffer.count)
    var p: UnsafeMutablePointer<libfsapfs_error_t>? = UnsafeMutablePointer(e)
    libfsapfs_error_free(&p)
    error = nil
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .split(whereSeparator: \.isNewline).joined(separator: "; ")
    return FsApfsError(message: "\(what): \(text)")
}

/// Calls a libfsapfs function that reports through `libfsapfs_error_t **`; throws unless it returns 1.
@inline(__always)
func call(_ what: @autoclosure () -> String, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<libfsapfs_error_t>?>) -> Int32) throws(FsApfsError) {
    var error: UnsafeMutablePointer<libfsapfs_error_t>?
    let rc = body(&error)
    if rc != 1 {
        var opaque = error.map(OpaquePointer.init)
        throw takeError(&opaque, what())
    }
}

/// Reads a UTF-8 string through a libfsapfs size/value function pair.
func readString(
    size: (UnsafeMutablePointer<Int>, UnsafeMutablePointer<UnsafeMutablePointer<libfsapfs_error_t>?>) -> Int32,
    value: (UnsafeMutablePointer<UInt8>, Int, UnsafeMutablePointer<UnsafeMutablePointer<libfsapfs_error_t>?>) -> Int32,
    limit: Int = 65_536
) -> String? {
    var length = 0
    var error: UnsafeMutablePointer<libfsapfs_error_t>?
    guard size(&length, &error) == 1, length > 0, length <= limit else {
        if error != nil { libfsapfs_error_free(&error) }
        return nil
    }
    var bytes = [UInt8](repeating: 0, count: length)
    guard value(&bytes, length, &error) == 1 else {
        if error != nil { libfsapfs_error_free(&error) }
        return nil
    }
    return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
}

/// A read-only APFS container (the whole APFS partition) opened with libfsapfs. No libfsapfs pointer
/// leaves this module. Not `Sendable`: one container belongs to one reader.
public final class APFSContainer {
    let handle: UnsafeMutablePointer<libfsapfs_container_t>

    /// Opens the container stored in the file at `path` (the container starts at byte 0).
    public init(path: String) throws(FsApfsError) {
        var container: UnsafeMutablePointer<libfsapfs_container_t>?
        try call("libfsapfs_container_initialize") { libfsapfs_container_initialize(&container, $0) }
        guard let container else { throw FsApfsError(message: "libfsapfs_container_initialize returned no container") }
        do {
            try call("cannot open APFS container") { libfsapfs_container_open(container, path, Int32(LIBFSAPFS_ACCESS_FLAG_READ.rawValue), $0) }
        } catch {
            var c: UnsafeMutablePointer<libfsapfs_container_t>? = container
            libfsapfs_container_free(&c, nil)
            throw error
        }
        handle = container
    }

    deinit {
        libfsapfs_container_close(handle, nil)
        var c: UnsafeMutablePointer<libfsapfs_container_t>? = handle
        libfsapfs_container_free(&c, nil)
    }

    /// Whether the file at `path` starts with an APFS container superblock, as libfsapfs checks it.
    public static func hasSignature(path: String) -> Bool {
        var error: UnsafeMutablePointer<libfsapfs_error_t>?
        let rc = libfsapfs_check_container_signature(path, &error)
        if error != nil { libfsapfs_error_free(&error) }
        return rc == 1
    }

    /// The number of volumes in the container.
    public func volumeCount() throws(FsApfsError) -> Int {
        var value: Int32 = 0
        try call("cannot count the APFS volumes") { libfsapfs_container_get_number_of_volumes(handle, &value, $0) }
        return Int(max(0, value))
    }

    /// The volume at `index` (0 ..< ``volumeCount()``).
    public func volume(at index: Int) throws(FsApfsError) -> APFSVolume {
        guard index >= 0, index <= Int(Int32.max) else { throw FsApfsError(message: "volume index \(index) out of range") }
        var volume: UnsafeMutablePointer<libfsapfs_volume_t>?
        try call("cannot open APFS volume \(index)") { libfsapfs_container_get_volume_by_index(handle, Int32(index), &volume, $0) }
        guard let volume else { throw FsApfsError(message: "libfsapfs returned no volume \(index)") }
        return APFSVolume(handle: volume, container: self)
    }
}

/// One APFS volume of an ``APFSContainer``. Keeps its container open.
public final class APFSVolume {
    let handle: UnsafeMutablePointer<libfsapfs_volume_t>
    let container: APFSContainer

    init(handle: UnsafeMutablePointer<libfsapfs_volume_t>, container: APFSContainer) {
        self.handle = handle
        self.container = container
    }

    deinit {
        var v: UnsafeMutablePointer<libfsapfs_volume_t>? = handle
        libfsapfs_volume_free(&v, nil)
    }

    /// Whether the volume is encrypted and locked (its files cannot be read without a password).
    public func isLocked() throws(FsApfsError) -> Bool {
        var error: UnsafeMutablePointer<libfsapfs_error_t>?
        let rc = libfsapfs_volume_is_locked(handle, &error)
        if rc < 0 {
            var opaque = error.map(OpaquePointer.init)
            throw takeError(&opaque, "cannot tell whether the volume is locked")
        }
        return rc == 1
    }

    /// The volume name, when it has one.
    public var name: String? {
        readString(size: { libfsapfs_volume_get_utf8_name_size(handle, $0, $1) },
                   value: { libfsapfs_volume_get_utf8_name(handle, $0, $1, $2) })
    }

    /// The root folder.
    public func rootDirectory() throws(FsApfsError) -> APFSFileEntry {
        var entry: UnsafeMutablePointer<libfsapfs_file_entry_t>?
        try call("cannot read the root folder") { libfsapfs_volume_get_root_directory(handle, &entry, $0) }
        guard let entry else { throw FsApfsError(message: "libfsapfs returned no root folder") }
        return APFSFileEntry(handle: entry, volume: self)
    }

    /// The entry with inode number `identifier`.
    public func entry(identifier: UInt64) throws(FsApfsError) -> APFSFileEntry {
        var entry: UnsafeMutablePointer<libfsapfs_file_entry_t>?
        try call("cannot read inode \(identifier)") { libfsapfs_volume_get_file_entry_by_identifier(handle, identifier, &entry, $0) }
        guard let entry else { throw FsApfsError(message: "libfsapfs returned no entry for \(identifier)") }
        return APFSFileEntry(handle: entry, volume: self)
    }
}

/// One file, folder or symbolic link of an ``APFSVolume``. Keeps its volume open.
public final class APFSFileEntry {
    let handle: UnsafeMutablePointer<libfsapfs_file_entry_t>
    let volume: APFSVolume

    init(handle: UnsafeMutablePointer<libfsapfs_file_entry_t>, volume: APFSVolume) {
        self.handle = handle
        self.volume = volume
    }

    deinit {
        var e: UnsafeMutablePointer<libfsapfs_file_entry_t>? = handle
        libfsapfs_file_entry_free(&e, nil)
    }

    /// The inode number.
    public func identifier() throws(FsApfsError) -> UInt64 {
        var value: UInt64 = 0
        try call("cannot read the entry identifier") { libfsapfs_file_entry_get_identifier(handle, &value, $0) }
        return value
    }

    /// The name (UTF-8), nil for the root folder or an unreadable name.
    public var name: String? {
        readString(size: { libfsapfs_file_entry_get_utf8_name_size(handle, $0, $1) },
                   value: { libfsapfs_file_entry_get_utf8_name(handle, $0, $1, $2) })
    }

    /// The POSIX mode (type bits and permissions).
    public func mode() throws(FsApfsError) -> UInt16 {
        var value: UInt16 = 0
        try call("cannot read the file mode") { libfsapfs_file_entry_get_file_mode(handle, &value, $0) }
        return value
    }

    /// The data fork size in bytes.
    public func size() throws(FsApfsError) -> UInt64 {
        var value: UInt64 = 0
        try call("cannot read the file size") { libfsapfs_file_entry_get_size(handle, &value, $0) }
        return value
    }

    /// The symbolic link target, nil when the entry is not a link.
    public var symbolicLinkTarget: String? {
        readString(size: { libfsapfs_file_entry_get_utf8_symbolic_link_target_size(handle, $0, $1) },
                   value: { libfsapfs_file_entry_get_utf8_symbolic_link_target(handle, $0, $1, $2) })
    }

    /// The number of entries in this folder.
    public func subEntryCount() throws(FsApfsError) -> Int {
        var value: Int32 = 0
        try call("cannot count the folder entries") { libfsapfs_file_entry_get_number_of_sub_file_entries(handle, &value, $0) }
        return Int(max(0, value))
    }

    /// The folder entry at `index` (0 ..< ``subEntryCount()``).
    public func subEntry(at index: Int) throws(FsApfsError) -> APFSFileEntry {
        guard index >= 0, index <= Int(Int32.max) else { throw FsApfsError(message: "folder entry index \(index) out of range") }
        var entry: UnsafeMutablePointer<libfsapfs_file_entry_t>?
        try call("cannot read folder entry \(index)") { libfsapfs_file_entry_get_sub_file_entry_by_index(handle, Int32(index), &entry, $0) }
        guard let entry else { throw FsApfsError(message: "libfsapfs returned no folder entry \(index)") }
        return APFSFileEntry(handle: entry, volume: volume)
    }

    /// Reads data fork bytes at `offset` into `buffer`; returns the count read (0 at the end).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FsApfsError) -> Int {
        guard let base = buffer.baseAddress, offset <= UInt64(Int64.max) else { return 0 }
        var error: UnsafeMutablePointer<libfsapfs_error_t>?
        let n = libfsapfs_file_entry_read_buffer_at_offset(handle, base, buffer.count, off64_t(offset), &error)
        if n < 0 {
            var opaque = error.map(OpaquePointer.init)
            throw takeError(&opaque, "cannot read file data at offset \(offset)")
        }
        return n
    }
}
