"""What the namespace scenarios (fleet-scenario.py, verdict-scenario.py) share: checks, commands,
free ports, a throw-away TLS CA and server certificate for the bridge address, digests."""
import hashlib
import socket
import subprocess
from pathlib import Path

BRIDGE_ADDRESS = "198.18.0.1"
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""), flush=True)


def run(cmd, *, ok_codes=(0,), env=None, timeout=300, stdin=None):
    p = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=timeout, input=stdin)
    if p.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


def free_port(address, kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def make_tls(folder: Path, ca_name="Vigil scenario test CA"):
    """A test CA and a server certificate for the bridge address, valid two days."""
    ca_key, ca_cert = folder / "ca.key", folder / "ca.pem"
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    ext = folder / "san.ext"
    ext.write_text(f"subjectAltName=IP:{BRIDGE_ADDRESS}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", f"/CN={ca_name}", "-keyout", ca_key, "-out", ca_cert])
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", f"/CN={BRIDGE_ADDRESS}", "-keyout", key, "-out", csr])
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
         "-extfile", ext, "-out", cert])
    return ca_cert, cert, key


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
