import Foundation
import Testing
import _VigilTestSupport

/// Whether `python3` with the `jsonschema` package can be run.
enum PythonJSONSchema {
    static let available: Bool = {
        guard let r = try? TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import jsonschema"]) else { return false }
        return r.status == 0
    }()
}

/// `docs/schema/finding.schema.json` against what the built `vigil` really prints: the JSON
/// document and the JSON Lines of `scan`, `diff` and `hunt` on small generated inputs, each with
/// findings, validated by Python's `jsonschema` (Draft 2020-12).
@Suite(
    "finding schema (end to end)",
    .enabled(if: TestSupport.vigilExecutable != nil, "vigil executable not built"),
    .enabled(if: PythonJSONSchema.available, "python3 with the jsonschema package is missing (pip install jsonschema); schema not checked"))
struct FindingSchemaTests {
    static let schema = TestSupport.repositoryRoot.appendingPathComponent("docs/schema/finding.schema.json")

    /// Validates JSON documents (`json:<$defs name>:<file>`) and JSON Lines files (`jsonl:-:<file>`,
    /// every line a finding) against the schema; prints one line per problem.
    static let validator = """
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        problems = 0
        for arg in sys.argv[2:]:
            mode, name, path = arg.split(":", 2)
            if mode == "json":
                sub = dict(schema)
                sub["$ref"] = "#/$defs/" + name
                validator, docs = Draft202012Validator(sub), [json.load(open(path))]
            else:
                validator, docs = Draft202012Validator(schema), [json.loads(l) for l in open(path) if l.strip()]
            for i, doc in enumerate(docs):
                for e in validator.iter_errors(doc):
                    problems += 1
                    print(f"{path} #{i + 1}: {e.json_path}: {e.message}"[:400])
            print(f"{path}: {len(docs)} object(s) checked")
        sys.exit(1 if problems else 0)
        """

    private func validate(_ items: [(mode: String, name: String, file: URL)]) throws -> TestSupport.RunResult {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-schema-py")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = try TestSupport.write(Array(Self.validator.utf8), to: "validate.py", in: dir)
        return try TestSupport.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, Self.schema.path] + items.map { "\($0.mode):\($0.name):\($0.file.path)" })
    }

    /// Runs vigil with its output in a file; checks the exit status.
    private func run(_ arguments: [String], into file: URL, status: Int32, env: [String: String]) throws {
        let r = try TestSupport.runVigil(arguments, environment: env)
        #expect(r.status == status, "vigil \(arguments.joined(separator: " ")): \(r.stderr)")
        #expect(!r.stdout.isEmpty)
        try Data(r.stdout.utf8).write(to: file)
    }

    @Test func jsonAndJSONLinesOfScanDiffAndHuntMatchTheSchema() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-schema")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["VIGIL_STORE": dir.appendingPathComponent("store").path]
        let out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

        // scan: a hash hit and a YARA hit.
        try TestSupport.write(Array("abc".utf8), to: "tree/abc.bin", in: dir)
        try TestSupport.write(Array("....RULE-HIT....".utf8), to: "tree/rule.bin", in: dir)
        let iocs = try TestSupport.write(
            Array("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad;schema test hash\n".utf8), to: "hash-iocs.txt", in: dir)
        let rules = try TestSupport.write(Array(#"rule Schema_Hit { meta: score = 70 strings: $h = "RULE-HIT" condition: $h }"#.utf8), to: "r.yar", in: dir)
        // A container whose members hit the same rule, one under a hostile name: chain paths and
        // container findings in the same documents.
        let zipped = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], 'w') as z:
                z.writestr('inner/rule.bin', b'....RULE-HIT....')
                info = zipfile.ZipInfo('x'); info.filename = '../escape.bin'
                z.writestr(info, b'abc')
            """, dir.appendingPathComponent("tree/pack.zip").path])
        #expect(zipped.status == 0, "\(zipped.stderr)")
        let scanArgs = ["scan", "--no-default-indicators", "--iocs", iocs.path, "--rules", rules.path, dir.appendingPathComponent("tree").path]
        try run(scanArgs + ["--format", "json"], into: out.appendingPathComponent("scan.json"), status: 1, env: env)
        try run(scanArgs + ["--format", "jsonl"], into: out.appendingPathComponent("scan.jsonl"), status: 1, env: env)

        // diff: an icon whose PNG gained a '$' + base64 trailer (the 3CX carrier).
        let png = Self.png()
        try TestSupport.write(png, to: "old/app.png", in: dir)
        try TestSupport.write(png + Array("$".utf8) + Array(String(repeating: "QUJDREVGR0g=", count: 12).utf8), to: "new/app.png", in: dir)
        let diffArgs = ["diff", dir.appendingPathComponent("old").path, dir.appendingPathComponent("new").path]
        try run(diffArgs + ["--format", "json"], into: out.appendingPathComponent("diff.json"), status: 1, env: env)
        try run(diffArgs + ["--format", "jsonl"], into: out.appendingPathComponent("diff.jsonl"), status: 1, env: env)

        // hunt: a built-in indicator looked up, a beacon, a Suricata alert.
        var conn = Self.connHeader
        for i in 0..<150 {
            conn += "\(1_680_000_000 + i * 60).000000\tC\(i)\t10.0.0.7\t50000\t198.51.100.20\t443\ttcp\tssl\t1.0\t300\t4000\tSF\t340\n"
        }
        try TestSupport.write(Array(conn.utf8), to: "logs/conn.log", in: dir)
        try TestSupport.write(
            Array((Self.dnsHeader + "1680000000\tC1\t10.0.0.5\t1\t10.0.0.1\t53\tudp\tC2.MSSTORAGEBOXES.COM.\tA\tNOERROR\t-\t-\n").utf8),
            to: "logs/dns.log", in: dir)
        try TestSupport.write(
            Array((#"{"timestamp":"2023-03-29T10:00:06.000000+0000","flow_id":5,"event_type":"alert","src_ip":"10.0.0.9","src_port":4000,"dest_ip":"192.0.2.99","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2023033001,"rev":1,"signature":"3CX cookie","category":"Trojan","severity":1}}"# + "\n").utf8),
            to: "logs/eve.json", in: dir)
        let huntArgs = ["hunt", dir.appendingPathComponent("logs").path]
        try run(huntArgs + ["--format", "json"], into: out.appendingPathComponent("hunt.json"), status: 1, env: env)
        try run(huntArgs + ["--format", "jsonl"], into: out.appendingPathComponent("hunt.jsonl"), status: 1, env: env)

        // What was produced holds the findings the inputs were made for.
        let huntLines = try String(contentsOf: out.appendingPathComponent("hunt.jsonl"), encoding: .utf8)
        for check in ["net.ioc.domain", "net.beacon", "net.suricata-alert"] { #expect(huntLines.contains("\"check\":\"\(check)\""), "\(check)") }
        #expect(try String(contentsOf: out.appendingPathComponent("diff.jsonl"), encoding: .utf8).contains("diff.image-trailer-appeared"))
        #expect(try String(contentsOf: out.appendingPathComponent("scan.jsonl"), encoding: .utf8).contains("\"check\":\"yara\""))
        let scanLines = try String(contentsOf: out.appendingPathComponent("scan.jsonl"), encoding: .utf8)
        #expect(scanLines.contains("pack.zip!/inner/rule.bin"))
        #expect(scanLines.contains("\"check\":\"container.unsafe-path\""))

        let result = try validate([
            ("json", "scanDocument", out.appendingPathComponent("scan.json")),
            ("json", "diffDocument", out.appendingPathComponent("diff.json")),
            ("json", "huntDocument", out.appendingPathComponent("hunt.json")),
            ("json", "document", out.appendingPathComponent("hunt.json")),
            ("jsonl", "-", out.appendingPathComponent("scan.jsonl")),
            ("jsonl", "-", out.appendingPathComponent("diff.jsonl")),
            ("jsonl", "-", out.appendingPathComponent("hunt.jsonl")),
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "checked").count == 8)

        // hunt's SARIF against the OASIS schema (the script shared with diff's test; exit 77 = cannot check here).
        let sarif = out.appendingPathComponent("hunt.sarif")
        try run(huntArgs + ["--format", "sarif"], into: sarif, status: 1, env: env)
        #expect(try String(contentsOf: sarif, encoding: .utf8).contains("\"startLine\""))
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/validate-sarif.py")
        let checked = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "--fetch", sarif.path])
        if checked.status == 77 {
            print("skipped SARIF schema validation: \(checked.stderr)")
        } else {
            #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        }
    }

    /// The schema is not vacuous: records that break it are rejected.
    @Test func schemaRejectsMalformedRecords() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-schema-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = #"{"check":"net.beacon","title":"t","severity":"high","score":93,"path":"conn.log","line":9,"explanation":"e","attack":["T1071"],"indicator":"x","matches":[],"evidence":{"client":"10.0.0.7","connections":3,"score":0.93,"timestamp_score":1,"data_size_score":1,"histogram_score":1,"duration_score":0.7,"first_seen":"a","last_seen":"b"}}"#
        let goodFile = try TestSupport.write(Array((good + "\n").utf8), to: "good.jsonl", in: dir)
        #expect(try validate([("jsonl", "-", goodFile)]).status == 0)
        let broken = [
            good.replacingOccurrences(of: #""severity":"high""#, with: #""severity":"severe""#),
            good.replacingOccurrences(of: #""check":"net.beacon","#, with: ""),
            good.replacingOccurrences(of: #""attack":["T1071"]"#, with: #""attack":["C2"]"#),
            good.replacingOccurrences(of: #""client":"10.0.0.7","#, with: ""),
            good.replacingOccurrences(of: #""line":9"#, with: #""line":"9""#),
            good.replacingOccurrences(of: #""matches":[]"#, with: #""matches":[],"extra":1"#),
            good.replacingOccurrences(of: #""connections":3"#, with: #""connections":{"n":3}"#),
        ]
        var files: [(mode: String, name: String, file: URL)] = []
        for (i, record) in broken.enumerated() {
            #expect(record != good)
            files.append(("jsonl", "-", try TestSupport.write(Array((record + "\n").utf8), to: "bad\(i).jsonl", in: dir)))
        }
        let r = try validate(files)
        #expect(r.status == 1)
        for i in broken.indices { #expect(r.stdout.contains("bad\(i).jsonl #1:"), "broken record \(i) was accepted: \(r.stdout)") }
    }

    // MARK: inputs

    static let connHeader = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tconn
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_ip_bytes
        #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tcount

        """

    static let dnsHeader = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tdns
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\tTTLs
        #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tstring\tvector[string]\tvector[interval]

        """

    /// A valid 1×1 grey PNG (signature, IHDR, IDAT, IEND, with CRCs).
    static func png() -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(UInt32(data.count)) + body + be32(crc32(body))
        }
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        let ihdr = be32(1) + be32(1) + [8, 0, 0, 0, 0]  // 8-bit greyscale
        let idat: [UInt8] = [0x78, 0x01, 0x01, 0x02, 0x00, 0xfd, 0xff, 0x00, 0x80, 0x00, 0x82, 0x00, 0x81]  // zlib stored: filter 0, 0x80
        return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xffff_ffff
    }
}
