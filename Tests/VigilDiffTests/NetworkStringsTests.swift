import Testing
@testable import VigilDiff

@Suite("Network strings")
struct NetworkStringsTests {
    func utf16(_ s: String) -> [UInt8] { s.utf8.flatMap { [$0, 0] } }

    @Test("URLs, domains and endpoints in ASCII and UTF-16LE strings")
    func finds() {
        var bytes: [UInt8] = [0, 1, 2]
        bytes += Array("GET https://raw.githubusercontent.com/IconStorages/images/main/icon%d.ico HTTP".utf8) + [0, 0]
        bytes += utf16("connect to pbxsources.com now") + [0, 0]
        bytes += Array("beacon 10.20.30.40:8443;".utf8) + [0xFF]
        let found = NetworkStrings.extract(bytes)
        #expect(found.contains("url:https://raw.githubusercontent.com/IconStorages/images/main/icon%d.ico"))
        #expect(found.contains("domain:pbxsources.com"))
        #expect(found.contains("endpoint:10.20.30.40:8443"))
    }

    @Test("file names, versions and attribute access are not network indicators")
    func ignoresNoise() {
        let text = "kernel32.dll d3dcompiler_47.dll setup.py 18.12.416.0 1.2.3.4 self.app r.name version.txt libc.so.6"
        #expect(NetworkStrings.extract(Array(text.utf8)) == [])
    }

    @Test("excluded ranges are skipped and trailing punctuation is dropped")
    func exclusion() {
        let a = Array("see https://example.com/docs. ".utf8)
        let b = Array("http://crl.signer.example.com/ca.crl ".utf8)
        let found = NetworkStrings.extract(a + b, excluding: [a.count..<(a.count + b.count)])
        #expect(found == ["url:https://example.com/docs"])
    }

    @Test("module names written as data")
    func moduleNames() {
        let bytes = Array("xx\0Open d3dcompiler_47.dll for reading\0".utf8) + utf16("\\ffmpeg.dll")
        #expect(ModuleNames.extract(bytes) == ["d3dcompiler_47.dll", "ffmpeg.dll"])
    }
}
