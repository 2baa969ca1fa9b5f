#!/usr/bin/env python3
"""A small stand-in for `vigil serve`, used by VigilAgentTests over a real loopback socket.

It implements the agent routes of the fleet API the way the contract describes them (enrolment,
gzip JSON batches deduplicated by batch id, ETag'd indicators and rules) plus canned answers for
the client routes, and it can be told to misbehave through a JSON plan file that the test rewrites
between calls: answer 503 to the next N batches, revoke the current host key, ask for a resync,
refuse a batch with 400. Every request is logged to log.jsonl; the inventory it holds is written to
state.json after each request.

usage: fake_fleet_server.py WORKDIR   (prints the port on stdout, then serves until killed)
"""
import gzip, json, os, secrets, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORK = sys.argv[1]
PLAN = os.path.join(WORK, "plan.json")
LOG = os.path.join(WORK, "log.jsonl")
STATE = os.path.join(WORK, "state.json")
lock = threading.Lock()
state = {"keys": {}, "revoked": [], "inventory": {}, "batches": [], "enrolments": 0, "duplicates": 0,
         "served_503": 0}


if os.path.exists(STATE):
    # A restarted server keeps its keys, inventory and seen batch ids, like a real one.
    with open(STATE) as f:
        state.update(json.load(f))


def plan():
    try:
        with open(PLAN) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def save_plan(p):
    tmp = PLAN + ".tmp"
    with open(tmp, "w") as f:
        json.dump(p, f)
    os.replace(tmp, PLAN)


def save_state():
    tmp = STATE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, STATE)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=None):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None and not isinstance(body, bytes):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message, headers=None):
        self.reply(status, {"code": code, "message": message}, headers)

    def record(self, extra):
        entry = {"method": self.command, "path": self.path,
                 "authorization": self.headers.get("Authorization"),
                 "if_none_match": self.headers.get("If-None-Match"),
                 "content_encoding": self.headers.get("Content-Encoding")}
        entry.update(extra)
        with open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def host(self):
        auth = self.headers.get("Authorization") or ""
        key = auth[7:] if auth.startswith("Bearer ") else None
        if key in state["revoked"]:
            self.error(401, "host-key-revoked", "this host key was revoked")
            return None
        if key not in state["keys"]:
            self.error(401, "unauthenticated", "unknown host key")
            return None
        return state["keys"][key]

    def do_GET(self):
        with lock:
            self.record({})
            p = plan()
            route = self.path.split("?")[0]
            if route == "/api/v1/agent/indicators":
                if self.host() is None:
                    return
                etag = p.get("indicators_etag", '"i1"')
                if self.headers.get("If-None-Match") == etag:
                    return self.reply(304)
                return self.reply(200, p.get("indicators", []), {"ETag": etag})
            if route == "/api/v1/agent/rules":
                if self.host() is None:
                    return
                etag = p.get("rules_etag", '"r1"')
                if self.headers.get("If-None-Match") == etag:
                    return self.reply(304)
                return self.reply(200, p.get("rules", "").encode(), {"ETag": etag, "Content-Type": "text/plain"})
            if route in ("/api/v1/hosts", "/api/v1/files", "/api/v1/findings", "/api/v1/feeds"):
                if self.headers.get("Authorization") != "Bearer " + p.get("user_token", "vigil_ut_test"):
                    return self.error(401, "unauthenticated", "bad API token")
                return self.reply(200, p.get("canned", {}).get(route, []))
            return self.error(404, "not-found", "no such route")

    def do_POST(self):
        with lock:
            raw = self.body()
            p = plan()
            route = self.path.split("?")[0]
            if route == "/api/v1/agent/enroll":
                req = json.loads(raw)
                self.record({"hostname": req["agent"]["hostname"]})
                if req.get("secret") != p.get("secret", "vigil_es_test"):
                    return self.error(401, "unauthenticated", "unknown enrolment secret")
                state["enrolments"] += 1
                key = "vigil_hk_" + secrets.token_hex(16)
                host_id = p.get("host_id", 7)
                state["keys"][key] = host_id
                save_state()
                return self.reply(200, {"hostID": host_id, "hostKey": key})
            if route == "/api/v1/agent/batches":
                if p.get("revoke_next"):
                    p["revoke_next"] = False
                    save_plan(p)
                    auth = self.headers.get("Authorization") or ""
                    state["revoked"].append(auth[7:])
                host = self.host()
                if host is None:
                    self.record({"status": 401})
                    return
                if p.get("fail_next", 0) > 0:
                    p["fail_next"] -= 1
                    save_plan(p)
                    state["served_503"] += 1
                    save_state()
                    self.record({"status": 503})
                    return self.error(503, "unavailable", "database down", {"Retry-After": "0"})
                if p.get("refuse_next"):
                    p["refuse_next"] = False
                    save_plan(p)
                    self.record({"status": 400})
                    return self.error(400, "malformed", "refused by plan")
                if self.headers.get("Content-Encoding") != "gzip":
                    return self.error(400, "malformed", "batches must be gzip-compressed")
                batch = json.loads(gzip.decompress(raw))
                self.record({"status": 200, "batchID": batch["batchID"], "sequence": batch["sequence"],
                             "files": len(batch["files"]), "removed": len(batch["removed"]),
                             "findings": [f["check"] for f in batch["findings"]],
                             "sweep": batch["sweepID"], "last": batch["isLastOfSweep"],
                             "paths": [f["path"] for f in batch["files"]]})
                inv = state["inventory"].setdefault(str(host), {})
                duplicate = batch["batchID"] in state["batches"]
                if duplicate:
                    state["duplicates"] += 1
                else:
                    state["batches"].append(batch["batchID"])
                    for f in batch["files"]:
                        inv[f["path"]] = f["sha256"]
                    for r in batch["removed"]:
                        inv.pop(r, None)
                resync = bool(p.get("resync_next")) and not duplicate
                if resync:
                    p["resync_next"] = False
                    save_plan(p)
                    inv.clear()
                save_state()
                return self.reply(200, {"batchID": batch["batchID"], "duplicate": duplicate,
                                        "filesApplied": 0 if duplicate else len(batch["files"]),
                                        "filesRemoved": 0 if duplicate else len(batch["removed"]),
                                        "findingsRecorded": len(batch["findings"]), "resync": resync})
            if route == "/api/v1/feeds":
                self.record({"bytes": len(raw)})
                return self.reply(200, p.get("canned", {}).get("feed-add", {}))
            return self.error(404, "not-found", "no such route")


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("FAKE_PORT", "0"))), Handler)
if os.environ.get("FAKE_TLS_CERT"):
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.environ["FAKE_TLS_CERT"], os.environ["FAKE_TLS_KEY"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
save_state()
server.serve_forever()
