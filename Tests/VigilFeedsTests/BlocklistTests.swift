import Foundation
import Testing
import VigilIndicators
import _VigilTestSupport
@testable import VigilFeeds

/// Finds an executable on PATH (or in /usr/sbin, where Debian puts the DNS tools).
func findTool(_ name: String) -> URL? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin"
    for dir in path.split(separator: ":") {
        let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
}

/// The 3CX sample every blocklist test uses: C2 domains, the staging URL on GitHub, an IP URL,
/// a journalide.org URL, a CIDR and a hash.
func sampleSet() -> IndicatorSet {
    let p = [Provenance(feed: "sophos-3cx", description: "C2 (malware/callhome)")]
    return IndicatorSet([
        Indicator(kind: .domain, value: "akamaicontainer.com", provenance: p),
        Indicator(kind: .domain, value: "msstorageboxes.com", provenance: p),
        Indicator(kind: .domain, value: "allowed-parent.example", provenance: p),
        Indicator(kind: .url, value: "http://raw.githubusercontent.com/IconStorages/images/main/", provenance: p),
        Indicator(kind: .url, value: "https://journalide.org/djour.php", provenance: p),
        Indicator(kind: .url, value: "tcp://23.254.211.230/", provenance: p),
        Indicator(kind: .domain, value: "github.com", provenance: p),
        Indicator(kind: .cidr, value: "223.166.0.0/15", provenance: p),
        Indicator(kind: .sha256, value: "c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02", provenance: p),
    ])
}

func allowSet(_ values: [String]) -> IndicatorSet {
    FeedReader.read(text: values.joined(separator: "\n"), path: "allow", feed: "allow", format: .plain).indicators
}

@Suite struct BlocklistPlanTests {
    @Test func sharedInfrastructureStaysURLOnly() {
        let plan = BlocklistBuilder.plan(sampleSet())
        let names = plan.domains.map(\.name)
        #expect(names == ["akamaicontainer.com", "allowed-parent.example", "journalide.org", "msstorageboxes.com"])
        #expect(!names.contains("raw.githubusercontent.com") && !names.contains("github.com"))
        #expect(plan.decisions.contains { $0.hasPrefix("guard:") && $0.contains("raw.githubusercontent.com") })
        #expect(plan.decisions.contains { $0.hasPrefix("guard: domain github.com") })
        // The guarded URL is still in URL-capable outputs.
        let suricata = BlocklistBuilder.render(plan, as: .suricata)
        #expect(suricata.contains("http.host; content:\"raw.githubusercontent.com\"; startswith; endswith; http.uri; content:\"/IconStorages/images/main/\"; startswith;"))
        let zeek = BlocklistBuilder.render(plan, as: .zeekIntel)
        #expect(zeek.contains("raw.githubusercontent.com/IconStorages/images/main/\tIntel::URL\t"))
        #expect(!BlocklistBuilder.render(plan, as: .unbound).contains("githubusercontent"))
        #expect(!BlocklistBuilder.render(plan, as: .rpz).contains("githubusercontent"))
        // The address URL becomes an address block.
        #expect(zeek.contains("23.254.211.230\tIntel::ADDR\t"))
        #expect(zeek.contains("223.166.0.0/15\tIntel::SUBNET\t"))
        #expect(zeek.contains("c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02\tIntel::FILE_HASH\t"))
    }

    @Test func allowlistRemovesAndMakesExceptions() {
        let plan = BlocklistBuilder.plan(sampleSet(), allow: allowSet(["msstorageboxes.com", "www.allowed-parent.example", "223.166.0.0/16"]))
        #expect(!plan.domains.map(\.name).contains("msstorageboxes.com"))
        #expect(plan.exceptions == ["www.allowed-parent.example"])
        #expect(!plan.addresses.map(\.value).contains("223.166.0.0/15"))
        #expect(BlocklistBuilder.render(plan, as: .unbound).contains("local-zone: \"www.allowed-parent.example.\" transparent"))
        #expect(BlocklistBuilder.render(plan, as: .dnsmasq).contains("server=/www.allowed-parent.example/#"))
        #expect(BlocklistBuilder.render(plan, as: .rpz).contains("www.allowed-parent.example CNAME rpz-passthru."))
    }

    @Test func formatSemantics() {
        let plan = BlocklistBuilder.plan(sampleSet())
        let rpz = BlocklistBuilder.render(plan, as: .rpz)
        #expect(rpz.contains("\nakamaicontainer.com CNAME .\n*.akamaicontainer.com CNAME .\n"))
        #expect(rpz.contains("IN SOA localhost. hostmaster.localhost."))
        #expect(BlocklistBuilder.render(plan, as: .dnsmasq).contains("address=/akamaicontainer.com/#\n"))
        let hosts = BlocklistBuilder.render(plan, as: .hosts)
        #expect(hosts.contains("0.0.0.0 akamaicontainer.com\n"))
        #expect(hosts.contains("Subdomains of these domains are NOT blocked"))
        let suricata = BlocklistBuilder.render(plan, as: .suricata, sidBase: 100)
        let sids = suricata.split(separator: "\n").filter { $0.hasPrefix("alert") }.compactMap { line -> Int? in
            guard let r = line.range(of: "sid:") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        #expect(sids.count == 4 * 3 + 2 + 2)  // 4 domains x (dns, tls, http) + 2 http URLs + 2 addresses
        #expect(Set(sids).count == sids.count)
        #expect(suricata.contains("dns.query; dotprefix; content:\".akamaicontainer.com\"; nocase; endswith;"))
        let zeek = BlocklistBuilder.render(plan, as: .zeekIntel)
        #expect(zeek.hasPrefix("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"))
        #expect(zeek.split(separator: "\n").dropFirst().allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 4 })
        let csv = BlocklistBuilder.render(plan, as: .csv)
        #expect(csv.hasPrefix("type,value,first_seen,last_seen,confidence,source,tags,tlp,description\n"))
        #expect(csv.contains("url,http://raw.githubusercontent.com/IconStorages/images/main/,"))
    }

    @Test func suricataContentEscaping() {
        #expect(BlocklistBuilder.suricataContent("/a;b\"c|d\\e") == "/a|3b|b|22|c|7c|d|5c|e")
    }
}

/// The generated files, checked by the servers' own checkers (skipped when a tool is absent:
/// `scripts/install-deps.sh bind9-utils unbound dnsmasq-base bind9-dnsutils`).
@Suite(.serialized) struct BlocklistCheckerTests {
    let plan = BlocklistBuilder.plan(sampleSet(), allow: allowSet(["www.allowed-parent.example"]))

    func write(_ text: String, _ name: String) throws -> (URL, URL) {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-block")
        let file = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return (dir, file)
    }

    @Test(.enabled(if: findTool("named-checkzone") != nil, "named-checkzone (bind9-utils) is not installed"))
    func rpzPassesNamedCheckzone() throws {
        let (dir, file) = try write(BlocklistBuilder.render(plan, as: .rpz), "rpz.local")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try TestSupport.run(try #require(findTool("named-checkzone")), ["rpz.local", file.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("OK"))
    }

    @Test(.enabled(if: findTool("unbound-checkconf") != nil, "unbound-checkconf (unbound) is not installed"))
    func unboundPassesCheckconf() throws {
        let (dir, file) = try write(BlocklistBuilder.render(plan, as: .unbound), "vigil.conf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try TestSupport.run(try #require(findTool("unbound-checkconf")), [file.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        // A broken line must fail the same check (the checker really reads the file).
        let (dir2, bad) = try write("server:\n    local-zone: \"x.\" not_a_type\n", "bad.conf")
        defer { try? FileManager.default.removeItem(at: dir2) }
        #expect(try TestSupport.run(try #require(findTool("unbound-checkconf")), [bad.path]).status != 0)
    }

    @Test(.enabled(if: findTool("dnsmasq") != nil, "dnsmasq (dnsmasq-base) is not installed"))
    func dnsmasqPassesTest() throws {
        let (dir, file) = try write(BlocklistBuilder.render(plan, as: .dnsmasq), "vigil.conf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try TestSupport.run(try #require(findTool("dnsmasq")), ["--test", "--conf-file=\(file.path)"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect((r.stdout + r.stderr).contains("syntax check OK"))
    }

    /// A real dnsmasq on 127.0.0.1 with an unusual port, loading the generated blocklist: the blocked
    /// domain and its subdomain get the null answer (A 0.0.0.0, AAAA ::), an allowed name its real
    /// address. dnsmasq is stopped at the end; every query has a 1-second timeout.
    @Test(.enabled(if: findTool("dnsmasq") != nil && findTool("dig") != nil, "dnsmasq or dig (bind9-dnsutils) is not installed"))
    func liveDnsmasqBlocksDomainAndSubdomain() throws {
        let (dir, file) = try write(BlocklistBuilder.render(plan, as: .dnsmasq), "vigil.conf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = 20000 + Int.random(in: 0..<20000)
        let dnsmasq = try #require(findTool("dnsmasq")).path
        let dig = try #require(findTool("dig")).path
        let pidFile = dir.appendingPathComponent("dnsmasq.pid").path
        let queries = [("akamaicontainer.com", "A"), ("www.akamaicontainer.com", "A"), ("akamaicontainer.com", "AAAA"),
                       ("allowed.example", "A"), ("www.allowed-parent.example", "A"), ("x.allowed-parent.example", "A")]
        // One bounded script: start dnsmasq under `timeout -s KILL` (the test process may hand its
        // children a signal mask that blocks SIGTERM, so only SIGKILL is reliable), wait until it
        // answers, run the queries (1-second timeouts), kill it. Inherited descriptors are closed
        // first so the server cannot hold another test's pipes open.
        let digArgs = "@127.0.0.1 -p \(port) +short +time=1 +tries=1"
        var script = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done\n"
        script += "timeout -s KILL 20 \(dnsmasq) --keep-in-foreground --port=\(port) --listen-address=127.0.0.1 --bind-interfaces "
        script += "--no-resolv --no-hosts --pid-file=\(pidFile) --conf-file=\(file.path) "
        script += "--host-record=allowed.example,192.0.2.7 --host-record=www.allowed-parent.example,192.0.2.8 2>/dev/null &\n"
        script += "for i in $(seq 1 30); do \(dig) \(digArgs) allowed.example A 2>/dev/null | grep -q 192.0.2.7 && break; sleep 0.1; done\n"
        for (name, type) in queries {
            script += "echo \"\(name) \(type) => $(\(dig) \(digArgs) \(name) \(type) 2>/dev/null | head -1)\"\n"
        }
        script += "kill -9 $(cat \(pidFile)) 2>/dev/null; wait\n"
        let answers = try runDNSScript(script, in: dir)
        func query(_ name: String, _ type: String = "A") -> String { answers["\(name) \(type)"] ?? "no answer" }
        #expect(query("akamaicontainer.com") == "0.0.0.0")
        #expect(query("www.akamaicontainer.com") == "0.0.0.0")
        #expect(query("akamaicontainer.com", "AAAA") == "::")
        #expect(query("allowed.example") == "192.0.2.7")
        // The allowlisted name under a blocked domain is answered, not nulled.
        #expect(query("www.allowed-parent.example") == "192.0.2.8")
        #expect(query("x.allowed-parent.example") == "0.0.0.0")
    }
}

/// A real Unbound on 127.0.0.1 (random high port, no privilege drop, bounded by `timeout -s KILL`)
/// including the generated file: NXDOMAIN for a blocked domain and its subdomain, answers for an
/// allowed name and for the allowlisted name under a blocked domain.
@Suite(.serialized) struct LiveUnboundTests {
    @Test(.enabled(if: findTool("unbound") != nil && findTool("dig") != nil, "unbound or dig (bind9-dnsutils) is not installed"))
    func liveUnboundRefusesDomainAndSubdomain() throws {
        let plan = BlocklistBuilder.plan(sampleSet(), allow: allowSet(["www.allowed-parent.example"]))
        let dir = try TestSupport.makeTemporaryDirectory("vigil-unbound")
        defer { try? FileManager.default.removeItem(at: dir) }
        let block = dir.appendingPathComponent("block.conf")
        try Data(BlocklistBuilder.render(plan, as: .unbound).utf8).write(to: block)
        let port = 20000 + Int.random(in: 0..<20000)
        let config = dir.appendingPathComponent("unbound.conf")
        try Data("""
            server:
                interface: 127.0.0.1
                port: \(port)
                do-daemonize: no
                username: ""
                chroot: ""
                directory: "\(dir.path)"
                pidfile: "\(dir.path)/unbound.pid"
                use-syslog: no
                do-ip6: no
                local-zone: "allowed.example." static
                local-data: "allowed.example. A 192.0.2.7"
                local-data: "www.allowed-parent.example. A 192.0.2.8"
            include: "\(block.path)"

            """.utf8).write(to: config)
        let unbound = try #require(findTool("unbound")).path
        let dig = try #require(findTool("dig")).path
        let q = "@127.0.0.1 -p \(port) +time=1 +tries=1"
        let names = ["akamaicontainer.com", "www.akamaicontainer.com", "allowed.example", "www.allowed-parent.example", "x.allowed-parent.example"]
        var script = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done\n"
        script += "timeout -s KILL 20 \(unbound) -d -c \(config.path) >/dev/null 2>&1 &\n"
        script += "for i in $(seq 1 50); do \(dig) \(q) +short allowed.example A 2>/dev/null | grep -q 192.0.2.7 && break; sleep 0.1; done\n"
        for n in names {
            script += "echo \"\(n) => $(\(dig) \(q) \(n) A 2>/dev/null | grep -oE 'status: [A-Z]+') $(\(dig) \(q) +short \(n) A 2>/dev/null | head -1)\"\n"
        }
        script += "kill -9 $(cat \(dir.path)/unbound.pid) 2>/dev/null; kill -9 %1 2>/dev/null; wait\n"
        let answers = try runDNSScript(script, in: dir)
        #expect(answers["akamaicontainer.com"] == "status: NXDOMAIN")
        #expect(answers["www.akamaicontainer.com"] == "status: NXDOMAIN")
        #expect(answers["allowed.example"] == "status: NOERROR 192.0.2.7")
        #expect(answers["www.allowed-parent.example"] == "status: NOERROR 192.0.2.8")
        #expect(answers["x.allowed-parent.example"] == "status: NXDOMAIN")
    }
}

/// The Suricata rules parse with idstools (PyPI), a reference Suricata rule parser; skipped without it.
@Suite struct SuricataRuleParserTests {
    static let hasIdstools: Bool = {
        guard let python = findTool("python3") else { return false }
        return (try? TestSupport.run(python, ["-c", "import idstools.rule"]))?.status == 0
    }()

    @Test(.enabled(if: SuricataRuleParserTests.hasIdstools, "python3 with idstools is not available (pip install idstools)"))
    func rulesParseWithIdstools() throws {
        let dir = try TestSupport.makeTemporaryDirectory("vigil-rules")
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = BlocklistBuilder.render(BlocklistBuilder.plan(sampleSet()), as: .suricata)
        let file = try TestSupport.write(Array(text.utf8), to: "vigil.rules", in: dir)
        let script = """
            import sys
            from idstools import rule
            rs = rule.parse_file(sys.argv[1])
            print(len(rs), len({r.sid for r in rs}), sorted({r.proto for r in rs}))
            """
        let r = try TestSupport.run(try #require(findTool("python3")), ["-c", script, file.path])
        #expect(r.status == 0, "\(r.stderr)")
        let expected = text.split(separator: "\n").filter { $0.hasPrefix("alert ") }.count
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(expected) \(expected) ['dns', 'http', 'ip', 'tls']")
    }
}

/// Runs a bash script that starts a DNS server on loopback, queries it and prints `question => answer`
/// lines; returns the answers by question. The script's output goes to a file (a pipe would keep the
/// test waiting on the server's inherited descriptors).
func runDNSScript(_ script: String, in dir: URL) throws -> [String: String] {
    let output = dir.appendingPathComponent("answers")
    FileManager.default.createFile(atPath: output.path, contents: nil)
    let out = try FileHandle(forWritingTo: output)
    let runner = Process()
    runner.executableURL = URL(fileURLWithPath: "/bin/bash")
    runner.arguments = ["-c", script]
    runner.standardOutput = out
    runner.standardError = FileHandle.nullDevice
    runner.standardInput = FileHandle.nullDevice
    try runner.run()
    runner.waitUntilExit()
    try out.close()
    var answers: [String: String] = [:]
    for line in try String(contentsOf: output, encoding: .utf8).split(separator: "\n") {
        let parts = line.components(separatedBy: " => ")
        if parts.count == 2 { answers[parts[0]] = parts[1].trimmingCharacters(in: .whitespaces) }
    }
    return answers
}
