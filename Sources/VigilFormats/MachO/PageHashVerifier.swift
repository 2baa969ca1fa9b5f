import VigilBinary

/// Re-hashes the signed range of a slice page by page and compares with the CodeDirectory's code
/// slots, and re-hashes the embedded Requirements / Entitlements blobs against their special slots.
///
/// The CMS signature covers only the CodeDirectory, so a byte changed in a signed page after signing
/// still passes `openssl cms -verify`; only this check shows it (docs/formats-macho.md).
enum PageHashVerifier {
    /// Special slots whose blob is embedded in the SuperBlob (1 Info.plist and 3 resources are external).
    static let embeddedSpecialSlots: [UInt32] = [2, 5, 7]

    static func verify(
        _ cd: CodeDirectory, reader: ByteReader, sliceBase: Int, sliceSize: Int, signature: CodeSignature,
        signatureRange: Range<Int>
    ) -> PageHashVerification {
        var result = PageHashVerification(
            pagesChecked: 0, badPages: [], badPageCount: 0, badSpecialSlots: [], goodSpecialSlots: [], incompleteReason: nil)
        let hashSize = Int(cd.hashSize)
        guard cd.hashType != .unknown else {
            result.incompleteReason = "unknown hash type \(cd.rawHashType)"
            return result
        }
        guard hashSize > 0, let digestSize = PageHasher.hash([], type: cd.hashType)?.count, hashSize <= digestSize else {
            result.incompleteReason = "hash size \(hashSize) does not fit hash type \(cd.hashType.rawValue)"
            return result
        }
        let blobStart = cd.offset
        let blobLength = Int(cd.length)
        let hashBase = Int(cd.hashOffset)
        guard let limit = Int(exactly: cd.codeLimit), limit <= sliceSize else {
            result.incompleteReason = "codeLimit \(cd.codeLimit) is beyond the slice (\(sliceSize) bytes)"
            return result
        }
        let pageSize = cd.pageSize == 0 ? max(limit, 1) : cd.pageSize
        let expectedPages = limit == 0 ? 0 : (limit + pageSize - 1) / pageSize
        let slots = Int(cd.codeSlotCount)
        guard let slotsEnd = slots.multiplying(hashSize).flatMap({ $0.adding(hashBase) }), slotsEnd <= blobLength else {
            result.incompleteReason = "\(slots) code slots of \(hashSize) bytes do not fit in the CodeDirectory"
            return result
        }
        if slots != expectedPages {
            result.incompleteReason = "nCodeSlots \(slots) but codeLimit \(limit) spans \(expectedPages) pages"
        }
        for page in 0..<min(slots, expectedPages) {
            let start = page * pageSize
            let length = min(pageSize, limit - start)
            guard let data = try? reader.slice(at: sliceBase + start, length: length),
                let stored = try? reader.slice(at: blobStart + hashBase + page * hashSize, length: hashSize),
                let computed = PageHasher.hash(data, type: cd.hashType)
            else {
                result.incompleteReason = "page \(page) could not be read"
                break
            }
            result.pagesChecked += 1
            if !computed.prefix(hashSize).elementsEqual(stored) {
                result.badPageCount += 1
                if result.badPages.count < PageHashVerification.maxListedPages { result.badPages.append(page) }
            }
        }
        for slot in embeddedSpecialSlots where slot <= cd.specialSlotCount {
            let storedAt = hashBase - Int(slot) * hashSize
            guard storedAt >= 0, let stored = try? reader.slice(at: blobStart + storedAt, length: hashSize) else { continue }
            let isZero = stored.allSatisfy { $0 == 0 }
            guard let blob = signature.blobs.first(where: { $0.slot == slot }), let length = blob.length,
                blob.offset >= signatureRange.lowerBound, Int(length) <= signatureRange.upperBound - blob.offset,
                let bytes = try? reader.slice(at: blob.offset, length: Int(length))
            else {
                // No embedded blob: the slot must be empty (all zero) for the signature to be consistent.
                if !isZero { result.badSpecialSlots.append(Int(slot)) }
                continue
            }
            if let computed = PageHasher.hash(bytes, type: cd.hashType), computed.prefix(hashSize).elementsEqual(stored) {
                result.goodSpecialSlots.append(Int(slot))
            } else {
                result.badSpecialSlots.append(Int(slot))
            }
        }
        return result
    }
}
