import Foundation
import Testing
import VigilDefaults
import VigilFleetProtocol
import VigilFleetStore
import VigilHunt
import VigilIndicators
import _VigilTestSupport
@testable import VigilLogFollower

@Suite struct LogFollowerTests {
    let dir: URL
    init() throws { dir = try TestSupport.makeTemporaryDirectory("vigil-follow") }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    @Test func aLiveFileIsReadOnceAndFollowedAsItGrows() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        try Logs.write(Logs.dnsHeader + Logs.dns(0..<100), "dns.log", in: dir)
        let follower = makeFollower(dir, store: store)
        try await follower.poll()
        #expect(await store.totalContacts == 100)
        let reportsAfterFirst = await store.reports.count
        try await follower.poll()
        #expect(await store.totalContacts == 100)
        #expect(await store.reports.count == reportsAfterFirst, "nothing new: no report")

        try Logs.append(Logs.dns(100..<150), "dns.log", in: dir)
        try await follower.poll()
        #expect(await store.totalContacts == 150)

        // A last line without its newline waits for it.
        let next = Logs.dns(150..<152)
        let cut = next.index(next.startIndex, offsetBy: next.count - 20)
        try Logs.append(String(next[..<cut]), "dns.log", in: dir)
        try await follower.poll()
        #expect(await store.totalContacts == 151, "the complete line is read, the partial one waits")
        try Logs.append(String(next[cut...]), "dns.log", in: dir)
        try await follower.poll()
        #expect(await store.totalContacts == 152)
        let cursor = try #require(await follower.currentCursors().first)
        #expect(cursor.lines == Int64(Logs.dnsHeaderLines + 152))
        #expect(cursor.offset == Int64(try Data(contentsOf: dir.appendingPathComponent("dns.log")).count))
        #expect(!cursor.finished)
    }

    @Test func rotationByRenameIsNotReadAgainAndItsGzipIsRecognised() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        let follower = makeFollower(dir, store: store)
        try Logs.write(Logs.dnsHeader + Logs.dns(0..<100), "dns.log", in: dir)
        try await follower.poll()
        #expect(await store.totalContacts == 100)
        // Zeek writes 20 more records, then rotates: rename, and a new dns.log.
        try Logs.append(Logs.dns(100..<120), "dns.log", in: dir)
        let rotated = "dns.2023-03-29-10-00-00.log"
        try FileManager.default.moveItem(atPath: path("dns.log"), toPath: path(rotated))
        try Logs.write(Logs.dnsHeader + Logs.dns(1000..<1030, tag: "-b"), "dns.log", in: dir)
        try await follower.poll()
        #expect(await store.totalContacts == 150, "the renamed file continues at its cursor; the new live file is read from its start")
        let byPath = Dictionary(await follower.currentCursors().map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath[path(rotated)]?.finished == true)
        #expect(byPath[path(rotated)]?.lines == Int64(Logs.dnsHeaderLines + 120))

        // The rotation is compressed and the plain file removed: the .gz holds what was read.
        let plain = try Data(contentsOf: URL(fileURLWithPath: path(rotated)))
        try TestSupport.write(try Logs.gzip(String(decoding: plain, as: UTF8.self)), to: rotated + ".gz", in: dir)
        try FileManager.default.removeItem(atPath: path(rotated))
        try await follower.poll()
        #expect(await store.totalContacts == 150, "a .gz of a file read to its end is not read again")
        let gz = await follower.currentCursors().first { $0.path == path(rotated + ".gz") }
        #expect(gz?.finished == true)
        #expect(gz?.fileIdentity.hasPrefix("gz:") == true)
    }

    @Test func aGzipOfAPartlyReadFileContinuesWhereTheLiveFileStopped() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        let follower = makeFollower(dir, store: store, indicators: DefaultIndicators.indicatorSet)
        try Logs.write(Logs.dnsHeader + Logs.dns(0..<100, c2At: [40]), "dns.log", in: dir)
        try await follower.poll()
        // 40 more records reach the file, then it is rotated and compressed before the next poll.
        let all = Logs.dnsHeader + Logs.dns(0..<140, c2At: [40, 120])
        try TestSupport.write(try Logs.gzip(all), to: "2023-03-29/dns.00:00:00-01:00:00.log.gz", in: dir)
        try FileManager.default.removeItem(atPath: path("dns.log"))
        try await follower.poll()
        #expect(await store.totalContacts == 140)
        let hits = await store.reports.flatMap(\.hits)
        let evidence = hits.flatMap(\.evidence).sorted()
        #expect(evidence == [
            "\(path("2023-03-29/dns.00:00:00-01:00:00.log.gz")):\(Logs.dnsHeaderLines + 121)",
            "\(path("dns.log")):\(Logs.dnsHeaderLines + 41)",
        ], "hits cite the file they were read from and the line number in it")
    }

    @Test func boundedReportsResumeAfterACrashWithTrueLineNumbers() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        let c2 = [5, 517, 998]
        try Logs.write(Logs.dnsHeader + Logs.dns(0..<1000, c2At: Set(c2)), "dns.log", in: dir)
        // The first process stores 7 reports, then dies.
        let delivered = Counter()
        var c = LogFollowerConfiguration(directory: dir.path, sensor: "zeek1")
        c.maxLinesPerReport = 64
        let first = LogFollower(
            configuration: c, cursors: { await store.logCursors(source: $0) },
            deliver: { report in
                guard delivered.next() <= 7 else { throw CancellationError() }
                try await store.apply(report)
            }, indicators: { DefaultIndicators.indicatorSet })
        await #expect(throws: CancellationError.self) { try await first.poll() }
        #expect(await store.totalContacts == 7 * 64 - Logs.dnsHeaderLines)
        // A new process resumes from the stored cursors.
        let second = makeFollower(dir, store: store, maxLines: 64, indicators: DefaultIndicators.indicatorSet)
        try await second.poll()
        #expect(await store.totalContacts == 1000)
        let reports = await store.reports
        #expect(reports.count == (Logs.dnsHeaderLines + 1000 + 63) / 64)
        var previous: Int64 = 0
        for r in reports {
            let cursor = try #require(r.cursor)
            #expect(cursor.lines - previous <= 64)
            previous = cursor.lines
        }
        let evidence = reports.flatMap(\.hits).flatMap(\.evidence).sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }
        #expect(evidence == c2.map { "\(path("dns.log")):\(Logs.dnsHeaderLines + $0 + 1)" })
        #expect(Set(reports.map(\.reportID)).count == reports.count)
    }

    @Test func aReportStoredButNotAcknowledgedIsResentAsADuplicate() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        try Logs.write(Logs.dnsHeader + Logs.dns(0..<100), "dns.log", in: dir)
        await store.setFailAfterStoring()
        let follower = makeFollower(dir, store: store)
        await #expect(throws: MemoryNetworkStore.StoreFailure.self) { try await follower.poll() }
        try await follower.poll()
        #expect(await store.duplicates == 1)
        #expect(await store.totalContacts == 100)
    }

    @Test func aFileRewrittenInPlaceIsANewFile() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        let follower = makeFollower(dir, store: store)
        try Logs.write(Logs.dnsHeader + Logs.dns(0..<100), "dns.log", in: dir)
        try await follower.poll()
        let before = try #require(FileFacts.of(path("dns.log")))
        // Same inode, other content: truncate and write.
        let h = try FileHandle(forWritingTo: dir.appendingPathComponent("dns.log"))
        try h.truncate(atOffset: 0)
        try h.write(contentsOf: Array((Logs.dnsHeader + Logs.dns(5000..<5080, tag: "-new")).utf8))
        try h.close()
        let after = try #require(FileFacts.of(path("dns.log")))
        #expect(before.inode == after.inode)
        let a = try LogFileIdentity.of(path: path("dns.log"), facts: after)
        #expect(!(await follower.currentCursors().contains { $0.fileIdentity == a.description }))
        try await follower.poll()
        #expect(await store.totalContacts == 180)
    }

    @Test func damagedGzipRotationsAreReportedAndReadingGoesOn() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        let log = DiagnosticLog()
        let whole = try Logs.gzip(Logs.dnsHeader + Logs.dns(0..<3000))
        try TestSupport.write(Array(whole.prefix(whole.count / 2)), to: "dns.2023-03-29-09-00-00.log.gz", in: dir)
        var garbled = Array(whole.prefix(10))
        garbled += [UInt8](repeating: 0xA5, count: 4000)
        try TestSupport.write(garbled, to: "dns.2023-03-29-08-00-00.log.gz", in: dir)
        try Logs.write(Logs.dnsHeader + Logs.dns(10_000..<10_100), "dns.log", in: dir)
        let follower = makeFollower(dir, store: store, diagnostics: log)
        try await follower.poll()
        let truncated = try #require(await follower.currentCursors().first { $0.path == path("dns.2023-03-29-09-00-00.log.gz") })
        #expect(truncated.finished)
        let readFromTruncated = Int(truncated.lines) - Logs.dnsHeaderLines
        #expect(readFromTruncated > 0 && readFromTruncated < 3000)
        #expect(await store.totalContacts == 100 + readFromTruncated)
        let paths = Set(log.all.filter { $0.kind == "unreadable" }.map(\.path))
        #expect(paths == [path("dns.2023-03-29-09-00-00.log.gz"), path("dns.2023-03-29-08-00-00.log.gz")])
        // Reported once, not on every poll.
        try await follower.poll()
        #expect(log.all.filter { $0.kind == "unreadable" }.count == 2)
    }

    @Test func suricataEVERotationsAndLiveFile() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        func eve(_ range: Range<Int>) -> String {
            range.map { i in
                #"{"timestamp":"2023-03-29T10:00:\#(String(format: "%02d", i % 60)).000000+0000","flow_id":\#(i),"event_type":"dns","src_ip":"10.2.0.\#(i % 3 + 1)","src_port":5353,"dest_ip":"10.2.0.254","dest_port":53,"proto":"UDP","dns":{"type":"query","id":\#(i),"rrname":"n\#(i % 4).example.test","rrtype":"A","tx_id":0}}"# + "\n"
            }.joined()
        }
        try Logs.write(eve(0..<40), "eve.json.1", in: dir)
        try TestSupport.write(try Logs.gzip(eve(100..<130)), to: "eve.json.2.gz", in: dir)
        try Logs.write(eve(200..<220), "eve.json", in: dir)
        let store = MemoryNetworkStore()
        let follower = makeFollower(dir, store: store)
        try await follower.poll()
        #expect(await store.totalContacts == 90)
        let live = await follower.currentCursors().first { $0.path == path("eve.json") }
        #expect(live?.finished == false)
        #expect(await follower.currentCursors().filter(\.finished).count == 2 + 2, "two rotations and their beacon groups")
    }

    @Test func beaconsAreScoredOverACompletedDayFolderOnce() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // A beacon every 300 s all day in 2023-03-29/, a little traffic in 2023-03-30/ (not complete yet).
        let beacon = Logs.connHeader + Logs.conn(client: "10.1.0.9", server: "203.0.113.50", count: 288, start: Logs.day0 + 7, interval: 300)
        try TestSupport.write(try Logs.gzip(beacon), to: "2023-03-29/conn.00:00:00-24:00:00.log.gz", in: dir)
        let small = Logs.connHeader + Logs.conn(client: "10.1.0.9", server: "203.0.113.50", count: 40, start: Logs.day0 + 86_400, interval: 300)
        try TestSupport.write(try Logs.gzip(small), to: "2023-03-30/conn.00:00:00-01:00:00.log.gz", in: dir)
        // The follower's clock is 2023-03-30 12:00 UTC: the files were written an hour before.
        let now = Logs.day0 + 86_400 + 43_200
        for f in ["2023-03-29/conn.00:00:00-24:00:00.log.gz", "2023-03-30/conn.00:00:00-01:00:00.log.gz"] {
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: now - 3600)], ofItemAtPath: path(f))
        }
        let store = MemoryNetworkStore()
        let c = LogFollowerConfiguration(directory: dir.path, sensor: "zeek1")
        let follower = LogFollower(
            configuration: c, cursors: { await store.logCursors(source: $0) }, deliver: { try await store.apply($0) },
            indicators: { IndicatorSet() }, clock: { Date(timeIntervalSince1970: now) })
        try await follower.poll()
        try await follower.poll()
        let withBeacons = await store.reports.filter { !$0.beacons.isEmpty }
        #expect(withBeacons.count == 1)
        let b = try #require(withBeacons.first?.beacons.first)
        #expect(b.source == "10.1.0.9" && b.destination == "203.0.113.50")
        #expect(b.connections == 288, "the day folder alone, not the next day's file")
        #expect(withBeacons.first?.cursor?.fileIdentity == "beacons:day:2023-03-29")
        #expect(await store.totalContacts == 288 + 40)
    }

    @Test func freshRotationsAndTinyLiveFilesWait() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        // A rotation written just now (it could still be being compressed), and a live file shorter
        // than the identity prefix (its identity would still change).
        try TestSupport.write(try Logs.gzip(Logs.dnsHeader + Logs.dns(0..<50)), to: "dns.2023-03-29-10-00-00.log.gz", in: dir)
        try Logs.write(Logs.dnsHeader + Logs.dns(100..<102), "dns.log", in: dir)
        #expect(try Data(contentsOf: dir.appendingPathComponent("dns.log")).count < LogFileIdentity.prefixLength)
        let follower = makeFollower(dir, store: store) { $0.settleSeconds = 3600 }
        try await follower.poll()
        #expect(await store.totalContacts == 0)
        try Logs.append(Logs.dns(102..<120), "dns.log", in: dir)
        try await follower.poll()
        #expect(await store.totalContacts == 20, "the live file is read once it is long enough; the fresh rotation still waits")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: path("dns.2023-03-29-10-00-00.log.gz"))
        try await follower.poll()
        #expect(await store.totalContacts == 70)
    }

    @Test func leasesWithMultiByteAndControlCharactersFitTheServersLimitsAndAreKept() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        let log = DiagnosticLog()
        // dhcp.log read in windows of 10 lines; one lease's MAC is 40 two-byte characters (80 bytes,
        // the server allows 64), another's host name holds a NUL. The reader used to cut at 64
        // characters, the server refused the lease and the follower left it out; now the reader caps
        // at 64 bytes on a character boundary and escapes the NUL, and every lease is kept.
        var text = """
            #separator \\x09
            #set_separator\t,
            #empty_field\t(empty)
            #unset_field\t-
            #path\tdhcp
            #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmac\thost_name\tassigned_ip\tlease_time\ttrans_id
            #types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\taddr\tinterval\tcount

            """
        for i in 0..<30 {
            let mac = i == 17 ? String(repeating: "É", count: 40) : "00:11:22:33:44:\(String(format: "%02x", i))"
            let name = i == 21 ? "pc-21\\x00evil" : "pc-\(i)"
            text += String(format: "%.6f", Logs.day0 + Double(i) * 60)
                + "\tU\(i)\t10.3.0.\(i + 1)\t68\t10.3.0.254\t67\t\(mac)\t\(name)\t10.3.0.\(i + 1)\t3600.0\t\(i)\n"
        }
        try Logs.write(text, "dhcp.log", in: dir)
        let follower = makeFollower(dir, store: store, maxLines: 10, diagnostics: log)
        try await follower.poll()
        let leases = await store.leases
        #expect(leases.count == 30)
        for lease in leases { #expect((try? NetworkReportCheck.validate(NetworkReport(
            sensor: "s", reportID: "r", generatedAt: Date(), contacts: ContactSummary(sensor: "s", maxRows: 0), leases: [lease]))) != nil) }
        #expect(leases.first { $0.address == "10.3.0.18" }?.mac == String(repeating: "é", count: 32))
        #expect(leases.first { $0.address == "10.3.0.22" }?.hostName == "pc-21\\x00evil")
        #expect(leases.first { $0.address == "10.3.0.30" }?.evidence == "\(path("dhcp.log")):37", "leases cite their line in the file")
        #expect(!log.all.contains { $0.message.contains("refused by the server's checks") })
        #expect(await follower.currentCursors().first?.lines == 37)
    }

    /// A hit whose URL is longer in bytes than the server stores is cut at a character boundary and
    /// sent, with a diagnostic; before, the server's checks refused it and the follower left it out.
    @Test func hitsLongerThanTheServerTakesAreCutNotLeftOut() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryNetworkStore()
        let log = DiagnosticLog()
        let indicators = IndicatorSet([Indicator(kind: .urlPath, value: "/api/device_info.php", provenance: [Provenance(feed: "f", description: nil)])])
        let uri = "/api/device_info.php?q=" + String(repeating: "\u{20AC}", count: 2_000)  // 6,023 bytes
        let text = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n"
            + "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\n"
            + String(format: "%.6f", Logs.day0) + "\tC1\t10.0.0.5\t50000\t192.0.2.1\t80\tGET\t192.0.2.1\t\(uri)\n"
        try Logs.write(text, "http.log", in: dir)
        let follower = makeFollower(dir, store: store, indicators: indicators, diagnostics: log)
        try await follower.poll()
        let hits = await store.reports.flatMap(\.hits)
        #expect(hits.count == 1)
        let observed = try #require(hits.first?.observed)
        #expect(observed == "http://192.0.2.1/api/device_info.php?q=" + String(repeating: "\u{20AC}", count: (ReportFieldLimits.maxPathBytes - 39) / 3))
        #expect(log.all.contains { $0.path == path("http.log") && $0.message.contains("fitted to the server's limits") })
        #expect(!log.all.contains { $0.message.contains("refused by the server's checks") })
    }

    @Test func namesDecideLiveFilesAndBeaconGroups() {
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(LogName.classify(relativePath: "conn.log") == LogName(kind: .hunt, live: true, beaconGroup: nil))
        #expect(LogName.classify(relativePath: "dhcp.log")?.kind == .dhcp)
        #expect(LogName.classify(relativePath: "conn.2023-03-29-10-00-00.log") == LogName(kind: .hunt, live: false, beaconGroup: "rotation:2023-03-29-10-00-00"))
        #expect(LogName.classify(relativePath: "ssl.2023-03-29-10-00-00.log.gz")?.beaconGroup == "rotation:2023-03-29-10-00-00")
        #expect(LogName.classify(relativePath: "2023-03-29/conn.10:00:00-11:00:00.log.gz") == LogName(kind: .hunt, live: false, beaconGroup: "day:2023-03-29"))
        #expect(LogName.classify(relativePath: "eve.json")?.live == true)
        #expect(LogName.classify(relativePath: "eve.json.1")?.live == false)
        #expect(LogName.classify(relativePath: "squid/access.log")?.live == true)
        #expect(LogName.classify(relativePath: "x509.log") == nil)
        #expect(LogName.classify(relativePath: "stats.log") == nil)
        #expect(LogName.classify(relativePath: "2023-03-29/conn.log")?.live == false)
    }
}

/// A thread-safe counter for delivery closures.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.withLock { n += 1; return n } }
}
