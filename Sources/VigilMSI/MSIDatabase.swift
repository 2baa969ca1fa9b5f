/// Why an MSI database could not be read.
public enum MSIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The compound file under the database is broken.
    case compoundFile(CFBError)
    /// A stream the database needs (`!_StringPool`, `!_Columns`, …) is missing.
    case missingStream(String)
    /// The string pool, a table definition or a table stream is inconsistent.
    case malformed(String)
    /// A cap in ``MSILimits`` (or a caller's byte cap) was exceeded.
    case limit(String)
    /// Writing an extracted stream failed.
    case io(String)

    public var description: String {
        switch self {
        case .compoundFile(let e): e.description
        case .missingStream(let s): "not an MSI database: stream '\(s)' is missing"
        case .malformed(let m): "malformed MSI database: \(m)"
        case .limit(let m): "limit exceeded: \(m)"
        case .io(let m): "I/O error: \(m)"
        }
    }
}

/// Caps for the MSI database layer. Defaults hold large real installers (tens of thousands of
/// files) and stop hostile ones.
public struct MSILimits: Sendable, Hashable {
    /// Caps of the compound file underneath.
    public var compoundFile: CFBLimits = .default
    /// Bytes of `!_StringData` (and of `!_StringPool`). Default 64 MiB.
    public var maxStringPoolBytes: Int = 64 << 20
    /// Bytes of one table stream. Default 64 MiB.
    public var maxTableBytes: Int = 64 << 20
    /// Rows of one table. Default 1,000,000.
    public var maxTableRows: Int = 1_000_000
    /// Depth of the Directory table's parent chain. Default 64.
    public var maxDirectoryDepth: Int = 64

    public init() {}
    /// The default limits.
    public static let `default` = MSILimits()
}

/// A non-fatal inconsistency found while reading the database: the rest was read, this part was not
/// (or was read with the stated fallback). `location` names the table and row, or the stream.
public struct MSIProblem: Sendable, Hashable, CustomStringConvertible {
    public var location: String
    public var message: String
    public init(location: String, message: String) {
        self.location = location
        self.message = message
    }
    public var description: String { "\(location): \(message)" }
}

/// The database's string pool: `!_StringPool` holds (length, reference count) pairs, `!_StringData`
/// the concatenated bytes in the database code page. String id 0 is the null string.
public struct MSIStringPool: Sendable {
    /// The code page the strings are stored in (from the pool header).
    public let codepage: Int
    /// Whether table cells refer to strings with 3 bytes instead of 2 (bit 15 of the header's high
    /// word, set by Windows Installer when the pool has more than 65,535 strings).
    public let longReferences: Bool
    /// Strings by id; index 0 is the empty null string.
    public let strings: [String]

    /// Bytes per string reference in a table cell.
    public var referenceWidth: Int { longReferences ? 3 : 2 }

    /// The string with `id`, or `nil` when the id is past the pool.
    public func string(_ id: Int) -> String? { id >= 0 && id < strings.count ? strings[id] : nil }

    /// Parses the two streams. Throws when a length points past the string data.
    public init(pool: [UInt8], data: [UInt8]) throws(MSIError) {
        func u16(_ i: Int) -> Int { Int(pool[2 * i]) | Int(pool[2 * i + 1]) << 8 }
        let words = pool.count / 2
        guard pool.count % 4 == 0 else {
            throw .malformed("!_StringPool is \(pool.count) bytes, not a multiple of 4")
        }
        if words >= 2 {
            codepage = u16(0) | (u16(1) & 0x7FFF) << 16
            longReferences = u16(1) & 0x8000 != 0
        } else {
            codepage = 0
            longReferences = false
        }
        var strings = [""]
        strings.reserveCapacity(words / 2)
        var offset = 0
        var i = 1
        let entries = words / 2
        while i < entries {
            var length = u16(2 * i)
            let refs = u16(2 * i + 1)
            let id = strings.count
            if length == 0 && refs == 0 {
                strings.append("")
                i += 1
                continue
            }
            if length == 0 {
                // A string of 64 KiB or more: this entry keeps the reference count, the next one
                // holds the length's low word and, in its count field, the high word.
                guard i + 1 < entries else {
                    throw .malformed("!_StringPool entry \(i) starts a long string but is the last entry")
                }
                length = u16(2 * i + 2) | u16(2 * i + 3) << 16
                i += 2
            } else {
                i += 1
            }
            guard let end = offset.adding(length), end <= data.count else {
                throw .malformed("string \(id) declares \(length) bytes at offset \(offset) but !_StringData holds \(data.count)")
            }
            strings.append(Self.decode(data[offset..<end], codepage: codepage))
            offset = end
        }
        self.strings = strings
    }

    /// Decodes bytes in `codepage`: UTF-8 for 65001, Windows-1252 for 1252 and the neutral code
    /// page 0, ISO 8859-1 for 28591; any other code page is read as UTF-8 when valid and as
    /// Windows-1252 otherwise.
    static func decode(_ bytes: ArraySlice<UInt8>, codepage: Int) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        switch codepage {
        case 65001: return String(decoding: bytes, as: UTF8.self)
        case 28591: return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case 0, 1252: return windows1252(bytes)
        default:
            if let s = String(validating: bytes, as: UTF8.self) { return s }
            return windows1252(bytes)
        }
    }

    static let cp1252High: [UInt16] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    static func windows1252(_ bytes: ArraySlice<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes {
            if b >= 0x80 && b < 0xA0 {
                s.append(Unicode.Scalar(cp1252High[Int(b - 0x80)]) ?? "\u{FFFD}")
            } else {
                s.append(Unicode.Scalar(b))
            }
        }
        return String(s)
    }
}

/// A column of a table as `!_Columns` defines it.
public struct MSIColumn: Sendable, Hashable {
    /// Column type bits (Windows Installer's MSITYPE_* values).
    static let valid = 0x0100, localizable = 0x0200, stringBit = 0x0800, nullable = 0x1000, key = 0x2000

    public let name: String
    /// 1-based position.
    public let number: Int
    /// The raw type word: low byte is the width (integers) or maximum length (strings).
    public let type: Int

    public init(name: String, number: Int, type: Int) {
        self.name = name
        self.number = number
        self.type = type
    }

    /// A stream (binary) column: its cells only say whether `Table.Key` has a stream.
    public var isBinary: Bool { type & ~Self.nullable == Self.stringBit | Self.valid }
    /// A string column (cells are string ids).
    public var isString: Bool { type & Self.stringBit != 0 && !isBinary }
    public var isNullable: Bool { type & Self.nullable != 0 }
    public var isKey: Bool { type & Self.key != 0 }

    /// Bytes of one cell.
    public func width(referenceWidth: Int) -> Int {
        if isBinary { return 2 }
        if isString { return referenceWidth }
        return type & 0xFF <= 2 ? 2 : 4
    }
}

/// One cell of a table.
public enum MSIValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case int(Int)
    case string(String)
    /// A binary column's cell: the data is the stream named `Table.Key`.
    case stream

    /// The string, or `nil` for anything else.
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    /// The integer, or `nil` for anything else.
    public var int: Int? { if case .int(let i) = self { i } else { nil } }

    public var description: String {
        switch self {
        case .null: ""
        case .int(let i): String(i)
        case .string(let s): s
        case .stream: "[stream]"
        }
    }
}

/// A table read from its stream (tables are stored column by column).
public struct MSITable: Sendable {
    public let name: String
    public let columns: [MSIColumn]
    public let rows: [[MSIValue]]

    /// The index of column `name`, if present.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// The cell of `row` in column `name` (`.null` when the column does not exist).
    public func value(_ row: [MSIValue], _ name: String) -> MSIValue {
        guard let i = columnIndex(name), i < row.count else { return .null }
        return row[i]
    }
}

/// An MSI database: the compound file, its string pool and the table catalogue. Tables are read on
/// demand with ``table(_:)``; inconsistencies that do not stop the reading are collected in
/// ``problems``.
public struct MSIDatabase: Sendable {
    /// The compound file underneath.
    public let compoundFile: CompoundFile
    public let strings: MSIStringPool
    /// Table names from `!_Tables`.
    public let tableNames: [String]
    /// Column definitions from `!_Columns`, by table name, in column order.
    public let columns: [String: [MSIColumn]]
    /// The root's streams by decoded name (table streams as `!Name`).
    public let streams: [String: CFBEntry]
    public let limits: MSILimits
    /// Inconsistencies found while reading the catalogue.
    public private(set) var problems: [MSIProblem] = []

    /// Reads the database structure from a compound file.
    public init(compoundFile: CompoundFile, limits: MSILimits = .default) throws(MSIError) {
        self.compoundFile = compoundFile
        self.limits = limits
        var streams: [String: CFBEntry] = [:]
        for e in compoundFile.children(of: 0) where e.kind == .stream {
            streams[MSIStreamName.decode(e.nameUnits)] = e
        }
        self.streams = streams
        func load(_ name: String, _ cap: Int) throws(MSIError) -> [UInt8] {
            guard let e = streams[name] else { throw .missingStream(name) }
            do { return try compoundFile.read(e, maxBytes: cap) } catch { throw .compoundFile(error) }
        }
        strings = try MSIStringPool(pool: load("!_StringPool", limits.maxStringPoolBytes),
                                    data: load("!_StringData", limits.maxStringPoolBytes))
        var problems: [MSIProblem] = []

        // _Tables: one string column.
        let tablesBytes = try load("!_Tables", limits.maxTableBytes)
        let tablesRows = try Self.decodeRows(tablesBytes, name: "_Tables",
                                             columns: [MSIColumn(name: "Name", number: 1, type: 0x2940)],
                                             strings: strings, maxRows: limits.maxTableRows, problems: &problems)
        tableNames = tablesRows.compactMap { $0.first?.string }

        // _Columns: Table (string), Number (i2), Name (string), Type (i2).
        let columnsDef = [MSIColumn(name: "Table", number: 1, type: 0x2940), MSIColumn(name: "Number", number: 2, type: 0x2102),
                          MSIColumn(name: "Name", number: 3, type: 0x0940), MSIColumn(name: "Type", number: 4, type: 0x0102)]
        let columnRows = try Self.decodeRows(try load("!_Columns", limits.maxTableBytes), name: "_Columns",
                                             columns: columnsDef, strings: strings, maxRows: limits.maxTableRows,
                                             problems: &problems)
        var columns: [String: [MSIColumn]] = [:]
        for (i, row) in columnRows.enumerated() {
            guard let table = row[0].string, let number = row[1].int, let name = row[2].string, let type = row[3].int else {
                problems.append(MSIProblem(location: "_Columns row \(i + 1)", message: "incomplete column definition, skipped"))
                continue
            }
            columns[table, default: []].append(MSIColumn(name: name, number: number, type: type & 0xFFFF))
        }
        for (table, cols) in columns {
            let sorted = cols.sorted { $0.number < $1.number }
            if sorted.map(\.number) != Array(1...sorted.count) {
                problems.append(MSIProblem(location: "_Columns \(table)",
                                           message: "column numbers \(sorted.map(\.number)) are not 1...\(sorted.count)"))
            }
            columns[table] = sorted
        }
        self.columns = columns
        self.problems = problems
    }

    /// Opens the .msi at `path`.
    public init(path: String, limits: MSILimits = .default) throws(MSIError) {
        do {
            try self.init(compoundFile: CompoundFile(path: path, limits: limits.compoundFile), limits: limits)
        } catch let e as MSIError {
            throw e
        } catch let e as CFBError {
            throw .compoundFile(e)
        } catch {
            throw .io("\(error)")
        }
    }

    /// Reads the .msi held in `bytes` (tests, fuzzing).
    public init(bytes: [UInt8], limits: MSILimits = .default) throws(MSIError) {
        let cfb: CompoundFile
        do { cfb = try CompoundFile(bytes: bytes, limits: limits.compoundFile) } catch { throw .compoundFile(error) }
        try self.init(compoundFile: cfb, limits: limits)
    }

    /// Streams that are not tables (the `_Streams` table: cabinets, `Binary` and `Icon` data), by
    /// decoded name. Names starting with U+0005 (summary information, digital signature) are left out.
    public var embeddedStreams: [String: CFBEntry] {
        streams.filter { !$0.key.hasPrefix("!") && !$0.key.hasPrefix("\u{5}") }
    }

    /// Reads table `name`. Returns `nil` when the catalogue does not define it; a defined table
    /// without a stream has no rows. Inconsistent cells are added to `problems`.
    public func table(_ name: String, problems: inout [MSIProblem]) throws(MSIError) -> MSITable? {
        guard let cols = columns[name], !cols.isEmpty else { return nil }
        guard let entry = streams["!" + name] else { return MSITable(name: name, columns: cols, rows: []) }
        let bytes: [UInt8]
        do { bytes = try compoundFile.read(entry, maxBytes: limits.maxTableBytes) } catch { throw .compoundFile(error) }
        let rows = try Self.decodeRows(bytes, name: name, columns: cols, strings: strings, maxRows: limits.maxTableRows,
                                       problems: &problems)
        return MSITable(name: name, columns: cols, rows: rows)
    }

    /// Decodes a column-major table stream.
    static func decodeRows(_ bytes: [UInt8], name: String, columns: [MSIColumn], strings: MSIStringPool, maxRows: Int,
                           problems: inout [MSIProblem]) throws(MSIError) -> [[MSIValue]] {
        let ref = strings.referenceWidth
        let widths = columns.map { $0.width(referenceWidth: ref) }
        let rowSize = widths.reduce(0, +)
        guard rowSize > 0 else { return [] }
        let count = bytes.count / rowSize
        if bytes.count % rowSize != 0 {
            problems.append(MSIProblem(location: "table \(name)",
                                       message: "stream of \(bytes.count) bytes is not a whole number of \(rowSize)-byte rows; \(bytes.count % rowSize) trailing bytes ignored"))
        }
        guard count <= maxRows else { throw .limit("table \(name) has \(count) rows (cap \(maxRows))") }
        var rows = [[MSIValue]](repeating: [], count: count)
        for r in 0..<count { rows[r].reserveCapacity(columns.count) }
        var base = 0
        for (c, col) in columns.enumerated() {
            let w = widths[c]
            for r in 0..<count {
                let o = base + r * w
                var raw = 0
                for k in 0..<w { raw |= Int(bytes[o + k]) << (8 * k) }
                let value: MSIValue
                if raw == 0 {
                    value = .null
                } else if col.isBinary {
                    value = .stream
                } else if col.isString {
                    if let s = strings.string(raw) {
                        value = .string(s)
                    } else {
                        problems.append(MSIProblem(location: "table \(name) row \(r + 1) column \(col.name)",
                                                   message: "string id \(raw) is past the \(strings.strings.count) strings of the pool"))
                        value = .null
                    }
                } else if w == 2 {
                    value = .int(raw - 0x8000)
                } else {
                    value = .int(Int(Int32(bitPattern: UInt32(truncatingIfNeeded: raw) ^ 0x8000_0000)))
                }
                rows[r].append(value)
            }
            base += count * w
        }
        return rows
    }
}
