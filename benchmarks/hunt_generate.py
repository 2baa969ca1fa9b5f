#!/usr/bin/env python3
"""Generate a synthetic day of Zeek logs for benchmarking `vigil hunt`.

Writes into OUT_DIR:
  dns.log        Zeek TSV dns.log of about --dns-bytes bytes, with 3CX C2 lookups mixed in
                 (upper case, trailing dots, subdomains) and look-alike names that a substring
                 search over-matches (xakamaicontainer.com, akamaicontainer.com.example.net ...).
  conn.log       Zeek TSV conn.log with --conns connections over 24 h from --hosts internal hosts,
                 with 4 embedded beacons (60 s exact, 300 s +-15 s, 3600 s +-120 s, 900 s +-450 s).
  iocs.txt       the 3CX C2 domains (one per line): the pattern file for grep -F -f and vigil --iocs.
  iocs-10k.txt   the same plus 10,000 made-up domains (grep -F slows down with many patterns).
  truth.json     ground truth: how many dns.log lines hold a true C2 name, how many hold only a
                 look-alike, and the beacon pairs.

Deterministic (seeded). Usage: hunt_generate.py OUT_DIR [--dns-bytes N] [--conns N] [--hosts N]
"""
import argparse
import json
import os
import random

C2 = [
    "akamaicontainer.com", "akamaitechcloudservices.com", "azuredeploystore.com", "azureonlinecloud.com",
    "azureonlinestorage.com", "dunamistrd.com", "glcloudservice.com", "journalide.org", "msedgepackageinfo.com",
    "msstorageazure.com", "msstorageboxes.com", "officeaddons.com", "officestoragebox.com", "pbxcloudeservices.com",
    "pbxphonenetwork.com", "pbxsources.com", "qwepoi123098.com", "sbmsa.wiki", "sourceslabs.com",
    "visualstudiofactory.com", "zacharryblogs.com",
]
LOOKALIKES = ["x" + C2[0], C2[0] + ".example.net", "not" + C2[15], C2[17] + "pedia.org", C2[7] + ".uk"]
NORMAL_SUFFIXES = ["example.com", "example.org", "cdn.test", "shop.test", "mail.test", "news.test", "video.test",
                   "api.test", "corp.internal.test", "static.cdn.test", "updates.vendor.test", "tracker.ads.test"]
DNS_HEADER = "\n".join([
    "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tdns",
    "#open\t2023-03-29-00-00-00",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected",
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool",
]) + "\n"
CONN_HEADER = "\n".join([
    "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn",
    "#open\t2023-03-29-00-00-00",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto",
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount",
]) + "\n"
DAY0 = 1680048000  # 2023-03-29T00:00:00Z
UID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def uid(rng):
    return "C" + "".join(rng.choices(UID_CHARS, k=17))


def internal(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}"


def write_dns(path, target_bytes, hosts, rng):
    true_lines = lookalike_lines = 0
    names = [f"{p}{i}.{s}" for i in range(400) for p, s in [("www", NORMAL_SUFFIXES[i % 12]), ("img", NORMAL_SUFFIXES[(i * 7) % 12])]]
    written = 0
    with open(path, "w", buffering=1 << 22) as f:
        f.write(DNS_HEADER)
        t = float(DAY0)
        step = 86400 / max(1, target_bytes // 190)
        batch = []
        while written < target_bytes:
            t += rng.random() * 2 * step
            r = rng.random()
            if r < 0.0005:
                c2 = rng.choice(C2)
                form = rng.randrange(4)
                query = [c2.upper(), c2 + ".", "cdn." + c2, "Api.V2." + c2.title() + "."][form]
                true_lines += 1
            elif r < 0.001:
                query = rng.choice(LOOKALIKES)
                lookalike_lines += 1
            else:
                query = rng.choice(names)
            ans = f"192.0.2.{rng.randrange(1, 255)},198.51.100.{rng.randrange(1, 255)}"
            line = (f"{t:.6f}\t{uid(rng)}\t{internal(rng.randrange(hosts))}\t{rng.randrange(1024, 65535)}\t10.0.0.53\t53\tudp\t"
                    f"{rng.randrange(65536)}\t0.00{rng.randrange(100, 999)}\t{query}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t{ans}\t60.000000,60.000000\tF\n")
            batch.append(line)
            written += len(line)
            if len(batch) >= 10000:
                f.write("".join(batch))
                batch.clear()
        f.write("".join(batch))
        f.write("#close\t2023-03-30-00-00-00\n")
    return true_lines, lookalike_lines


def write_conn(path, conns, hosts, rng):
    beacons = [
        ("10.99.0.1", "203.0.113.10", 60, 0),
        ("10.99.0.2", "203.0.113.20", 300, 15),
        ("10.99.0.3", "203.0.113.30", 3600, 120),
        ("10.99.0.4", "203.0.113.40", 900, 450),
    ]
    rows = []
    for src, dst, period, jitter in beacons:
        t = DAY0 + rng.random() * period
        while t < DAY0 + 86400:
            rows.append((t, src, dst, 1400 + rng.randrange(-10, 11)))
            t += period + (rng.uniform(-jitter, jitter) if jitter else 0)
    beacon_rows = len(rows)
    remaining = conns - beacon_rows
    # Background: half the connections go to a small set of popular servers (many repeated pairs),
    # half to random addresses (mostly one-off pairs: the hash-map worst case).
    with open(path, "w", buffering=1 << 22) as f:
        f.write(CONN_HEADER)
        times = sorted(DAY0 + rng.random() * 86400 for _ in range(remaining))
        bi = 0
        rows.sort()
        batch = []
        for k, t in enumerate(times):
            while bi < beacon_rows and rows[bi][0] <= t:
                bt, src, dst, b = rows[bi]
                batch.append(f"{bt:.6f}\t{uid(rng)}\t{src}\t{rng.randrange(1024, 65535)}\t{dst}\t443\ttcp\tssl\t0.2\t{b - 52}\t900\tSF\tT\tF\t0\tShADadFf\t6\t{b}\t5\t1200\t-\t6\n")
                bi += 1
            src = internal(rng.randrange(hosts))
            if k & 1:
                dst = f"198.18.{rng.randrange(0, 4)}.{rng.randrange(1, 255)}"
            else:
                dst = f"{rng.randrange(11, 220)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            ob = rng.randrange(40, 200000)
            batch.append(f"{t:.6f}\t{uid(rng)}\t{src}\t{rng.randrange(1024, 65535)}\t{dst}\t443\ttcp\tssl\t{rng.random() * 30:.6f}\t{ob}\t{rng.randrange(40, 900000)}\tSF\tT\tF\t0\tShADadFf\t{ob // 1400 + 3}\t{ob + 160}\t12\t{rng.randrange(200, 900000)}\t-\t6\n")
            if len(batch) >= 10000:
                f.write("".join(batch))
                batch.clear()
        while bi < beacon_rows:
            bt, src, dst, b = rows[bi]
            batch.append(f"{bt:.6f}\t{uid(rng)}\t{src}\t40000\t{dst}\t443\ttcp\tssl\t0.2\t{b - 52}\t900\tSF\tT\tF\t0\tShADadFf\t6\t{b}\t5\t1200\t-\t6\n")
            bi += 1
        f.write("".join(batch))
    return [{"source": s, "destination": d, "period": p, "jitter": j} for s, d, p, j in beacons]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--dns-bytes", type=int, default=1 << 30)
    ap.add_argument("--conns", type=int, default=10_000_000)
    ap.add_argument("--hosts", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=20230329)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    with open(os.path.join(a.out, "iocs.txt"), "w") as f:
        f.write("\n".join(C2) + "\n")
    with open(os.path.join(a.out, "iocs-10k.txt"), "w") as f:
        f.write("\n".join(C2 + [f"bad{i}-{rng.randrange(10**6)}.example" for i in range(10000)]) + "\n")
    truth = {}
    if a.dns_bytes > 0:
        t, l = write_dns(os.path.join(a.out, "dns.log"), a.dns_bytes, a.hosts, rng)
        truth["dns_true_c2_lines"] = t
        truth["dns_lookalike_lines"] = l
    if a.conns > 0:
        truth["beacons"] = write_conn(os.path.join(a.out, "conn.log"), a.conns, a.hosts, rng)
        truth["connections"] = a.conns
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    print(json.dumps(truth))


if __name__ == "__main__":
    main()
