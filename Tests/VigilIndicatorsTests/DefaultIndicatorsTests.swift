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
}
