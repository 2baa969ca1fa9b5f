import VigilBinary

/// Reads the embedded code signature (SuperBlob, CodeDirectories, requirements, entitlements, CMS) of
/// a slice. Blob layouts follow apple-oss-distributions/xnu `osfmk/kern/cs_blobs.h`; all fields are
/// big-endian.
enum CodeSignatureParser {
    static let superBlobMagic: UInt32 = 0xFADE_0CC0
    static let codeDirectoryMagic: UInt32 = 0xFADE_0C02
    static let requirementsMagic: UInt32 = 0xFADE_0C01
    static let entitlementsMagic: UInt32 = 0xFADE_7171
    static let derEntitlementsMagic: UInt32 = 0xFADE_7172
    static let blobWrapperMagic: UInt32 = 0xFADE_0B01
    /// The most SuperBlob index entries read (real signatures have fewer than 16).
    static let maxBlobs = 128
    /// The most entitlement keys listed.
    static let maxEntitlementKeys = 512

    /// Parses the signature named by the slice's `LC_CODE_SIGNATURE`, if any, into `slice.codeSignature`.
    static func attach(to slice: inout MachOSlice, reader: ByteReader) {
        guard let range = slice.codeSignatureRange else { return }
        let start = slice.offset + Int(range.dataOffset)
        guard Int(range.dataOffset) <= slice.size, Int(range.dataSize) <= slice.size - Int(range.dataOffset),
            range.dataSize >= 12
        else {
            slice.problems.append(
                FormatIssue(area: "mach-o", offset: start,
                    message: "LC_CODE_SIGNATURE range \(range.dataOffset)+\(range.dataSize) lies outside the slice or is too small"))
            var sig = CodeSignature(offset: start, length: 0)
            sig.signatureClass = .malformed
            slice.codeSignature = sig
            return
        }
        slice.codeSignature = parse(
            reader, at: start, size: Int(range.dataSize), sliceBase: slice.offset, sliceSize: slice.size,
            problems: &slice.problems)
    }

    static func parse(
        _ reader: ByteReader, at start: Int, size: Int, sliceBase: Int, sliceSize: Int, problems: inout [FormatIssue]
    ) -> CodeSignature {
        var signature = CodeSignature(offset: start, length: 0)
        guard let magic = try? reader.u32be(at: start), let length = try? reader.u32be(at: start + 4),
            let count = try? reader.u32be(at: start + 8)
        else {
            problems.append(FormatIssue(area: "mach-o", offset: start, message: "SuperBlob header truncated"))
            return signature
        }
        signature.length = length
        guard magic == superBlobMagic else {
            problems.append(
                FormatIssue(area: "mach-o", offset: start, message: "expected SuperBlob magic 0xfade0cc0, found 0x\(String(magic, radix: 16))"))
            return signature
        }
        // Blobs must lie inside both the SuperBlob length and the LC_CODE_SIGNATURE range.
        let end = start + min(size, Int(length))
        if Int(length) > size {
            problems.append(
                FormatIssue(area: "mach-o", offset: start + 4, message: "SuperBlob length \(length) exceeds LC_CODE_SIGNATURE datasize \(size)"))
        }
        var entries = Int(count)
        if entries > maxBlobs {
            problems.append(FormatIssue(area: "mach-o", offset: start + 8, message: "SuperBlob count \(count) exceeds the cap of \(maxBlobs)"))
            entries = maxBlobs
        }
        for index in 0..<entries {
            let at = start + 12 + index * 8
            guard at + 8 <= end, let slot = try? reader.u32be(at: at), let blobOffset = try? reader.u32be(at: at + 4) else {
                problems.append(FormatIssue(area: "mach-o", offset: at, message: "SuperBlob index entry \(index) outside the signature"))
                break
            }
            let blobAt = start + Int(blobOffset)
            guard blobAt + 8 <= end, let blobMagic = try? reader.u32be(at: blobAt),
                let blobLength = try? reader.u32be(at: blobAt + 4)
            else {
                problems.append(
                    FormatIssue(area: "mach-o", offset: at, message: "blob for slot \(SignatureBlob.name(ofSlot: slot)) at \(blobAt) lies outside the signature"))
                signature.blobs.append(SignatureBlob(slot: slot, magic: nil, offset: blobAt, length: nil))
                continue
            }
            signature.blobs.append(SignatureBlob(slot: slot, magic: blobMagic, offset: blobAt, length: blobLength))
            guard blobLength >= 8, Int(blobLength) <= end - blobAt else {
                problems.append(
                    FormatIssue(area: "mach-o", offset: blobAt, message: "blob length \(blobLength) for slot \(SignatureBlob.name(ofSlot: slot)) runs past the signature"))
                continue
            }
            let blob = blobAt..<(blobAt + Int(blobLength))
            switch blobMagic {
            case codeDirectoryMagic where slot == 0 || (0x1000...0x1004).contains(slot):
                // Each CodeDirectory re-hashes the whole signed range: one per slot, at most six.
                guard !signature.codeDirectories.contains(where: { $0.slot == slot }) else {
                    problems.append(
                        FormatIssue(area: "mach-o", offset: blobAt, message: "second CodeDirectory for slot 0x\(String(slot, radix: 16)) ignored"))
                    continue
                }
                signature.codeDirectories.append(
                    CodeDirectoryParser.parse(reader, slot: slot, blob: blob, problems: &problems))
            case requirementsMagic:
                signature.hasRequirements = true
            case entitlementsMagic:
                signature.hasEntitlements = true
                if let body = try? reader.slice(at: blob.lowerBound + 8, length: blob.count - 8) {
                    signature.entitlementKeys = entitlementKeys(in: body)
                }
            case derEntitlementsMagic:
                signature.hasDEREntitlements = true
            case blobWrapperMagic where slot == 0x10000:
                signature.cmsSize = blob.count - 8
                if blob.count > 8 { signature.cmsOffset = blob.lowerBound + 8 }
            default:
                if slot == 0 || slot == 0x10000 {
                    problems.append(
                        FormatIssue(area: "mach-o", offset: blobAt,
                            message: "slot \(SignatureBlob.name(ofSlot: slot)) holds unexpected magic 0x\(String(blobMagic, radix: 16))"))
                }
            }
        }
        // Verify after the loop: special-slot hashes need every blob to be known.
        for i in signature.codeDirectories.indices {
            signature.codeDirectories[i].verification = PageHashVerifier.verify(
                signature.codeDirectories[i], reader: reader, sliceBase: sliceBase, sliceSize: sliceSize,
                signature: signature, signatureRange: start..<end)
        }
        signature.cmsSigner = CMSSigner.summarize(reader, signature: signature, problems: &problems)
        signature.signatureClass = classify(signature)
        return signature
    }

    /// Apple's code-signing flags (docs/formats-macho.md): certificate-signed needs a non-empty CMS blob; ad-hoc has `CS_ADHOC`.
    static func classify(_ signature: CodeSignature) -> SignatureClass {
        guard let cd = signature.primary else { return .malformed }
        if let cms = signature.cmsSize, cms > 0, !cd.isAdhoc { return .certificateSigned }
        if cd.isAdhoc { return cd.isLinkerSigned ? .linkerSigned : .adhoc }
        return (signature.cmsSize ?? 0) > 0 ? .certificateSigned : .adhoc
    }

    /// The `<key>` names of an XML plist, in order (a bounded scan, not a plist parser: the keys are
    /// what a release diff compares).
    static func entitlementKeys(in body: ArraySlice<UInt8>) -> [String] {
        let open = Array("<key>".utf8), close = Array("</key>".utf8)
        var keys: [String] = []
        var i = body.startIndex
        while i < body.endIndex, keys.count < maxEntitlementKeys {
            guard let s = find(open, in: body, from: i) else { break }
            let valueStart = s + open.count
            guard let e = find(close, in: body, from: valueStart) else { break }
            keys.append(String(decoding: body[valueStart..<e], as: UTF8.self))
            i = e + close.count
        }
        return keys
    }

    private static func find(_ needle: [UInt8], in hay: ArraySlice<UInt8>, from: Int) -> Int? {
        guard needle.count <= hay.endIndex - from else { return nil }
        var i = from
        while i <= hay.endIndex - needle.count {
            if hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
