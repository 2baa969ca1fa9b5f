/// Reads Zeek JSON logs (`LogAscii::use_json`, and the json-streaming-logs package): one object per
/// line, dotted field names, unset fields absent, `ts` as epoch seconds, epoch milliseconds or ISO 8601;
/// records are routed by `_path` when present, else by the file name, else by the fields they have.
final class ZeekJSONReader {
    private let fileLog: ZeekLog?
    private let row = ZeekRow()

    init(fileLog: ZeekLog?) {
        self.fileLog = fileLog
        row.answersAreJSON = true
    }

    func read(_ line: UnsafeRawBufferPointer, at location: SourceLocation, filter: PassFilter, sink: any RecordSink) -> String? {
        if JSON.skipSpace(line, 0) == line.count { return nil }
        row.clear()
        var path: ZeekLog?
        var present = Set<ZeekSlot>()
        var badValue = false
        let ok = JSON.members(line) { key, value in
            if key.equals("_path") {
                path = value.string.map(ZeekLog.init(path:))
                return
            }
            guard let slot = ZeekSlot.named(key) else { return }
            switch value.kind {
            case .null: return
            case .string where value.escaped && slot != .answers:
                // Rare: escaped values are decoded into their own storage that lives for this line.
                guard let s = value.string else { badValue = true; return }
                row[slot] = keep(s)
            case .string, .number, .array, .bool:
                row[slot] = value.raw
            case .object:
                return
            }
            present.insert(slot)
        }
        defer { releaseKept() }
        guard ok else { return "not a well-formed JSON object" }
        if badValue { return "bad string escape" }
        let log = path ?? fileLog ?? ZeekSlot.guessLog(present)
        return row.emit(log, at: location, filter: filter, to: sink)
    }

    /// Decoded strings that must outlive the member scan (until the line is emitted).
    private var kept: [UnsafeMutableRawBufferPointer] = []

    private func releaseKept() {
        for b in kept { b.deallocate() }
        kept.removeAll(keepingCapacity: true)
    }

    private func keep(_ s: String) -> UnsafeRawBufferPointer {
        let bytes = Array(s.utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        kept.append(buffer)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count])
    }

    deinit { releaseKept() }
}
