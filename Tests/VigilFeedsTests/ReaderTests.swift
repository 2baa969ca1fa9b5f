import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilFeeds

/// Each reader on small inline samples written for these tests (no shared data needed).
@Suite struct TypedCSVReaderTests {
    @Test func sophosStyleTableWithBOMCRLFAndDefanging() throws {
        let text = "\u{FEFF}Indicator_Type,Data,Notes,,\r\n"
            + "Description,https://example.test/report \u{200E},Report title\r\n"
            + "SHA256,AA124A4B4DF12B34E74EE7F6C683B2EBEC4CE9A8EDCF9BE345823B4FDCF5D868,\"MSI, backdoored\"\r\n"
            + "sha1,\u{FEFF}369acb06aac9492df4d174dbd31ebfb1e6e0c5f,39 characters\r\n"
            + "Url,hxxps[://]ledabel[.]be/en/,\"C2, see hxxp://x[.]y\"\r\n"
            + "IP,78.46.67[.]201,half defanged\r\n"
            + "ip_port,175[.]118[.]126[.]65:8002,with port\r\n"
            + "domain,evil(.)example[dot]com,\r\n"
            + ",,\r\n"
            + "file_path_name,c:\\users\\[username]\\appdata\\x.exe,path\r\n"
            + "domain,evil .com,not repaired\n"
        let r = try FeedReader.parse(text: text, path: "t.csv", feed: "t", format: .csv, options: FeedReadOptions())
        #expect(r.indicators.contains(.sha256, "aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868"))
        #expect(r.indicators.lookup(.sha256, "aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868")?.summary == "MSI, backdoored")
        #expect(r.indicators.contains(.url, "https://ledabel.be/en/"))
        #expect(r.indicators.contains(.ipv4, "78.46.67.201"))
        #expect(r.indicators.contains(.ipv4, "175.118.126.65"))
        #expect(r.indicators.contains(.domain, "evil.example.com"))
        #expect(r.summary.accepted == [.sha256: 1, .url: 1, .ipv4: 2, .domain: 1])
        // The 39-character SHA-1 (with a BOM inside the cell) and "evil .com" are rejected with their lines.
        let rejected = r.diagnostics.filter { $0.kind == "rejected-row" }
        #expect(rejected.map(\.line) == [4, 11])
        #expect(rejected[0].message.contains("39 characters"))
        #expect(r.summary.rejected == ["sha1": 1, "domain": 1])
        #expect(r.summary.skipped == ["description row": 1, "type file_path_name": 1])
    }

    @Test func volexityFileCellPacksThreeHashes() throws {
        let text = "value,entity_type,description\n"
            + "\"59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983,bfecb8ce89a312d2ef4afc64a63847ae11c6f69e,0eeb1c0133eb4d571178b2d9d14ce3e9\",file,MSI installer\n"
            + "www.journalide.org,hostname,3CX\n"
            + "philip.je@proton.me,emailwhois,3CX\n"
        let r = try FeedReader.parse(text: text, path: "v.csv", feed: "v", format: .csv, options: FeedReadOptions())
        #expect(r.summary.accepted == [.sha256: 1, .sha1: 1, .md5: 1, .domain: 1, .email: 1])
        #expect(r.indicators.lookup(.md5, "0eeb1c0133eb4d571178b2d9d14ce3e9")?.provenance.first?.line == 2)
        // The three digests of the cell are one file: MD5 and SHA-1 are linked to its SHA-256.
        let sha256 = "59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983"
        #expect(r.indicators.lookup(.md5, "0eeb1c0133eb4d571178b2d9d14ce3e9")?.sameFileSHA256 == sha256)
        #expect(r.indicators.lookup(.sha1, "bfecb8ce89a312d2ef4afc64a63847ae11c6f69e")?.sameFileSHA256 == sha256)
        #expect(r.indicators.lookup(.sha256, sha256)?.sameFileSHA256 == nil)
    }

    @Test func hashesInSeparateRowsAreNotLinked() throws {
        let text = "Indicator,Data,Note\nSHA256,59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983,MSI\n"
            + "MD5,0eeb1c0133eb4d571178b2d9d14ce3e9,MSI\n"
        let r = try FeedReader.parse(text: text, path: "s.csv", feed: "s", format: .csv, options: FeedReadOptions())
        #expect(r.summary.accepted == [.sha256: 1, .md5: 1])
        #expect(r.indicators.lookup(.md5, "0eeb1c0133eb4d571178b2d9d14ce3e9")?.sameFileSHA256 == nil)
    }

    @Test func tableWithoutTypeAndValueColumnsIsRejected() {
        let text = "Process filename checks (137):,,,\n2597124982561782591uL,  // apimonitor-x64,,\n"
        #expect(throws: FeedError.self) { try FeedReader.parse(text: text, path: "s.csv", feed: "s", format: .csv, options: FeedReadOptions()) }
        #expect(FeedReader.read(text: text, path: "s.csv", feed: "s", format: .csv).diagnostics.first?.kind == "malformed")
    }

    @Test func csvParserHandlesQuotesNewlinesAndSpacesBeforeQuotes() {
        let records = CSVParser.records("a,\"b,\"\"c\"\"\nd\",e\r\n\"x\", \"y\" ,z\n")
        #expect(records.count == 2)
        #expect(records[0].fields == ["a", "b,\"c\"\nd", "e"])
        #expect(records[1].line == 3)
        #expect(records[1].fields == ["x", "y ", "z"])
    }
}

@Suite struct PlainAndLokiReaderTests {
    @Test func plainListDetectsEachTypeAndSplitsFreetext() {
        let text = "# comment\n8.8.8.8 8.8.4.4\n0.0.0.0 ads.example.com\nhxxp://evil[.]test/a\nnot_a_value!\n2001:db8::/32\n"
        let r = FeedReader.read(text: text, path: "p.txt", feed: "p", format: .plain)
        #expect(r.summary.accepted == [.ipv4: 2, .domain: 1, .url: 1, .cidr: 1])
        #expect(r.diagnostics.map(\.line) == [5])
    }

    @Test func lokiFilenameFileKeepsTheFalsePositiveColumn() {
        let text = """
            # WhatsApp look-alikes
            \\\\whatsapp\\.exe;55;(\\\\WhatsApp|\\\\Prefetch\\\\)
            \\\\3CXDesktopApp-18\\.12\\.416\\.msi;80
            \\\\tmp\\.exe;60;([unclosed
            \\\\empty\\.exe;40;
            """
        let r = FeedReader.read(text: text, path: "filename-iocs.txt", feed: "l", format: .lokiFilename)
        #expect(r.summary.accepted == [.filename: 4])
        let byValue = Dictionary(uniqueKeysWithValues: r.indicators.indicators.map { ($0.value, $0) })
        #expect(byValue[#"\\whatsapp\.exe"#]?.falsePositivePattern == #"(\\WhatsApp|\\Prefetch\\)"#)
        #expect(byValue[#"\\3CXDesktopApp-18\.12\.416\.msi"#]?.falsePositivePattern == nil)
        #expect(byValue[#"\\empty\.exe"#]?.falsePositivePattern == nil)
        // A broken false-positive regex keeps the indicator (unfiltered) and says so with its line.
        #expect(byValue[#"\\tmp\.exe"#]?.falsePositivePattern == nil)
        let warning = r.diagnostics.first { $0.message.contains("false-positive regex does not compile") }
        #expect(warning?.line == 4)
    }

    @Test func lokiHashFileWithScores() {
        let text = "# 3CX\nc485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02;80;3CX ffmpeg\nbfecb8ce89a312d2ef4afc64a63847ae11c6f69e;3CX MSI\nzz;bad\n"
        let r = FeedReader.read(text: text, path: "hash-iocs.txt", feed: "l", format: .lokiHash)
        #expect(r.summary.accepted == [.sha256: 1, .sha1: 1])
        #expect(r.indicators.lookup(.sha256, "c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02")?.score == 80)
        #expect(r.summary.totalRejected == 1)
    }
}

@Suite struct STIXReaderTests {
    static let now = ISO8601DateFormatter().date(from: "2024-01-01T00:00:00Z")!

    func indicator(_ pattern: String, validUntil: String? = nil, type: String = "stix") -> String {
        var o: [String: Any] = ["type": "indicator", "spec_version": "2.1", "id": "indicator--\(UUID().uuidString.lowercased())",
                                "created": "2023-03-29T00:00:00Z", "modified": "2023-03-29T00:00:00Z",
                                "pattern": pattern, "pattern_type": type, "valid_from": "2023-03-29T00:00:00Z"]
        if let validUntil { o["valid_until"] = validUntil }
        return String(decoding: try! JSONSerialization.data(withJSONObject: o), as: UTF8.self)
    }

    @Test func bundleWithORAcrossTypesHashesAndCIDR() throws {
        let objects = [
            indicator("[file:hashes.'SHA-256' = 'c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02']"),
            indicator("[file:hashes.sha256='7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896']"),
            indicator("[domain-name:value = 'akamaicontainer.com' OR ipv4-addr:value = '1.2.3.4'] OR [url:value = 'https://journalide.org/djour.php']"),
            indicator("[ipv4-addr:value = '223.166.0.0/15']"),
            indicator("[file:hashes.MD5 = '0eeb1c0133eb4d571178b2d9d14ce3e9' AND file:name = 'x.msi']"),
            indicator("[x509-certificate:issuer = 'a' AND x509-certificate:serial_number = '1']"),
            indicator("[domain-name:value = 'a.example' AND ipv4-addr:value = '5.6.7.8']"),
            indicator("[domain-name:value = 'old.example']", validUntil: "2023-06-01T00:00:00Z"),
            indicator("rule x { condition: true }", type: "yara"),
            indicator("[file:hashes.MD5 = 'aa']"),
            indicator("[domain-name:value = 'unterminated]"),
        ]
        let bundle = "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[\(objects.joined(separator: ","))]}"
        let r = try FeedReader.parse(text: bundle, path: "b.json", feed: "s", format: .stix, options: FeedReadOptions(now: Self.now))
        #expect(r.summary.accepted == [.sha256: 2, .domain: 1, .ipv4: 1, .url: 1, .cidr: 1, .md5: 1])
        #expect(r.indicators.matchIP("223.167.1.1")?.value == "223.166.0.0/15")
        #expect(r.summary.skipped["unsupported pattern"] == 2)  // x509 AND, AND across types
        #expect(r.summary.skipped["expired"] == 1)
        #expect(r.summary.skipped["pattern_type yara"] == 1)
        #expect(r.summary.rejected["pattern"] == 2)  // 'aa' is not an MD5; unterminated string
        #expect(r.diagnostics.contains { $0.kind == "warning" && $0.message.contains("can never match") })
        let withExpired = try FeedReader.parse(text: bundle, path: "b.json", feed: "s", format: .stix,
                                               options: FeedReadOptions(now: Self.now, includeExpired: true))
        #expect(withExpired.indicators.contains(.domain, "old.example"))
    }

    @Test func jsonLinesWithABadLine() throws {
        let text = indicator("[domain-name:value = 'api.ontracting.com']") + "\n{not json\n" + indicator("[ipv4-addr:value = '81.236.182.199']") + "\n"
        #expect(FeedReader.detect(text: text, fileName: "x.jsonl") == .stix)
        let r = try FeedReader.parse(text: text, path: "x.jsonl", feed: "s", format: .stix, options: FeedReadOptions(now: Self.now))
        #expect(r.summary.accepted == [.domain: 1, .ipv4: 1])
        #expect(r.indicators.lookup(.ipv4, "81.236.182.199")?.provenance.first?.line == 3)
        #expect(r.diagnostics.first { $0.kind == "rejected-row" }?.line == 2)
    }
}

@Suite struct STIXPatternTests {
    @Test func parsesTheWholeGrammar() throws {
        let p = try STIXPattern.parse("([file:hashes.'SHA-256' = 'a\\'b' AND file:size > 10] FOLLOWEDBY [url:value MATCHES '^x']) WITHIN 60 SECONDS OR [network-traffic:dst_ref.value IN ('1.2.3.4', '5.6.7.8')] REPEATS 2 TIMES")
        guard case .combined(let op, let parts) = p else { Issue.record("expected OR"); return }
        #expect(op == .or)
        #expect(parts.count == 2)
        guard case .qualified(.combined(.followedBy, let inner), let q) = parts[0] else { Issue.record("expected FOLLOWEDBY"); return }
        #expect(q == "WITHIN 60 SECONDS")
        guard case .observation(.and(let tests)) = inner[0], case .test(let path, "=", false, .string(let s)) = tests[0] else {
            Issue.record("expected AND"); return
        }
        #expect(path.steps == ["hashes", "SHA-256"])
        #expect(s == "a'b")
    }

    @Test(arguments: ["[domain-name:value = 'a''b']", "[domain-name:value = 'a]", "[domain-name:value 'a']", "domain-name:value = 'a'",
                      "[file:hashes.'SHA-256' = 'a'] AND", "[a:b = 'c'] x", String(repeating: "(", count: 200) + "[a:b = 'c']"])
    func rejectsBadSyntax(_ text: String) {
        #expect(throws: STIXPatternError.self) { try STIXPattern.parse(text) }
    }

    @Test func listIndicesNotAndExists() throws {
        let p = try STIXPattern.parse("[email-message:to_refs[*].value NOT = 'a@b.c' AND EXISTS file:name]")
        guard case .observation(.and(let t)) = p, case .test(let path, "=", true, _) = t[0], case .test(_, "EXISTS", _, _) = t[1] else {
            Issue.record("unexpected tree \(p)"); return
        }
        #expect(path.steps == ["to_refs", "[*]", "value"])
    }
}

@Suite struct MISPReaderTests {
    static let attributes = """
        [{"type":"sha256","value":"C485674EE63EC8D4E8FDE9800788175A8B02D3F9416D0E763360FFF7F8EB4E02","to_ids":true,"uuid":"a1"},
         {"type":"domain","value":"journalide.org","to_ids":false,"uuid":"a2"},
         {"type":"filename|md5","value":"x.dll|0eeb1c0133eb4d571178b2d9d14ce3e9","to_ids":true,"uuid":"a3"},
         {"type":"ip-dst|port","value":"23.254.211.230|443","to_ids":true,"uuid":"a4"},
         {"type":"url","value":"hxxps://evil[.]test/x","to_ids":true,"uuid":"a5","Tag":[{"name":"false-positive:risk=\\"high\\""}]},
         {"type":"text","value":"hello","to_ids":true,"uuid":"a6"},
         {"type":"md5","value":"xyz","to_ids":true,"uuid":"a7"},
         {"type":"sha1","value":"bfecb8ce89a312d2ef4afc64a63847ae11c6f69e","to_ids":true,"deleted":true,"uuid":"a8"}]
        """

    @Test(arguments: ["{\"Event\":{\"uuid\":\"e\",\"info\":\"t\",\"Tag\":[{\"name\":\"tlp:white\"}],\"Attribute\":\(attributes)}}",
                      "{\"response\":[{\"Event\":{\"uuid\":\"e\",\"info\":\"t\",\"Tag\":[{\"name\":\"tlp:white\"}],\"Object\":[{\"name\":\"file\",\"Attribute\":\(attributes)}]}}]}"])
    func bothWrappingsHonourToIDSAndTags(_ text: String) throws {
        #expect(FeedReader.detect(text: text, fileName: "e.json") == .misp)
        let r = try FeedReader.parse(text: text, path: "e.json", feed: "m", format: .misp, options: FeedReadOptions())
        #expect(r.summary.accepted == [.sha256: 1, .md5: 1, .ipv4: 1])
        #expect(r.summary.skipped["to_ids=false"] == 1)
        #expect(r.summary.skipped["type text"] == 1)
        #expect(r.summary.skipped["deleted"] == 1)
        #expect(r.summary.skipped.keys.contains { $0.hasPrefix("tagged false-positive") })
        #expect(r.summary.rejected == ["md5": 1])
        #expect(r.indicators.lookup(.sha256, "c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02")?.provenance.first?.tags == ["tlp:white"])
        let all = try FeedReader.parse(text: text, path: "e.json", feed: "m", format: .misp, options: FeedReadOptions(includeNonIDS: true))
        #expect(all.indicators.contains(.domain, "journalide.org"))
    }

    @Test func hashesOfOneFileObjectAreLinkedOthersAreNot() throws {
        let sha256 = "c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02"
        let text = """
            {"Event":{"uuid":"e","info":"t","Attribute":[
              {"type":"md5","value":"11bc82a9bd8297bd0823bce5d6202082","to_ids":true}],
             "Object":[
              {"name":"file","Attribute":[
                {"type":"sha256","value":"\(sha256)","to_ids":true},
                {"type":"sha1","value":"bf939c9c261d27ee7bb92325cc588624fca75429","to_ids":true},
                {"type":"md5","value":"74bc2d0b6680faa1a5a76b27e5479cbc","to_ids":true}]},
              {"name":"file","Attribute":[
                {"type":"sha256","value":"7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896","to_ids":true},
                {"type":"sha256","value":"a64fa9f1c76457ecc58402142a8728ce34ccba378c17318b3340083eeb7acc67","to_ids":true},
                {"type":"md5","value":"660ea9b8205fbd2da59fefd26ae5115c","to_ids":true}]},
              {"name":"pe","Attribute":[
                {"type":"sha256","value":"e6bbc33815b9f20b0cf832d7401dd893fbc467c800728b5891336706da0dbcec","to_ids":true},
                {"type":"md5","value":"d5101c3b86d973a848ab7ed79cd11e5a","to_ids":true}]}]}}
            """
        let r = try FeedReader.parse(text: text, path: "e.json", feed: "m", format: .misp, options: FeedReadOptions())
        #expect(r.summary.accepted == [.sha256: 4, .sha1: 1, .md5: 4])
        #expect(r.indicators.lookup(.md5, "74bc2d0b6680faa1a5a76b27e5479cbc")?.sameFileSHA256 == sha256)
        #expect(r.indicators.lookup(.sha1, "bf939c9c261d27ee7bb92325cc588624fca75429")?.sameFileSHA256 == sha256)
        #expect(r.indicators.lookup(.md5, "11bc82a9bd8297bd0823bce5d6202082")?.sameFileSHA256 == nil)  // event attribute
        #expect(r.indicators.lookup(.md5, "660ea9b8205fbd2da59fefd26ae5115c")?.sameFileSHA256 == nil)  // two SHA-256 in the object
        #expect(r.indicators.lookup(.md5, "d5101c3b86d973a848ab7ed79cd11e5a")?.sameFileSHA256 == nil)  // not a file object
    }

    @Test func feedFolderThroughManifest() throws {
        let dir = try TestSupport.makeTemporaryDirectory("misp-feed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let uuid1 = "5bbe52cb-40b0-4bda-8140-79220a016219", uuid2 = "72f7a401-5a65-4977-8f43-4c34dda37b2f"
        try TestSupport.write(Array("{\"\(uuid1)\":{\"info\":\"a\"},\"\(uuid2)\":{\"info\":\"b\"}}".utf8), to: "manifest.json", in: dir)
        try TestSupport.write(Array("{\"Event\":{\"uuid\":\"\(uuid1)\",\"Attribute\":[{\"type\":\"domain\",\"value\":\"a.example\",\"to_ids\":true}]}}".utf8),
                              to: "\(uuid1).json", in: dir)
        let r = try FeedReader.read(contentsOf: dir, feed: "f")
        #expect(r.summary.accepted == [.domain: 1])
        #expect(r.summary.rejected == ["event": 1])  // uuid2 listed but missing
        #expect(r.diagnostics.contains { $0.path.hasSuffix("\(uuid2).json") })
    }

    @Test func truncatedJSONIsNotAFeed() {
        #expect(throws: FeedError.self) {
            try FeedReader.parse(text: "{\"Event\":{\"Attribute\":[", path: "t.json", feed: "m", format: .misp, options: FeedReadOptions())
        }
    }
}

@Suite struct OpenIOCReaderTests {
    @Test func openIOC10And11() throws {
        let v10 = """
            <?xml version="1.0" encoding="us-ascii"?>
            <ioc xmlns="http://schemas.mandiant.com/2010/ioc" id="x">
              <short_description>Test 1.0</short_description>
              <definition><Indicator operator="OR">
                <IndicatorItem condition="is"><Context document="FileItem" search="FileItem/Md5sum" type="mir"/><Content type="md5">64A17F5177157BB8C4199D38C46EC93B</Content></IndicatorItem>
                <IndicatorItem condition="contains"><Context document="DnsEntryItem" search="DnsEntryItem/RecordName" type="mir"/><Content type="string">report.perrydale.com</Content></IndicatorItem>
                <IndicatorItem condition="is"><Context document="FileItem" search="FileItem/FileName" type="mir"/><Content type="string">a.exe</Content></IndicatorItem>
              </Indicator></definition>
            </ioc>
            """
        let r10 = try FeedReader.parse(text: v10, path: "a.ioc", feed: "o", format: .openioc, options: FeedReadOptions())
        #expect(r10.summary.accepted == [.md5: 1, .domain: 1])
        #expect(r10.indicators.lookup(.md5, "64a17f5177157bb8c4199d38c46ec93b")?.summary == "Test 1.0")
        #expect(r10.summary.skipped == ["search FileItem/FileName": 1])
        let v11 = "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?><OpenIOC xmlns=\"http://openioc.org/schemas/OpenIOC_1.1\" id=\"y\"><metadata/><criteria><Indicator operator=\"OR\">"
            + "<IndicatorItem condition=\"is\" negate=\"true\"><Context document=\"PortItem\" search=\"PortItem/remoteIP\" type=\"mir\"/><Content type=\"IP\">1.2.3.4</Content></IndicatorItem>"
            + "<IndicatorItem condition=\"is\" negate=\"false\"><Context document=\"PortItem\" search=\"PortItem/remoteIP\" type=\"mir\"/><Content type=\"IP\">5.6.7.8</Content></IndicatorItem>"
            + "</Indicator></criteria><parameters/></OpenIOC>"
        #expect(FeedReader.detect(text: v11, fileName: "b.ioc") == .openioc)
        let r11 = try FeedReader.parse(text: v11, path: "b.ioc", feed: "o", format: .openioc, options: FeedReadOptions())
        #expect(r11.summary.accepted == [.ipv4: 1])
        #expect(r11.summary.skipped == ["negated item": 1])
    }

    @Test func otherXMLIsNotOpenIOC() {
        #expect(throws: FeedError.self) {
            try FeedReader.parse(text: "<?xml version=\"1.0\"?><xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"/>", path: "s.xsd",
                                 feed: "o", format: .openioc, options: FeedReadOptions())
        }
    }
}

/// Hostile input: truncated and byte-mutated versions of every inline sample go through every reader.
/// Each either throws a FeedError or returns an import whose counts agree with its contents.
@Suite struct HostileInputTests {
    static let samples: [(FeedFormat, String)] = [
        (.csv, sophosSample),
        (.csv, "value,entity_type,description\n\"a,b\",file,x\n"),
        (.stix, "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[{\"type\":\"indicator\",\"id\":\"indicator--1\",\"pattern\":\"[domain-name:value = 'a.example' OR file:hashes.MD5 = '0eeb1c0133eb4d571178b2d9d14ce3e9']\",\"pattern_type\":\"stix\",\"valid_from\":\"2023-01-01T00:00:00Z\"}]}"),
        (.misp, "{\"Event\":{\"Attribute\":[{\"type\":\"domain|ip\",\"value\":\"a.example|1.2.3.4\",\"to_ids\":true}]}}"),
        (.openioc, "<ioc><definition><Indicator><IndicatorItem condition=\"is\"><Context search=\"FileItem/Md5sum\"/><Content>0eeb1c0133eb4d571178b2d9d14ce3e9</Content></IndicatorItem></Indicator></definition></ioc>"),
        (.plain, "a.example 1.2.3.4\nhxxp://b[.]example/x\n"),
        (.lokiHash, "0eeb1c0133eb4d571178b2d9d14ce3e9;50;x\n"),
    ]

    @Test func mutatedInputNeverTrapsAndCountsAgree() {
        var rng = SystemRandomNumberGenerator()
        var checked = 0
        for (format, text) in Self.samples {
            let bytes = Array(text.utf8)
            var variants: [[UInt8]] = (0...bytes.count).map { Array(bytes[..<$0]) }  // every truncation
            for _ in 0..<200 {
                var m = bytes
                for _ in 0..<3 { m[Int.random(in: 0..<m.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                variants.append(m)
            }
            for v in variants {
                let text = String(decoding: v, as: UTF8.self)
                do {
                    let r = try FeedReader.parse(text: text, path: "m", feed: "m", format: format, options: FeedReadOptions())
                    #expect(r.summary.totalAccepted == r.indicators.count)
                    #expect(r.summary.totalRejected == r.diagnostics.filter { $0.kind == "rejected-row" }.count)
                    checked += 1
                } catch let error as FeedError {
                    #expect(!error.message.isEmpty)
                } catch {
                    Issue.record("unexpected error type: \(error)")
                }
            }
        }
        #expect(checked > 0)
        // Deep nesting and long input in patterns are refused, not recursed into.
        #expect(throws: STIXPatternError.self) { try STIXPattern.parse(String(repeating: "([a:b = 'c'] OR ", count: 5000)) }
    }
}
