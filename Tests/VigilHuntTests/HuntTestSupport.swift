import Foundation
import VigilIndicators
import _VigilTestSupport
@testable import VigilHunt

enum HuntFixtures {
    static let connHeader = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tconn
        #open\t2023-03-29-00-00-00
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

    /// Writes text to `dir/name`.
    @discardableResult
    static func write(_ text: String, _ name: String, in dir: URL) throws -> URL {
        try TestSupport.write(Array(text.utf8), to: name, in: dir)
    }

    /// Gzips a file with the system `gzip` (an independent encoder), returning the `.gz` path.
    static func gzip(_ file: URL) throws -> URL {
        let result = try TestSupport.run(URL(fileURLWithPath: "/bin/gzip"), ["-f", "-k", file.path])
        precondition(result.status == 0, "gzip failed: \(result.stderr)")
        return URL(fileURLWithPath: file.path + ".gz")
    }

    /// Runs the engine over paths with the given indicators (default: none).
    static func hunt(_ paths: [URL], indicators: IndicatorSet = IndicatorSet(), configure: (inout HuntOptions) -> Void = { _ in }) throws -> HuntReport {
        var options = HuntOptions(indicators: indicators)
        options.minimumBeaconScore = 0
        configure(&options)
        return try HuntEngine(options: options).run(paths: paths.map(\.path))
    }

    /// A small indicator set.
    static func indicators(_ values: [(IndicatorKind, String)], feed: String = "test") -> IndicatorSet {
        IndicatorSet(values.map { Indicator(kind: $0.0, value: $0.1, provenance: [Provenance(feed: feed, description: "test \($0.1)")]) })
    }
}
