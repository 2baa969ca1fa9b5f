#!/usr/bin/env python3
"""The verdict scenario of the README, run for real: one `vigil serve` reading a Zeek log folder, and
four hosts as network namespaces, each running `vigil agent` once.

    scripts/verdict-scenario.py [--vigil .build/debug/vigil] [--keep]

What it does (needs root, iproute2, unshare and openssl; Linux only):
  1. makes four hosts vigil-h1..h4 (scripts/netns.sh), named verdict-a … verdict-d; starts `vigil serve`
     with TLS on the bridge, reading a Zeek log folder as sensor `zeek-core` (`--logs`), pushing verdict
     changes to a webhook and, as CEF, to a UDP syslog listener (both run by this script);
  2. hosts a, b and d hold the 3CX-like application folder, c a clean folder; each agent enrols and
     sweeps once, then stops;
  3. Zeek logs appear in the folder, timed after the sweeps: dhcp.log gives every client address to its
     host (and moves 10.99.0.50 from verdict-b to verdict-c half-way); host a looks up and connects to
     the 3CX C2 domain akamaicontainer.com; host b has ordinary traffic only (the sensor covers it);
     host c looks up a name nobody has published yet, from 10.99.0.50 after the move; host d is never
     seen by the sensor;
  4. checks the verdicts through `vigil fleet verdicts` and `vigil fleet host`: a active, b dormant,
     c clean, d unknown-activity, every reason citing file path and hash or log file and line;
  5. an analyst publishes the name c looked up as a C2 domain: the server retro-hunts its contact
     index (no log is read again) and c turns contact-only, citing dns.log and the line; the change
     reaches the webhook (signed) and syslog (CEF);
  6. the server is killed with SIGKILL and restarted: the log folder is not read again (the contact
     counts stay the same) and lines appended afterwards are read once.

Prints one line per check and a closing `N passed, N failed` line; exit 0 only when all passed.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from scenario_common import BRIDGE_ADDRESS, check, free_port, make_tls, results, run, sha256  # noqa: E402
HOSTS = {1: "verdict-a", 2: "verdict-b", 3: "verdict-c", 4: "verdict-d"}
SENSOR = "zeek-core"
C2_KNOWN = "akamaicontainer.com"          # in Vigil's built-in 3CX indicators
C2_LATER = "cdn-updates.3cx-sync.example.net"  # published only in step 5
WEBHOOK_SECRET = "scenario-webhook-secret"


def host_trees(work: Path):
    """a, b, d: the 3CX-like folder (or a stand-in ffmpeg.dll named by a feed); c: clean files."""
    trees = {k: work / f"tree-{HOSTS[k]}" for k in HOSTS}
    fixture = ROOT / "Fixtures/build/threecx/windows/3CX Desktop App"
    for k in (1, 2, 4):
        if fixture.is_dir():
            shutil.copytree(fixture, trees[k] / "3CX Desktop App")
        else:
            (trees[k] / "3CX Desktop App").mkdir(parents=True)
            (trees[k] / "3CX Desktop App/ffmpeg.dll").write_bytes(b"MZ" + hashlib.sha256(b"stand-in").digest() * 64)
    if not fixture.is_dir():
        print("note: Fixtures/build/threecx is not built (scripts/build-fixtures.sh); a stand-in ffmpeg.dll is named by a feed", flush=True)
    (trees[3] / "docs").mkdir(parents=True)
    for i in range(5):
        (trees[3] / "docs" / f"note-{i}.txt").write_text(f"clean file {i}\n")
    return trees, not fixture.is_dir()


def agent(vigil, k, state, args, machine_ids):
    """`vigil agent …` inside host k: its network namespace, its own host name and machine id."""
    inner = f"hostname {HOSTS[k]} && mount --bind {machine_ids[k]} /etc/machine-id && exec \"$@\""
    cmd = ["ip", "netns", "exec", f"vigil-h{k}", "unshare", "--uts", "--mount", "sh", "-c", inner, "sh",
           str(vigil), "agent", *args, "--state-dir", str(state)]
    return run(cmd, ok_codes=(0, 1), timeout=600)


# --- Zeek logs ------------------------------------------------------------------------------------

def zeek_header(path, fields, types, opened):
    return ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            f"#path\t{path}\n#open\t{time.strftime('%Y-%m-%d-%H-%M-%S', time.gmtime(opened))}\n"
            "#fields\t" + "\t".join(fields) + "\n#types\t" + "\t".join(types) + "\n")


DNS_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id", "query",
              "qtype_name", "rcode_name", "answers"]
DNS_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "count", "string", "string", "string", "vector[string]"]
CONN_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration",
               "orig_bytes", "resp_bytes", "conn_state", "orig_pkts", "resp_pkts"]
CONN_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "count",
              "string", "count", "count"]
DHCP_FIELDS = ["ts", "uids", "client_addr", "server_addr", "mac", "host_name", "client_fqdn", "domain",
               "requested_addr", "assigned_addr", "lease_time", "msg_types", "duration"]
DHCP_TYPES = ["time", "set[string]", "addr", "addr", "string", "string", "string", "string", "addr", "addr",
              "interval", "vector[string]", "interval"]


class Logs:
    """Writes the scenario's Zeek logs and remembers the line of every record it cites."""

    def __init__(self, folder: Path, t0: float):
        self.folder, self.t0 = folder, t0
        self.lines = {}     # label -> (file name, 1-based line)
        self.uid = 0

    def _uid(self):
        self.uid += 1
        return f"Cvs{self.uid:014d}"

    def write(self):
        t0 = self.t0
        move = t0 + 4.0
        dhcp = [
            (t0 - 3600, "02:00:00:00:00:0a", "verdict-a", "10.99.0.11", 86400.0),
            (t0 - 3600, "02:00:00:00:00:0b", "verdict-b", "10.99.0.12", 86400.0),
            (t0 - 3600, "02:00:00:00:00:0c", "verdict-c", "10.99.0.13", 86400.0),
            (t0 - 3000, "02:00:00:00:01:0b", "verdict-b", "10.99.0.50", 86400.0),   # b's second interface
            (move, "02:00:00:00:01:0c", "verdict-c", "10.99.0.50", 86400.0),        # …handed to c half-way
        ]
        dns, conn = [], []
        for i in range(6):   # host a: the known C2, looked up and contacted after its files were reported
            dns.append(("a-c2", t0 + 2 + i, "10.99.0.11", C2_KNOWN, "203.0.113.77"))
            conn.append((t0 + 2.2 + i, "10.99.0.11", "203.0.113.77", 443, "ssl"))
        dns.append(("b-early", t0 + 1.5, "10.99.0.12", "deb.debian.org", "198.51.100.20"))
        dns.append(("b-second", t0 + 2.5, "10.99.0.50", "security.debian.org", "198.51.100.21"))
        dns.append(("b-late", t0 + 7.5, "10.99.0.12", "deb.debian.org", "198.51.100.20"))
        dns.append(("c-early", t0 + 2.0, "10.99.0.13", "www.example.org", "198.51.100.30"))
        dns.append(("c-later-c2", t0 + 6.0, "10.99.0.50", C2_LATER, "203.0.113.99"))
        dns.sort(key=lambda r: r[1])
        conn.sort()

        header = zeek_header("dhcp", DHCP_FIELDS, DHCP_TYPES, t0 - 3600)
        body = "".join(f"{ts:.6f}\t{self._uid()}\t{addr}\t10.99.0.1\t{mac}\t{name}\t-\tcorp\t{addr}\t{addr}\t{lease:.6f}\tREQUEST,ACK\t0.01\n"
                       for ts, mac, name, addr, lease in sorted(dhcp))
        (self.folder / "dhcp.log").write_text(header + body)

        header = zeek_header("dns", DNS_FIELDS, DNS_TYPES, t0)
        base = header.count("\n")
        out = []
        for n, (label, ts, client, query, answer) in enumerate(dns):
            out.append(f"{ts:.6f}\t{self._uid()}\t{client}\t{50000 + n}\t10.99.0.1\t53\tudp\t{n + 1}\t{query}\tA\tNOERROR\t{answer}\n")
            self.lines.setdefault(label, ("dns.log", base + n + 1))
        (self.folder / "dns.log").write_text(header + "".join(out))

        header = zeek_header("conn", CONN_FIELDS, CONN_TYPES, t0)
        out = [f"{ts:.6f}\t{self._uid()}\t{client}\t{51000 + n}\t{server}\t{port}\ttcp\t{svc}\t1.5\t900\t4200\tSF\t9\t8\n"
               for n, (ts, client, server, port, svc) in enumerate(conn)]
        (self.folder / "conn.log").write_text(header + "".join(out))

    def append_dns(self, ts, client, query, answer):
        path = self.folder / "dns.log"
        with open(path, "a") as f:
            f.write(f"{ts:.6f}\t{self._uid()}\t{client}\t53999\t10.99.0.1\t53\tudp\t999\t{query}\tA\tNOERROR\t{answer}\n")
        return sum(1 for _ in open(path))


# --- Listeners for the pushed verdict changes ------------------------------------------------------

class Webhook(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Webhook.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def syslog_listener(port, sink):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((BRIDGE_ADDRESS, port))
    s.settimeout(0.5)

    def loop():
        while not getattr(s, "closed_by_script", False):
            try:
                sink.append(s.recv(65536).decode("utf-8", "replace"))
            except socket.timeout:
                continue
            except OSError:
                return
    threading.Thread(target=loop, daemon=True).start()
    return s


# --- The scenario -----------------------------------------------------------------------------------

def wait_for(predicate, timeout=90, step=0.5):
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        try:
            value = predicate()
        except Exception:  # not there yet (a 404, a partial answer)
            value = None
        if value:
            return value
        time.sleep(step)
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigil", default=str(ROOT / ".build/debug/vigil"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and the namespaces")
    options = parser.parse_args()
    vigil = Path(options.vigil).resolve()
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("unshare") or not shutil.which("openssl"):
        print("SKIPPED: the verdict scenario needs root, iproute2, unshare and openssl")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    if not vigil.exists():
        print(f"vigil binary not found at {vigil}", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="vigil-verdicts-"))
    server = None
    syslog_socket = None
    httpd = None
    try:
        run([ROOT / "scripts/netns.sh", "up", "4"])
        ca, cert, key = make_tls(work, "Vigil verdict scenario CA")
        data = work / "server-data"
        logs_dir = work / "zeek"
        logs_dir.mkdir()
        base = [vigil, "serve"]
        secret_file = work / "enrol.secret"
        secret_file.write_text(run(base + ["secret", "create", "--name", "scenario", "--data-dir", data]).stdout.strip() + "\n")
        run(base + ["user", "add", "analyst", "--role", "analyst", "--data-dir", data])
        token_file = work / "analyst.token"
        token_file.write_text(run(base + ["token", "create", "--user", "analyst", "--data-dir", data]).stdout.strip() + "\n")
        hook_secret = work / "webhook.secret"
        hook_secret.write_text(WEBHOOK_SECRET + "\n")
        for f in (secret_file, token_file, hook_secret):
            os.chmod(f, 0o600)

        hook_port = free_port(BRIDGE_ADDRESS)
        httpd = http.server.ThreadingHTTPServer((BRIDGE_ADDRESS, hook_port), Webhook)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        syslog_port = free_port(BRIDGE_ADDRESS, socket.SOCK_DGRAM)
        syslog_lines = []
        syslog_socket = syslog_listener(syslog_port, syslog_lines)

        port = free_port(BRIDGE_ADDRESS)
        url = f"https://{BRIDGE_ADDRESS}:{port}"
        serve_cmd = base + ["run", "--data-dir", data, "--listen", f"{BRIDGE_ADDRESS}:{port}", "--tls-cert", cert, "--tls-key", key,
                            "--logs", f"{logs_dir}={SENSOR}", "--logs-poll", "1",
                            "--webhook", f"http://{BRIDGE_ADDRESS}:{hook_port}/vigil", "--webhook-secret-file", hook_secret,
                            "--syslog", f"udp://{BRIDGE_ADDRESS}:{syslog_port}", "--syslog-format", "cef"]

        def start_server(label):
            log = open(work / f"serve-{label}.log", "w")
            proc = subprocess.Popen([str(c) for c in serve_cmd], stdout=log, stderr=log)
            listening = wait_for(lambda: socket.create_connection((BRIDGE_ADDRESS, port), timeout=1).close() or True, timeout=60, step=0.3)
            return proc, bool(listening) and proc.poll() is None

        server, up = start_server("first")
        check("server listens with TLS and follows the log folder", up, (work / "serve-first.log").read_text()[-1500:])

        trees, stand_in = host_trees(work)
        machine_ids = {}
        for k in HOSTS:
            machine_ids[k] = work / f"machine-id-{k}"
            machine_ids[k].write_text(hashlib.md5(HOSTS[k].encode()).hexdigest() + "\n")
        fleet = [vigil, "fleet"]
        conn = ["--server", url, "--token-file", token_file, "--ca-file", ca]
        if stand_in:   # without the fixture's planted traits, a vendor hash list names the file
            feed = work / "vendor-hashes.csv"
            feed.write_text("Indicator_type,Data,Note\n" + f"sha256,{sha256(trees[1] / '3CX Desktop App/ffmpeg.dll')},trojanized ffmpeg.dll\n")
            run(fleet + ["feed", "add", feed, "--name", "vendor-hashes", *conn], ok_codes=(0, 1))
        for k in HOSTS:
            state = work / f"agent-{HOSTS[k]}"
            agent(vigil, k, state, ["enroll", "--server", url, "--secret-file", secret_file, "--ca-file", ca], machine_ids)
            p = agent(vigil, k, state, ["once", "--server", url, "--ca-file", ca, "--root", trees[k], "--read-bytes-per-second", "0"], machine_ids)
            check(f"{HOSTS[k]} swept once and reported", p.returncode in (0, 1), p.stderr[-500:])

        # The logs are timed after the sweeps, so contact counts as activity of the files.
        t0 = time.time() + 1
        logs = Logs(logs_dir, t0)
        time.sleep(max(0.0, t0 + 9 - time.time()))
        logs.write()

        def verdicts():
            out = run(fleet + ["verdicts", "--format", "json", *conn], ok_codes=(0, 1)).stdout
            return {v["hostname"]: v for v in json.loads(out or "[]")}

        def settled():
            v = verdicts()
            return v if v.get("verdict-a", {}).get("verdict", {}).get("state") == "active" and len(v) == 4 else None

        v = wait_for(settled, timeout=90) or verdicts()
        state = {h: r["verdict"]["state"] for h, r in v.items()}
        check("the four hosts have a verdict each", sorted(state) == sorted(HOSTS.values()), str(state))
        check("host a is active (its files, then contact with the C2)", state.get("verdict-a") == "active", str(state))
        check("host b is dormant (files, the sensor covers it, no contact)", state.get("verdict-b") == "dormant", str(state))
        check("host c is clean before the C2 name is published", state.get("verdict-c") == "clean", str(state))
        check("host d is unknown-activity (files, no sensor sees it)", state.get("verdict-d") == "unknown-activity", str(state))

        detail_a = json.loads(run(fleet + ["host", "verdict-a", "--format", "json", *conn], ok_codes=(0, 1)).stdout)
        reasons = detail_a["current"]["verdict"]["reasons"]
        contact = [r for r in reasons if r["code"] == "c2-contact-after-file"]
        dns_file, dns_line = logs.lines["a-c2"]
        bad_a = next(trees[1].rglob("ffmpeg.dll"))
        cites_log = any(f"{dns_file}:{dns_line}" in e for r in contact for e in r["evidence"])
        cites_file = any(str(bad_a.parent) in e and "sha256 " in e for r in reasons for e in r["evidence"])
        check("host a's reasons cite dns.log with the line of the first C2 lookup", cites_log, json.dumps(contact)[:800])
        check("host a's reasons cite the file's path and SHA-256", cites_file, json.dumps(reasons)[:800])
        timeline = detail_a.get("timeline", [])
        check("host a's timeline has the file and the first C2 contact",
              {"file-appeared", "first-c2-contact"} <= {e["kind"] for e in timeline}, json.dumps(timeline)[:600])

        detail_d = json.loads(run(fleet + ["host", "verdict-d", "--format", "json", *conn], ok_codes=(0, 1)).stdout)
        missing = detail_d["current"]["verdict"].get("missingCoverage", [])
        check("host d's verdict says which period has no coverage", len(missing) >= 1, json.dumps(detail_d["current"]["verdict"])[:600])
        detail_b = json.loads(run(fleet + ["host", "verdict-b", "--format", "json", *conn], ok_codes=(0, 1)).stdout)
        windows = detail_b["current"]["verdict"].get("coverage", [])
        check("host b's coverage names the sensor", any(w.get("sensor") == SENSOR for w in windows), json.dumps(windows)[:400])

        csv = run(fleet + ["verdicts", "--format", "csv", *conn], ok_codes=(0, 1))
        check("vigil fleet verdicts exits 1 while hosts are active or dormant", csv.returncode == 1, csv.stderr[-300:])
        rows = list(__import__("csv").reader(csv.stdout.splitlines(keepends=True)))
        check("the CSV lists a header and one row per host", len(rows) == 5 and sorted(r[1] for r in rows[1:]) == sorted(HOSTS.values()),
              csv.stdout[:500])

        # Step 5: the name host c looked up is published as C2; the contact index is retro-hunted.
        hooks_before = len(Webhook.received)
        feed = work / "c2-update.txt"
        feed.write_text(C2_LATER + "\n")
        run(fleet + ["feed", "add", feed, "--name", "c2-update", "--format", "json", *conn], ok_codes=(0, 1))
        v = wait_for(lambda: (lambda x: x if x.get("verdict-c", {}).get("verdict", {}).get("state") == "contact-only" else None)(verdicts()), timeout=60)
        state = {h: r["verdict"]["state"] for h, r in (v or verdicts()).items()}
        check("host c turns contact-only from the contact index alone", state.get("verdict-c") == "contact-only", str(state))
        check("host b stays dormant: the moved address was c's by then", state.get("verdict-b") == "dormant", str(state))
        detail_c = json.loads(run(fleet + ["host", "verdict-c", "--format", "json", *conn], ok_codes=(0, 1)).stdout)
        c_file, c_line = logs.lines["c-later-c2"]
        cites = [e for r in detail_c["current"]["verdict"]["reasons"] for e in r["evidence"]]
        check("host c's reason cites dns.log and the line of the lookup", any(f"{c_file}:{c_line}" in e for e in cites), json.dumps(cites)[:600])

        hooks = wait_for(lambda: [b for h, b in Webhook.received[hooks_before:] if b"verdict-c" in b], timeout=30)
        check("the change reaches the webhook", bool(hooks), f"{len(Webhook.received)} posts")
        if hooks:
            headers, body = next((h, b) for h, b in Webhook.received[hooks_before:] if b"verdict-c" in b)
            signature = {k.lower(): v for k, v in headers.items()}.get("x-vigil-signature", "")
            expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
            check("the webhook post carries a valid HMAC signature", hmac.compare_digest(signature, expected), signature)
            change = json.loads(body)
            check("the webhook says clean → contact-only", change.get("from") == "clean" and change.get("to") == "contact-only", body[:300])
        cef = wait_for(lambda: [m for m in syslog_lines if "CEF:0|Vigil|" in m and "verdict-c" in m], timeout=30)
        check("the change reaches syslog as CEF", bool(cef), str(syslog_lines[-3:])[:600])

        # Step 6: SIGKILL and restart; nothing is read twice, and new lines are read once.
        count_before = detail_a["current"]["verdict"]
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        server, up = start_server("second")
        check("the server restarts after SIGKILL", up, (work / "serve-second.log").read_text()[-1500:])
        line = logs.append_dns(time.time(), "10.99.0.12", C2_LATER, "203.0.113.99")
        v = wait_for(lambda: (lambda x: x if x.get("verdict-b", {}).get("verdict", {}).get("state") == "active" else None)(verdicts()), timeout=60)
        state = {h: r["verdict"]["state"] for h, r in (v or verdicts()).items()}
        check("a line appended after the restart is read (host b turns active)", state.get("verdict-b") == "active", str(state))
        detail_b = json.loads(run(fleet + ["host", "verdict-b", "--format", "json", *conn], ok_codes=(0, 1)).stdout)
        cites = [e for r in detail_b["current"]["verdict"]["reasons"] for e in r["evidence"]]
        check("…citing the appended line by its true number", any(f"dns.log:{line}" in e for e in cites), json.dumps(cites)[:600])
        detail_a2 = json.loads(run(fleet + ["host", "verdict-a", "--format", "json", *conn], ok_codes=(0, 1)).stdout)
        counts = lambda d: sorted((e.get("summary"), e.get("path"), e.get("line")) for e in d["current"]["verdict"]["evidence"] if e["kind"] == "log")
        check("host a's log evidence is unchanged by the restart (nothing read twice)",
              counts(detail_a2) == counts({"current": {"verdict": count_before}}), json.dumps(detail_a2["current"]["verdict"]["evidence"])[:600])
        history = detail_b.get("history", [])
        check("host b's history records dormant → active", any(h.get("from") == "dormant" and h.get("to") == "active" for h in history), json.dumps(history)[:400])
    except Exception as error:  # a failed step is a failed check, with its output
        check("scenario ran to the end", False, str(error)[-2000:])
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if httpd is not None:
            httpd.shutdown()
        if syslog_socket is not None:
            syslog_socket.close()
        if not options.keep:
            subprocess.run([str(ROOT / "scripts/netns.sh"), "down"], capture_output=True)
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: {work}")
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) and results else 1


if __name__ == "__main__":
    sys.exit(main())
