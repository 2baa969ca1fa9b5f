#!/usr/bin/env python3
"""The fleet scenario of the README, run for real: one `vigil serve` and three hosts as network namespaces.

    scripts/fleet-scenario.py [--vigil .build/debug/vigil] [--keep]

What it does (needs root, iproute2, unshare and openssl; Linux only):
  1. makes three hosts vigil-h1..h3 on a private bridge (scripts/netns.sh, 198.18.0.0/24, RFC 2544
     test range: nothing leaves the machine); each agent also gets its own host name and machine id
     (UTS and mount namespaces), as separate machines would have;
  2. makes a test CA and a server certificate for 198.18.0.1, starts `vigil serve` there with TLS
     (SQLite under a temporary data directory), creates an enrolment secret and an analyst token;
  3. host h1 holds a 3CX-like application folder (the fixture tree, when built), h2 a clean folder,
     h3 a folder with one unknown DLL; each agent enrols (pinning the test CA) and sweeps once; then
     every agent is stopped: h3 is "offline" from here on;
  4. an analyst adds a feed naming the SHA-256 of h1's ffmpeg.dll and of h3's DLL (published after
     the sweeps, as vendors did in March 2023); the server retro-hunts the stored inventories;
  5. checks, through `vigil fleet`, that h1 and h3 (offline) are flagged and h2 is not, without any
     agent running, and that the findings name the right path and hash.

  6. disk full: a second server keeps its SQLite file on a small tmpfs; once the disk is full an
     agent's batch is answered 503 and stays spooled (the agent exits 2, nothing is lost); after
     space is freed the next run delivers it and the file is found.

Prints one line per check and a closing `N passed, N failed` line; exit 0 only when all passed.
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from scenario_common import BRIDGE_ADDRESS, check, free_port, make_tls, results, run, sha256  # noqa: E402


def host_trees(work: Path):
    """h1: the 3CX-like folder (or a stand-in ffmpeg.dll), h2: clean files, h3: one unknown DLL."""
    trees = {k: work / f"tree-h{k}" for k in (1, 2, 3)}
    fixture = ROOT / "Fixtures/build/threecx/windows/3CX Desktop App"
    if fixture.is_dir():
        shutil.copytree(fixture, trees[1] / "3CX Desktop App")
    else:
        print("note: Fixtures/build/threecx is not built (scripts/build-fixtures.sh); h1 gets a stand-in ffmpeg.dll", flush=True)
        (trees[1] / "3CX Desktop App").mkdir(parents=True)
        (trees[1] / "3CX Desktop App/ffmpeg.dll").write_bytes(b"MZ" + os.urandom(4096))
    (trees[2] / "docs").mkdir(parents=True)
    for i in range(20):
        (trees[2] / "docs" / f"note-{i}.txt").write_text(f"clean file {i}\n" * (i + 1))
    (trees[3] / "Updater").mkdir(parents=True)
    (trees[3] / "Updater/updsvc.dll").write_bytes(b"MZ" + os.urandom(8192))
    (trees[3] / "Updater/readme.txt").write_text("nothing to see\n")
    return trees


def agent(vigil, k, state, tree, args, machine_ids):
    """`vigil agent …` inside host k: its network namespace, its own host name and machine id."""
    inner = (f"hostname scenario-h{k} && mount --bind {machine_ids[k]} /etc/machine-id && exec \"$@\"")
    cmd = ["ip", "netns", "exec", f"vigil-h{k}", "unshare", "--uts", "--mount", "sh", "-c", inner, "sh",
           str(vigil), "agent", *args, "--state-dir", str(state)]
    return run(cmd, ok_codes=(0, 1), timeout=600)


def disk_full_phase(vigil, work: Path):
    """A server whose disk fills up answers 503; the agent keeps its spool and delivers it later."""
    small = work / "small-disk"
    small.mkdir()
    run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(small)])
    server = None
    try:
        data = small / "data"
        base = [str(vigil), "serve"]
        secret = work / "small.secret"
        secret.write_text(run(base + ["secret", "create", "--name", "disk", "--data-dir", str(data)]).stdout.strip() + "\n")
        run(base + ["user", "add", "viewer", "--role", "viewer", "--data-dir", str(data)])
        token = work / "small.token"
        token.write_text(run(base + ["token", "create", "--user", "viewer", "--data-dir", str(data)]).stdout.strip() + "\n")
        port = free_port("127.0.0.1")
        url = f"http://127.0.0.1:{port}"
        log = open(work / "small-serve.log", "w")
        server = subprocess.Popen(base + ["run", "--data-dir", str(data), "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        state = work / "agent-disk"
        tree = work / "tree-disk"
        tree.mkdir()
        for i in range(300):
            (tree / f"file-{i:03}-{'x' * 60}.bin").write_bytes(os.urandom(64) + bytes([i % 256]))
        run([str(vigil), "agent", "enroll", "--server", url, "--secret-file", str(secret), "--state-dir", str(state)])
        # Fill the disk: the database can no longer grow.
        # Unbuffered, so closing the file does not try (and fail) to write a leftover buffer again.
        with open(small / "filler", "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        once = [str(vigil), "agent", "once", "--server", url, "--root", str(tree), "--state-dir", str(state),
                "--read-bytes-per-second", "0", "--no-default-indicators"]
        full = subprocess.run(once, capture_output=True, text=True, timeout=300)
        spooled = [p for p in state.rglob("*") if p.is_file() and "spool" in str(p.relative_to(state))]
        check("disk full: the agent exits 2 and keeps its batches spooled", full.returncode == 2 and bool(spooled),
              f"exit {full.returncode}, spool {spooled}, stderr {full.stderr[-600:]}")
        served = (work / "small-serve.log").read_text()
        check("disk full: the server answered 503 (unavailable), not an error that loses the batch",
              "503" in full.stderr or "unavailable" in full.stderr.lower() or "503" in served, full.stderr[-600:])
        (small / "filler").unlink()
        again = subprocess.run(once, capture_output=True, text=True, timeout=300)
        check("space freed: the next run delivers the spool", again.returncode == 0, again.stderr[-600:])
        found = subprocess.run([str(vigil), "fleet", "find", "file-007-" + "x" * 60 + ".bin", "--server", url,
                                "--token-file", str(token), "--format", "json"], capture_output=True, text=True)
        check("space freed: the delivered inventory is searchable", found.returncode == 1 and "file-007" in found.stdout,
              found.stdout[-300:] + found.stderr[-300:])
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        subprocess.run(["umount", "-l", str(small)], capture_output=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigil", default=str(ROOT / ".build/debug/vigil"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and the namespaces")
    options = parser.parse_args()
    vigil = Path(options.vigil).resolve()
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("unshare") or not shutil.which("openssl"):
        print("SKIPPED: the fleet scenario needs root, iproute2, unshare and openssl")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    if not vigil.exists():
        print(f"vigil binary not found at {vigil}", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="vigil-scenario-"))
    server = None
    try:
        run([str(ROOT / "scripts/netns.sh"), "up", "3"])
        ca, cert, key = make_tls(work)
        data = work / "server-data"
        base = [str(vigil), "serve"]
        secret_file = work / "enrol.secret"
        secret_file.write_text(run(base + ["secret", "create", "--name", "scenario", "--data-dir", str(data)]).stdout.strip() + "\n")
        run(base + ["user", "add", "analyst", "--role", "analyst", "--data-dir", str(data)])
        token_file = work / "analyst.token"
        token_file.write_text(run(base + ["token", "create", "--user", "analyst", "--data-dir", str(data)]).stdout.strip() + "\n")
        os.chmod(secret_file, 0o600)
        os.chmod(token_file, 0o600)

        port = free_port(BRIDGE_ADDRESS)
        url = f"https://{BRIDGE_ADDRESS}:{port}"
        log = open(work / "serve.log", "w")
        server = subprocess.Popen(base + ["run", "--data-dir", str(data), "--listen", f"{BRIDGE_ADDRESS}:{port}",
                                          "--tls-cert", str(cert), "--tls-key", str(key)], stdout=log, stderr=log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection((BRIDGE_ADDRESS, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        check("server listens on the bridge with TLS", server.poll() is None)

        trees = host_trees(work)
        machine_ids = {}
        for k in (1, 2, 3):
            machine_ids[k] = work / f"machine-id-h{k}"
            machine_ids[k].write_text(hashlib.md5(f"scenario-h{k}".encode()).hexdigest() + "\n")
        for k in (1, 2, 3):
            state = work / f"agent-h{k}"
            agent(vigil, k, state, trees[k], ["enroll", "--server", url, "--secret-file", str(secret_file), "--ca-file", str(ca)], machine_ids)
            key_files = [p for p in state.rglob("*") if p.is_file() and "key" in p.name]
            check(f"h{k} enrolled, its key stored with mode 0600",
                  bool(key_files) and all(oct(p.stat().st_mode & 0o777) == "0o600" for p in key_files),
                  f"files: {[(str(p), oct(p.stat().st_mode)) for p in state.rglob('*')]}")
            p = agent(vigil, k, state, trees[k], ["once", "--server", url, "--ca-file", str(ca), "--root", str(trees[k]),
                                                 "--read-bytes-per-second", "0", "--format", "json"], machine_ids)
            check(f"h{k} swept once and reported", p.returncode in (0, 1), p.stderr[-500:])

        # A client without the pinned CA must not talk to the server.
        fleet = [str(vigil), "fleet"]
        conn = ["--server", url, "--token-file", str(token_file), "--ca-file", str(ca)]
        unpinned = subprocess.run(fleet + ["hosts", "--server", url, "--token-file", str(token_file)], capture_output=True, text=True)
        check("a client that does not trust the test CA is refused", unpinned.returncode == 2, unpinned.stdout + unpinned.stderr)

        hosts = json.loads(run(fleet + ["hosts", "--format", "json", *conn]).stdout)
        names = sorted(h["hostname"] for h in hosts)
        check("three hosts enrolled with their own names", names == ["scenario-h1", "scenario-h2", "scenario-h3"], str(names))
        addresses = {h["hostname"]: sorted(a["address"] for a in h.get("addresses", [])) for h in hosts}
        check("each host reported its namespace address",
              all(addresses.get(f"scenario-h{k}") == [f"198.18.0.{10 + k}"] for k in (1, 2, 3)), str(addresses))

        # Every agent is stopped now (agent once has exited): h3 stays offline for the rest of the run.
        bad1 = next(p for p in trees[1].rglob("ffmpeg.dll"))
        bad3 = trees[3] / "Updater/updsvc.dll"
        feed = work / "vendor-advisory.csv"
        feed.write_text("Indicator_type,Data,Note\n"
                        f"sha256,{sha256(bad1)},trojanized ffmpeg.dll (scenario)\n"
                        f"sha256,{sha256(bad3)},second-stage updater (scenario)\n")
        started = time.monotonic()
        added = run(fleet + ["feed", "add", str(feed), "--name", "vendor-advisory", "--format", "json", *conn], ok_codes=(0, 1))
        elapsed = time.monotonic() - started
        check("the feed is accepted by the server", added.returncode in (0, 1), added.stderr)
        print(f"note: feed add with retro-hunt took {elapsed * 1000:.0f} ms end to end", flush=True)

        found1 = run(fleet + ["find", sha256(bad1), "--format", "json", *conn], ok_codes=(0, 1))
        hits1 = json.loads(found1.stdout or "[]")
        check("find: the trojanized DLL is on h1 only",
              found1.returncode == 1 and sorted({h["hostname"] for h in hits1}) == ["scenario-h1"], found1.stdout)
        found3 = run(fleet + ["find", "updsvc.dll", "--format", "json", *conn], ok_codes=(0, 1))
        hits3 = json.loads(found3.stdout or "[]")
        check("find by name: the offline host h3 holds updsvc.dll",
              found3.returncode == 1 and [h["hostname"] for h in hits3] == ["scenario-h3"], found3.stdout)

        findings = json.loads(run(fleet + ["findings", "--format", "json", *conn], ok_codes=(0, 1)).stdout or "[]")
        def flagged(host, digest):
            return [f for f in findings if f["hostname"] == host and (f["finding"].get("indicator") or "").lower() == digest]
        f1, f3 = flagged("scenario-h1", sha256(bad1)), flagged("scenario-h3", sha256(bad3))
        check("retro-hunt flagged h1 with the feed's hash and the file's path",
              bool(f1) and f1[0]["finding"]["path"] == str(bad1), json.dumps(f1)[:400])
        check("retro-hunt flagged offline h3 without any agent running",
              bool(f3) and f3[0]["finding"]["path"] == str(bad3), json.dumps(f3)[:400])
        clean = [f for f in findings if f["hostname"] == "scenario-h2"]
        check("the clean host h2 has no finding", clean == [], json.dumps(clean)[:400])
        disk_full_phase(vigil, work)
    except Exception as error:  # a failed step is a failed check, with its output
        check("scenario ran to the end", False, str(error)[-2000:])
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
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
