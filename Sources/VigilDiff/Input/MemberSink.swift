import Crypto
import Foundation

/// Collects one member's bytes as they are decompressed: keeps at most `keep` bytes for analysis,
/// hashes everything, and stops the decompression (by throwing) as soon as a cap is crossed, so a
/// bomb is stopped after at most one buffer beyond the cap.
final class MemberSink {
    private(set) var bytes: [UInt8] = []
    private(set) var size = 0
    private var hasher = SHA256()
    private let keep: Int
    private let budget: ExpansionBudget
    private let archive: String
    private let member: String
    private let compressedSize: Int?
    /// Whether the bytes count against the release's expansion budget (false for plain files of a
    /// folder, which expand nothing: a 10 GiB install is not a bomb).
    private let budgeted: Bool

    init(keep: Int, budget: ExpansionBudget, archive: String, member: String, compressedSize: Int?, budgeted: Bool = true) {
        self.keep = keep
        self.budget = budget
        self.archive = archive
        self.member = member
        self.compressedSize = compressedSize
        self.budgeted = budgeted
    }

    /// Adds a decompressed chunk.
    /// - Throws: ``ReleaseError/bomb(archive:member:reason:)`` when a cap is crossed.
    func append(_ chunk: some ContiguousBytes) throws(ReleaseError) {
        let count = chunk.withUnsafeBytes { $0.count }
        size += count
        if budgeted { try budget.consume(count, archive: archive, member: member) }
        if let compressedSize, size >= budget.limits.ratioFloorBytes {
            let ratio = size / max(compressedSize, 1)
            if ratio > budget.limits.maxCompressionRatio {
                throw .bomb(
                    archive: archive, member: member,
                    reason: "expands more than \(budget.limits.maxCompressionRatio) times (\(size) bytes from \(compressedSize) compressed)")
            }
        }
        chunk.withUnsafeBytes { raw in
            if bytes.count < keep {
                bytes.append(contentsOf: raw.prefix(keep - bytes.count))
            }
            hasher.update(bufferPointer: raw)
        }
    }

    /// Whether every byte was kept.
    var complete: Bool { bytes.count == size }

    /// The SHA-256 of everything appended, in lowercase hex.
    func finish() -> String { hasher.finalize().hexString }
}

/// The expansion budget shared by every archive of one release.
final class ExpansionBudget {
    let limits: ExpansionLimits
    private(set) var totalBytes = 0
    private(set) var entries = 0

    init(limits: ExpansionLimits) { self.limits = limits }

    /// Counts `count` more expanded bytes.
    func consume(_ count: Int, archive: String, member: String) throws(ReleaseError) {
        totalBytes += count
        if totalBytes > limits.maxTotalBytes {
            throw .bomb(archive: archive, member: member, reason: "takes the release past \(limits.maxTotalBytes) expanded bytes")
        }
    }

    /// Counts one more entry.
    func countEntry(archive: String, member: String) throws(ReleaseError) {
        entries += 1
        if entries > limits.maxEntries {
            throw .bomb(archive: archive, member: member, reason: "takes the release past \(limits.maxEntries) entries")
        }
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
