/// Human-readable rendering of a parsed Mach-O file for `vigil inspect`.
extension MachOFile {
    /// A multi-line report: fat header, then per slice the header, dylibs, rpaths, build version,
    /// segments with entropy, the code signature and page-hash verification, and (unless
    /// `includeProblems` is false, for callers that list issues themselves) every problem.
    public func textReport(includeProblems: Bool = true) -> String {
        textLines(includeProblems: includeProblems).joined(separator: "\n") + "\n"
    }

    /// The report's lines, unescaped: names come from the file (renderers escape each line).
    public func textLines(includeProblems: Bool = true) -> [String] {
        var out: [String] = []
        if let fat = fat {
            out.append(
                "Mach-O fat\(fat.is64Bit ? " (64-bit)" : ""): \(fat.declaredArchitectureCount) architecture(s), \(fileSize) bytes")
            for arch in fat.architectures {
                out.append("  \(arch.name): offset \(arch.offset) size \(arch.size) align 2^\(arch.align)")
            }
        } else {
            out.append("Mach-O thin, \(fileSize) bytes")
        }
        if let t = trailing { out.append("  after the last slice: \(t.textLine)") }
        if includeProblems { out.append(contentsOf: problems.map { "  problem \($0)" }) }
        for slice in slices { out.append(contentsOf: slice.textLines(includeProblems: includeProblems)) }
        return out
    }
}

extension MachOSlice {
    func textLines(includeProblems: Bool) -> [String] {
        var out: [String] = []
        guard let h = header else {
            out.append("Slice at \(offset): unreadable")
            if includeProblems { out.append(contentsOf: problems.map { "  problem \($0)" }) }
            return out
        }
        out.append(
            "Slice \(h.architecture) at offset \(offset) (\(size) bytes): \(h.fileTypeName), \(h.is64Bit ? 64 : 32)-bit\(h.isBigEndian ? " big-endian" : ""), \(h.numberOfCommands) load commands (\(h.sizeOfCommands) bytes), flags 0x\(String(h.flags, radix: 16))"
        )
        if let uuid = uuid { out.append("  uuid \(uuid)") }
        if let b = buildVersion { out.append("  \(b.command): \(b.platform) min \(b.minimumOS) sdk \(b.sdk)") }
        if let id = installName { out.append("  LC_ID_DYLIB \(id.name) (current \(id.currentVersion), compat \(id.compatibilityVersion))") }
        for d in dylibs { out.append("  \(d.kind.commandName) \(d.name) (current \(d.currentVersion), compat \(d.compatibilityVersion))") }
        for r in rpaths { out.append("  LC_RPATH \(r)") }
        for e in dyldEnvironment { out.append("  LC_DYLD_ENVIRONMENT \(e)") }
        for s in segments {
            out.append(
                "  segment \(s.name): fileoff \(s.fileOffset) filesize \(s.fileSize) vmaddr 0x\(String(s.vmAddress, radix: 16)) entropy \(Self.format(s.entropy))"
            )
            for sect in s.sections {
                out.append(
                    "    section \(sect.segmentName),\(sect.name): size \(sect.size) offset \(sect.fileOffset)\(sect.isZeroFill ? " zerofill" : " entropy \(Self.format(sect.entropy))")"
                )
            }
        }
        if let range = codeSignatureRange {
            out.append("  LC_CODE_SIGNATURE dataoff \(range.dataOffset) datasize \(range.dataSize)")
        }
        if let t = trailing { out.append("  after the last segment: \(t.textLine)") }
        out.append("  signature: \(signatureClass.rawValue)")
        if let sig = codeSignature {
            out.append(contentsOf: sig.textLines().map { "    " + $0 })
        }
        if includeProblems { out.append(contentsOf: problems.map { "  problem \($0)" }) }
        return out
    }

    static func format(_ value: Double?) -> String {
        guard let value = value else { return "n/a" }
        let scaled = (value * 1000).rounded() / 1000
        return "\(scaled)"
    }
}

extension CodeSignature {
    func textLines() -> [String] {
        var out: [String] = ["SuperBlob at \(offset), length \(length), \(blobs.count) blob(s)"]
        for b in blobs {
            out.append("  slot \(b.slotName) at \(b.offset) length \(b.length.map(String.init) ?? "?")")
        }
        for cd in codeDirectories {
            out.append(
                "CodeDirectory (\(SignatureBlob.name(ofSlot: cd.slot))) v0x\(String(cd.version, radix: 16)) identifier \(cd.identifier)"
            )
            out.append("  team \(cd.teamIdentifier ?? "none"), flags 0x\(String(cd.flags, radix: 16)) [\(cd.flagNames.joined(separator: ","))]")
            out.append(
                "  hash \(cd.hashType.rawValue) (\(cd.hashSize) bytes), page size \(cd.pageSize), code slots \(cd.codeSlotCount), special slots \(cd.specialSlotCount), codeLimit \(cd.codeLimit)"
            )
            if let cdhash = cd.cdhash { out.append("  cdhash \(cdhash)") }
            if let v = cd.verification {
                var line = "  page hashes: \(v.pagesChecked) checked, \(v.badPageCount) bad"
                if !v.badPages.isEmpty { line += " (pages \(v.badPages.map(String.init).joined(separator: ",")))" }
                if !v.goodSpecialSlots.isEmpty { line += "; special slots ok \(v.goodSpecialSlots)" }
                if !v.badSpecialSlots.isEmpty { line += "; special slots BAD \(v.badSpecialSlots)" }
                out.append(line)
                if let reason = v.incompleteReason { out.append("  verification incomplete: \(reason)") }
            }
        }
        if let cms = cmsSize { out.append("CMS signature: \(cms) bytes") }
        if let signer = cmsSigner {
            out.append("CMS signer: \(signer.subject)")
            out.append("  issuer \(signer.issuer ?? "?"), serial \(signer.serialNumber ?? "?"), signing time \(signer.signingTime ?? "none")")
            out.append(
                "  digest matches CodeDirectory: \(signer.digestMatchesCodeDirectory.map { $0 ? "yes" : "NO" } ?? "unknown"), signature valid: \(signer.signatureValid.map { $0 ? "yes" : "NO" } ?? "unknown"), \(signer.certificateCount) certificate(s)"
            )
        }
        if hasEntitlements { out.append("entitlements: \(entitlementKeys.joined(separator: ", "))") }
        if hasDEREntitlements { out.append("DER entitlements present") }
        return out
    }
}
