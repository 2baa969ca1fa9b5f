import VigilBinary

extension PEParseContext {
    /// The import directory (data directory 1): IMAGE_IMPORT_DESCRIPTORs up to the all-zero one.
    mutating func readImports() -> [PEImport] {
        guard let dir = optional?.directory(1), dir.virtualAddress != 0 else { return [] }
        guard let start = offset(forRVA: dir.virtualAddress) else {
            note("imports", nil, "import directory RVA 0x\(String(dir.virtualAddress, radix: 16)) is not in the file")
            return []
        }
        var result: [PEImport] = []
        var budget = PELimits.maxImportedFunctions
        var failures = 0
        for i in 0..<PELimits.maxImportedLibraries {
            guard failures < 5 else {
                note("imports", start + 20 * i, "too many malformed import descriptors; stopped")
                return result
            }
            let d = start + 20 * i
            guard let originalThunk = try? reader.u32le(at: d), let nameRVA = try? reader.u32le(at: d + 12),
                let firstThunk = try? reader.u32le(at: d + 16)
            else {
                note("imports", d, "import descriptor \(i) is truncated")
                return result
            }
            if originalThunk == 0 && nameRVA == 0 && firstThunk == 0 { return result }
            guard let dll = name(atRVA: nameRVA) else {
                note("imports", d, "import descriptor \(i): DLL name RVA 0x\(String(nameRVA, radix: 16)) is not in the file")
                failures += 1
                continue
            }
            failures = 0
            let thunks = originalThunk != 0 ? originalThunk : firstThunk
            let functions = readThunks(rva: thunks, dll: dll, budget: &budget, isVA: false)
            result.append(PEImport(dll: dll, delayLoad: false, functions: functions))
        }
        note("imports", start, "more than \(PELimits.maxImportedLibraries) import descriptors; the rest were not read")
        return result
    }

    /// The delay-load import directory (data directory 13): 32-byte IMAGE_DELAYLOAD_DESCRIPTORs.
    /// Old (VC6) descriptors, with bit 0 of Attributes clear, hold VAs instead of RVAs.
    mutating func readDelayImports() -> [PEImport] {
        guard let dir = optional?.directory(13), dir.virtualAddress != 0 else { return [] }
        guard let start = offset(forRVA: dir.virtualAddress) else {
            note("delay imports", nil, "delay-import directory RVA 0x\(String(dir.virtualAddress, radix: 16)) is not in the file")
            return []
        }
        var result: [PEImport] = []
        var budget = PELimits.maxImportedFunctions
        // Honour the directory size when it is set (GNU ld writes no terminator), and give up after
        // a few descriptors in a row that lead nowhere.
        let declared = dir.size >= 32 ? Int(dir.size / 32) : PELimits.maxImportedLibraries
        var failures = 0
        for i in 0..<min(declared, PELimits.maxImportedLibraries) {
            guard failures < 5 else {
                note("delay imports", start + 32 * i, "too many malformed delay-import descriptors; stopped")
                break
            }
            let d = start + 32 * i
            guard let attributes = try? reader.u32le(at: d), let nameField = try? reader.u32le(at: d + 4),
                let nameTable = try? reader.u32le(at: d + 16)
            else {
                note("delay imports", d, "delay-import descriptor \(i) is truncated")
                return result
            }
            if nameField == 0 && nameTable == 0 { return result }
            // Pre-VC7 descriptors (Attributes 0) hold VAs; they can only occur in i386 images.
            let usesVA = attributes & 1 == 0 && coffMachine == 0x14c
            guard let nameRVA = rva(fromField: nameField, isVA: usesVA), let dll = name(atRVA: nameRVA) else {
                note("delay imports", d, "delay-import descriptor \(i): DLL name is not in the file")
                failures += 1
                continue
            }
            failures = 0
            var functions: [PEImportedFunction] = []
            if let tableRVA = rva(fromField: nameTable, isVA: usesVA) {
                functions = readThunks(rva: tableRVA, dll: dll, budget: &budget, isVA: usesVA)
            }
            result.append(PEImport(dll: dll, delayLoad: true, functions: functions))
        }
        return result
    }

    /// Converts a descriptor field to an RVA (subtracting ImageBase for VA fields).
    func rva(fromField value: UInt32, isVA: Bool) -> UInt32? {
        guard isVA else { return value }
        let base = optional?.imageBase ?? 0
        guard UInt64(value) >= base, UInt64(value) - base <= UInt64(UInt32.max) else { return nil }
        return UInt32(UInt64(value) - base)
    }

    /// Reads an import lookup table (thunks) up to the zero thunk.
    mutating func readThunks(rva: UInt32, dll: String, budget: inout Int, isVA: Bool) -> [PEImportedFunction] {
        guard let start = offset(forRVA: rva) else {
            note("imports", nil, "\(dll): thunk table RVA 0x\(String(rva, radix: 16)) is not in the file")
            return []
        }
        let plus = optional?.isPE32Plus ?? false
        let width = plus ? 8 : 4
        var functions: [PEImportedFunction] = []
        var o = start
        while true {
            guard budget > 0 else {
                note("imports", o, "more than \(PELimits.maxImportedFunctions) imported functions; the rest were not read")
                return functions
            }
            let thunk: UInt64
            do {
                thunk = plus ? try reader.u64le(at: o) : UInt64(try reader.u32le(at: o))
            } catch {
                note("imports", o, "\(dll): thunk table runs past end of file")
                return functions
            }
            if thunk == 0 { return functions }
            budget -= 1
            let ordinalFlag: UInt64 = plus ? 1 << 63 : 1 << 31
            if thunk & ordinalFlag != 0 {
                functions.append(PEImportedFunction(ordinal: UInt16(truncatingIfNeeded: thunk)))
            } else {
                let hintField = UInt32(truncatingIfNeeded: thunk & 0x7FFF_FFFF)
                if let hintRVA = self.rva(fromField: hintField, isVA: isVA), let h = offset(forRVA: hintRVA),
                    let hint = try? reader.u16le(at: h), let name = try? reader.cString(at: h + 2, maxLength: PELimits.maxNameLength)
                {
                    functions.append(PEImportedFunction(name: name, hint: hint))
                } else {
                    note("imports", o, "\(dll): hint/name RVA 0x\(String(hintField, radix: 16)) is not in the file")
                }
            }
            o += width
        }
    }

    /// The export directory (data directory 0).
    mutating func readExports() -> PEExports? {
        guard let dir = optional?.directory(0), dir.virtualAddress != 0 else { return nil }
        guard let o = offset(forRVA: dir.virtualAddress) else {
            note("exports", nil, "export directory RVA 0x\(String(dir.virtualAddress, radix: 16)) is not in the file")
            return nil
        }
        guard let nameRVA = try? reader.u32le(at: o + 12), let base = try? reader.u32le(at: o + 16),
            let functionCount = try? reader.u32le(at: o + 20), let nameCount = try? reader.u32le(at: o + 24),
            let functionsRVA = try? reader.u32le(at: o + 28), let namesRVA = try? reader.u32le(at: o + 32),
            let ordinalsRVA = try? reader.u32le(at: o + 36)
        else {
            note("exports", o, "export directory is truncated")
            return nil
        }
        let dllName = nameRVA == 0 ? nil : name(atRVA: nameRVA)
        let functionLimit = min(Int(functionCount), PELimits.maxExports)
        let nameLimit = min(Int(nameCount), PELimits.maxExports)
        if Int(functionCount) > PELimits.maxExports || Int(nameCount) > PELimits.maxExports {
            note("exports", o, "\(functionCount) functions / \(nameCount) names declared; reading at most \(PELimits.maxExports)")
        }
        // Function addresses, read once (bounded by the cap and by the file).
        var addresses: [UInt32] = []
        if functionLimit > 0, let f = offset(forRVA: functionsRVA) {
            addresses.reserveCapacity(min(functionLimit, max(0, (reader.count - f) / 4)))
            for i in 0..<functionLimit {
                guard let a = try? reader.u32le(at: f + 4 * i) else {
                    note("exports", f + 4 * i, "export address table runs past end of file")
                    break
                }
                addresses.append(a)
            }
        } else if functionLimit > 0 {
            note("exports", o, "export address table RVA 0x\(String(functionsRVA, radix: 16)) is not in the file")
        }
        let exportStart = UInt64(dir.virtualAddress)
        let exportEnd = exportStart + UInt64(dir.size)
        func symbol(index: Int, name: String?) -> PEExport? {
            guard index < addresses.count else { return nil }
            let rva = addresses[index]
            var forwarder: String?
            if UInt64(rva) >= exportStart, UInt64(rva) < exportEnd { forwarder = self.name(atRVA: rva) }
            return PEExport(ordinal: base &+ UInt32(index), name: name, rva: rva, forwarder: forwarder)
        }
        var symbols: [PEExport] = []
        var named = Set<Int>()
        if nameLimit > 0, let n = offset(forRVA: namesRVA), let ords = offset(forRVA: ordinalsRVA) {
            for i in 0..<nameLimit {
                guard let nameRVA = try? reader.u32le(at: n + 4 * i), let index = try? reader.u16le(at: ords + 2 * i) else {
                    note("exports", n + 4 * i, "export name table runs past end of file")
                    break
                }
                let symbolName = name(atRVA: nameRVA)
                if symbolName == nil { note("exports", n + 4 * i, "export name RVA 0x\(String(nameRVA, radix: 16)) is not in the file") }
                guard let s = symbol(index: Int(index), name: symbolName) else {
                    note("exports", ords + 2 * i, "export name \(symbolName ?? "?") points at function index \(index) outside the address table")
                    continue
                }
                named.insert(Int(index))
                symbols.append(s)
            }
        } else if nameLimit > 0 {
            note("exports", o, "export name or ordinal table is not in the file")
        }
        for index in 0..<addresses.count where !named.contains(index) && addresses[index] != 0 {
            if let s = symbol(index: index, name: nil) { symbols.append(s) }
        }
        return PEExports(dllName: dllName, ordinalBase: base, symbols: symbols)
    }
}
