import Testing
import VigilDefaults
import VigilIndicators

@Suite struct DefaultIndicatorsTests {
    @Test func holdsThePublished3CXIndicators() {
        let set = DefaultIndicators.indicatorSet
        let counts = set.countsByKind
        // 21 apex C2 domains (Sophos and Volexity agree) + www.azuredeploystore.com + www.journalide.org.
        #expect(counts[.domain] == 23)
        // Sophos 8 SHA-256 and Volexity 6, four of them shared (59e1…, 7986…, a64f…, e6bb…).
        #expect(counts[.sha256] == 10)
        #expect(counts[.sha1] == 6)
        #expect(counts[.md5] == 6)
        #expect(counts[.url] == 1)
        #expect(counts[.email] == 5)
        // Shared value keeps both sources.
        let ffmpeg = set.lookup(.sha256, "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896")
        #expect(ffmpeg?.provenance.count == 2)
        #expect(set.matchDomain("www.MSSTORAGEAZURE.com.")?.value == "msstorageazure.com")
    }

    @Test func everyBuiltInMD5AndSHA1IsLinkedToALoadedSHA256() {
        // Volexity packs the three digests of each file in one cell, so a sweep with the built-in set
        // finds each of those files by SHA-256 and need not compute MD5 or SHA-1 for every file.
        let set = DefaultIndicators.indicatorSet
        let linkable = set.indicators.filter { $0.kind == .md5 || $0.kind == .sha1 }
        #expect(linkable.count == 12)
        for indicator in linkable {
            let sha256 = indicator.sameFileSHA256 ?? "-"
            #expect(set.contains(.sha256, sha256), "\(indicator.value)")
        }
        // ffmpeg.dll, as Volexity published it.
        #expect(set.lookup(.md5, "74bc2d0b6680faa1a5a76b27e5479cbc")?.sameFileSHA256
            == "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896")
    }

    @Test func aSameFileLinkSurvivesAMergeOnlyWhenEverySourceGivesTheSameOne() {
        let md5 = "74bc2d0b6680faa1a5a76b27e5479cbc"
        let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64)
        func merged(_ links: [String?]) -> String? {
            var set = IndicatorSet()
            for (n, link) in links.enumerated() {
                set.insert(Indicator(kind: .md5, value: md5, provenance: [Provenance(feed: "f\(n)")], sameFileSHA256: link))
            }
            return set.lookup(.md5, md5)?.sameFileSHA256
        }
        #expect(merged([a, a]) == a)
        #expect(merged([a, nil]) == nil)  // one source published the MD5 on its own
        #expect(merged([nil, a]) == nil)
        #expect(merged([a, b]) == nil)  // sources disagree
        #expect(merged([a, b, a]) == nil)
    }
}
