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
/// the walker's private temporary directory (or nowhere, when the walker only counts).
public final class MemberSink {
    let budget: WalkBudget
    let container: ContainerTally
    let member: String
    private let fd: Int32
    /// Bytes accepted for this member so far.
    public private(set) var bytesWritten: Int64 = 0

    init(fd: Int32, member: String, budget: WalkBudget, container: ContainerTally) {
        self.fd = fd
        self.member = member
        self.budget = budget
        self.container = container
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
        if fd >= 0 {
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
