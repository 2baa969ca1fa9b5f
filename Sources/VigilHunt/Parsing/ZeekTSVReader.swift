#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads Zeek ASCII (TSV) logs: `#separator` (an escaped `\xNN`), `#set_separator`, `#empty_field`,
/// `#unset_field`, `#path` and `#fields` headers, re-read at every header block (concatenated logs);
/// values escaped as `\xNN`; unknown columns ignored; the stripped `tsv=T` variant whose only header
/// is one plain row of field names.
final class ZeekTSVReader {
    private let fileLog: ZeekLog?
    private var separator: UInt8 = 0x09
    private var setSeparator: UInt8 = UInt8(ascii: ",")
    private var unset: [UInt8] = Array("-".utf8)
    private var empty: [UInt8] = Array("(empty)".utf8)
    private var log: ZeekLog?
    /// Column index → slot (or nil), for the current header block.
    private var columns: [ZeekSlot?] = []
    private var maxColumn = -1
    private var haveFields = false
    private let row = ZeekRow()
    /// Start offset of each field (and one past the end of the last needed one), for the current line.
    private var bounds = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1)
    /// The columns the hunt reads, with their slots.
    private var needed: [(column: Int, slot: ZeekSlot)] = []
    /// Unescaped values of the current line (escapes only shrink, so one line length suffices).
    private var scratch: UnsafeMutableRawBufferPointer
    private var scratchUsed = 0
    /// The log types seen in `#path` headers (for pass planning).
    private(set) var logsSeen: [ZeekLog] = []

    init(fileLog: ZeekLog?, maxLineLength: Int) {
        self.fileLog = fileLog
        scratch = .allocate(byteCount: maxLineLength + 16, alignment: 8)
    }

    deinit {
        scratch.deallocate()
        bounds.deallocate()
    }

    /// Reads one line. Returns an error message for a data line that does not parse.
    func read(_ line: UnsafeRawBufferPointer, at location: SourceLocation, filter: PassFilter, sink: any RecordSink) -> String? {
        guard line.count > 0 else { return nil }
        if line[0] == UInt8(ascii: "#") { return header(line) }
        if !haveFields {
            // The stripped variant: a first plain row of names.
            if location.line == 1 || columns.isEmpty, adoptFields(line, from: 0) { return nil }
            return "data line before any #fields header"
        }
        let current = log ?? fileLog ?? .other
        if current == .other { return nil }
        if current == .conn ? !filter.connections : !filter.others { return nil }
        // Find the separators only as far as the last column the hunt needs, then look at the needed
        // columns only.
        let found = FieldSplitter.split(line, separator: separator, upTo: maxColumn, into: bounds)
        if found <= maxColumn {
            return "only \(found) fields, the #fields header has \(columns.count)"
        }
        row.clear()
        scratchUsed = 0
        for (column, slot) in needed {
            let field = line.slice(bounds[column], bounds[column + 1] - 1)
            if field.equals(unset) { continue }
            // Vectors are split before unescaping (an escaped separator stays inside its element).
            row[slot] = field.equals(empty) ? line.slice(bounds[column], bounds[column]) : slot == .answers ? field : unescape(field)
        }
        return row.emit(current, at: location, filter: filter, to: sink)
    }

    private func unescape(_ field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard memchr(field.baseAddress!, 0x5c, field.count) != nil else { return field }
        let out = scratch.baseAddress! + scratchUsed
        var o = 0
        var i = 0
        while i < field.count {
            let c = field[i]
            if c == 0x5c, i + 3 < field.count, field[i + 1] == UInt8(ascii: "x"), let hi = ZeekEscapes.hexValue(field[i + 2]), let lo = ZeekEscapes.hexValue(field[i + 3]) {
                out.storeBytes(of: hi << 4 | lo, toByteOffset: o, as: UInt8.self)
                i += 4
            } else if c == 0x5c, i + 1 < field.count, field[i + 1] == 0x5c {
                out.storeBytes(of: 0x5c, toByteOffset: o, as: UInt8.self)
                i += 2
            } else {
                out.storeBytes(of: c, toByteOffset: o, as: UInt8.self)
                i += 1
            }
            o += 1
        }
        scratchUsed += o
        return UnsafeRawBufferPointer(start: out, count: o)
    }

    /// Decodes a header value such as `\x09` to its bytes; C-style `\t` (written by some tools, e.g.
    /// RITA's dnscat2 test log) is accepted too.
    private func headerValue(_ b: UnsafeRawBufferPointer) -> [UInt8] {
        if b.equals("\\t") { return [0x09] }
        return Array(unescape(b))
    }

    private func header(_ line: UnsafeRawBufferPointer) -> String? {
        // `#separator` is always separated from its value by a space; the rest by the separator.
        if line.count > 11, line.slice(0, 11).equals("#separator ") {
            let v = headerValue(line.slice(11, line.count))
            guard v.count == 1 else { return "unsupported #separator (must be one byte)" }
            separator = v[0]
            haveFields = false
            log = nil
            return nil
        }
        let base = line.baseAddress!
        let keyEnd = memchr(base, Int32(separator), line.count).map { UnsafeRawPointer($0) - base } ?? line.count
        let key = line.slice(0, keyEnd)
        let value = keyEnd < line.count ? line.slice(keyEnd + 1, line.count) : line.slice(line.count, line.count)
        if key.equals("#fields") {
            if !adoptFields(value, from: 0) { return "#fields header names none of the fields the hunt reads" }
        } else if key.equals("#set_separator") {
            let v = headerValue(value)
            if v.count == 1 {
                setSeparator = v[0]
                row.setSeparator = v[0]
            }
        } else if key.equals("#unset_field") {
            unset = headerValue(value)
        } else if key.equals("#empty_field") {
            empty = headerValue(value)
        } else if key.equals("#path") {
            let l = ZeekLog(path: value.string)
            log = l
            logsSeen.append(l)
        }
        return nil
    }

    private func adoptFields(_ names: UnsafeRawBufferPointer, from: Int) -> Bool {
        columns.removeAll(keepingCapacity: true)
        var present = Set<ZeekSlot>()
        var start = 0
        for i in 0...names.count where i == names.count || names[i] == separator {
            let slot = ZeekSlot.named(names.slice(start, i))
            columns.append(slot)
            if let slot { present.insert(slot) }
            start = i + 1
        }
        guard present.contains(.ts) else {
            columns.removeAll()
            return false
        }
        maxColumn = columns.lastIndex { $0 != nil } ?? -1
        needed = columns.enumerated().compactMap { c, slot in slot.map { (c, $0) } }
        bounds.deallocate()
        bounds = .allocate(capacity: maxColumn + 2)
        haveFields = true
        if log == nil && fileLog == nil { log = ZeekSlot.guessLog(present) }
        return true
    }
}
