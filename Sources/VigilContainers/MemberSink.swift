#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Byte counts shared by every container of one walk (a top-level file and all it nests).
final class WalkBudget {
    let limits: ContainerLimits
    var totalBytes: Int64 = 0
    var members = 0

    init(limits: ContainerLimits) { self.limits = limits }
}

/// Where a reader streams one member's bytes. It counts every byte as it arrives and throws a
/// ``ContainerError`` of kind ``ContainerError/Kind/limit`` the moment a cap would be passed: the
/// member's size, the walk's total, or the container's expansion ratio. Bytes go into one file in
/// the walker's private temporary directory, or into memory while the member is small (see
/// ``ContainerWalker/memberBytesInMemory``): the first byte past that size moves what was kept
/// into a new file of the private folder, which takes the rest.
public final class MemberSink {
    let budget: WalkBudget
    let container: ContainerTally
    let member: String
    /// The member's file once there is one (`-1` while the bytes are kept in memory).
    private(set) var fd: Int32
    /// Its path in the private folder (`nil` while in memory).
    private(set) var path: String?
    /// The bytes while the member is kept in memory; `nil` once they went to a file.
    private(set) var memory: [UInt8]?
    private let memoryLimit: Int
    private let createFile: () throws -> (fd: Int32, path: String)
    /// Bytes accepted for this member so far.
    public private(set) var bytesWritten: Int64 = 0

    /// A sink writing to the file `fd` at `path` (`-1` and `nil`: the bytes are only counted).
    init(fd: Int32, path: String?, member: String, budget: WalkBudget, container: ContainerTally) {
        self.fd = fd
        self.path = path
        self.member = member
        self.budget = budget
        self.container = container
        self.memoryLimit = 0
        self.createFile = { (-1, "") }
    }

    /// A sink keeping up to `memoryLimit` bytes in memory (room for `expected` reserved), then
    /// moving to a file made by `createFile`.
    init(memoryLimit: Int, expected: Int, member: String, budget: WalkBudget, container: ContainerTally, createFile: @escaping () throws -> (fd: Int32, path: String)) {
        self.fd = -1
        self.member = member
        self.budget = budget
        self.container = container
        self.memoryLimit = memoryLimit
        self.createFile = createFile
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(max(0, expected), memoryLimit))
        self.memory = bytes
    }

    /// Hands over the bytes kept in memory (`nil` when the member went to a file).
    func takeMemory() -> [UInt8]? {
        defer { memory = nil }
        return memory
    }

    /// Moves the bytes kept so far into a new file of the private folder.
    private func spill() throws {
        let created: (fd: Int32, path: String)
        do {
            created = try createFile()
        } catch let e as ContainerError {
            throw ContainerError(.memberUnreadable, e.message, member: member)
        }
        fd = created.fd
        path = created.path
        let kept = memory ?? []
        memory = nil
        try kept.withUnsafeBytes { try writeAll($0) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let w = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if w < 0 {
                if errno == EINTR { continue }
                throw ContainerError(.memberUnreadable, "cannot write the member to the temporary directory: \(String(cString: strerror(errno)))", member: member)
            }
            offset += w
        }
    }

    /// Accepts the next bytes of the member.
    /// - Throws: ``ContainerError`` (kind `.limit`) when a cap is hit, (kind `.memberUnreadable`)
    ///   when the temporary file cannot be written.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let n = Int64(bytes.count)
        guard n > 0 else { return }
        let limits = budget.limits
        if bytesWritten + n > limits.maxMemberBytes {
            throw ContainerError(
                .limit, "member is larger than the per-member cap of \(limits.maxMemberBytes) bytes; reading stopped at the cap",
                member: member, limit: "member-size")
        }
        if budget.totalBytes + n > limits.maxTotalBytes {
            throw ContainerError(
                .limit, "the container's members expand to more than the total cap of \(limits.maxTotalBytes) bytes; reading stopped",
                member: member, limit: "total-bytes")
        }
        let expanded = container.expandedBytes + n
        if expanded > limits.ratioFloorBytes, expanded > limits.maxExpansionRatio &* max(1, container.containerSize) {
            throw ContainerError(
                .limit,
                "members expand to more than \(limits.maxExpansionRatio) times the container's \(container.containerSize) bytes (\(expanded) bytes so far): a decompression bomb; reading stopped",
                member: member, limit: "expansion-ratio")
        }
        if memory != nil {
            if memory!.count + bytes.count <= memoryLimit {
                memory!.append(contentsOf: bytes)
            } else {
                try spill()
                try writeAll(bytes)
            }
        } else if fd >= 0 {
            try writeAll(bytes)
        }
        bytesWritten += n
        budget.totalBytes += n
        container.expandedBytes += n
    }

    /// Convenience for readers holding an array.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Per-container counts (for the expansion ratio).
final class ContainerTally {
    let containerSize: Int64
    var expandedBytes: Int64 = 0
    init(containerSize: Int64) { self.containerSize = containerSize }
}

#if canImport(Glibc)
    let systemWrite = Glibc.write
#else
    let systemWrite = Darwin.write
#endif
