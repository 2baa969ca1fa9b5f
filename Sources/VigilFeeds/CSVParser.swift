/// A small RFC 4180 CSV tokenizer that keeps line numbers.
///
/// Written by hand rather than with a CSV package because feed rows must carry the 1-based line
/// they start on (for rejected-row diagnostics), and real feeds need a few tolerances: a UTF-8 BOM,
/// CRLF, LF and mixed line ends, spaces after a comma before a quoted field (abuse.ch exports), and a
/// quote inside an unquoted field (kept literally).
struct CSVParser {
    /// One record and the line it starts on.
    struct Record {
        var line: Int
        var fields: [String]

        /// The field at `index` trimmed of whitespace, or an empty string when the row is short.
        func field(_ index: Int?) -> String {
            guard let index, index >= 0, index < fields.count else { return "" }
            return fields[index].trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Whether every field is empty or whitespace.
        var isBlank: Bool { fields.allSatisfy { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } }
    }

    /// Upper bound on the number of fields in one record (hostile input).
    static let maxFields = 4096
    /// Upper bound on the size of one field in bytes (hostile input).
    static let maxFieldBytes = 1 << 20

    /// Splits `text` into records. A record whose field count or size exceeds the caps is cut at the
    /// cap (the caller sees the short record and reports it if the values are invalid).
    static func records(_ text: String) -> [Record] {
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var fieldStarted = false  // a quoted field may only open at the start of a field
        var i = 0
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        func endField() {
            if fields.count < maxFields { fields.append(String(decoding: field, as: UTF8.self)) }
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func endRecord() {
            endField()
            records.append(Record(line: recordLine, fields: fields))
            fields.removeAll(keepingCapacity: true)
        }

        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == quote {
                    if i + 1 < bytes.count, bytes[i + 1] == quote {
                        field.append(quote)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if b == lf { line += 1 }
                    if field.count < maxFieldBytes { field.append(b) }
                }
                i += 1
                continue
            }
            switch b {
            case quote where !fieldStarted || field.allSatisfy({ $0 == UInt8(ascii: " ") }):
                field.removeAll(keepingCapacity: true)  // spaces before an opening quote
                inQuotes = true
                fieldStarted = true
            case comma:
                endField()
            case cr where i + 1 < bytes.count && bytes[i + 1] == lf:
                break  // the LF ends the record
            case lf, cr:
                endRecord()
                line += 1
                recordLine = line
            default:
                fieldStarted = true
                if field.count < maxFieldBytes { field.append(b) }
            }
            i += 1
        }
        if !field.isEmpty || !fields.isEmpty || inQuotes { endRecord() }
        return records
    }
}
