#!/usr/bin/env python3
"""Browser test of the web console (docs/console.md).

Starts `vigil serve` on a free loopback port over a fresh data directory, creates an admin with a
password (standard input), enrols hosts through the API and posts batches (one holds a known-bad
SHA-256 of the built-in 3CX set), then drives headless Chromium with Selenium: sign in, overview,
hosts, a host, the hash page, a feed upload (retro-hunt), the verdict filter, a host's verdict and
timeline chart, adding an analyst (admin), an API token, sign out; then the analyst marks a finding. Saves a screenshot per page and
fails on any browser console message of level SEVERE (script errors, failed loads, CSP violations).

Usage: console-browser-test.py PATH/TO/vigil ARTEFACT_DIR
Exit 0 pass, 1 fail, 77 skipped (Chromium, chromedriver or selenium missing).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

BAD_SHA256 = "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896"  # 3CX ffmpeg.dll (built-in set)
PASSWORD = "browser-test-password"
# The host expected under a verdict in the seeded scenario, and that verdict.
VERDICT_HOST = ("build-01", "active")


def skip(why):
    print(f"console browser test SKIPPED: {why}", file=sys.stderr)
    sys.exit(77)


try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    skip("Python selenium is not installed (pip install selenium)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if not CHROMIUM or not DRIVER:
    skip("Debian chromium and chromium-driver are not installed")


def api(base, path, body, token=None):
    data = json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST", headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def seed(base, secret):
    hosts = [
        ("build-01", "10.20.0.11", "0.3.0", [("/opt/3cx/ffmpeg.dll", BAD_SHA256), ("/opt/3cx/3CXDesktopApp", None)]),
        ("ws-finance-07", "10.20.4.17", "0.3.0", [("/usr/lib/libssl.so.3", None)]),
        ("ws-dev-12", "10.20.4.32", "0.2.1", [("/usr/local/bin/node", None)]),
        ("db-primary", "10.20.1.5", "0.3.0", [("/usr/lib/postgresql/15/bin/postgres", None)]),
    ]
    planted = None
    for name, address, version, files in hosts:
        agent = {"hostname": name, "hostIdentifier": "machine-" + name, "os": "linux", "osVersion": "Debian 12",
                 "agentVersion": version, "addresses": [address]}
        enrolled = api(base, "/api/v1/agent/enroll", {"secret": secret, "agent": agent})
        inventory = []
        for path, sha in files:
            sha = sha or uuid.uuid4().hex + uuid.uuid4().hex
            if name == "ws-dev-12":
                planted = (path, sha)
            inventory.append({"path": path, "sha256": sha, "size": 123456, "modified": 1700000000})
        batch = {"batchID": str(uuid.uuid4()), "agent": agent, "sweepID": "s1", "sequence": 1, "isLastOfSweep": True,
                 "sweepStarted": 1700000000, "sweepFinished": 1700000100, "roots": ["/"], "files": inventory,
                 "removed": [], "findings": []}
        api(base, "/api/v1/agent/batches", batch, token=enrolled["hostKey"])
    return planted


C2_DOMAIN = "update-cdn.badvendor-c2.example"


def network_report(base, token):
    """A sensor's report: build-01's address asked for C2_DOMAIN just now, and a DHCP lease names the
    address's holder. Nothing matches yet; the feed upload's network retro-hunt finds it later."""
    now = time.time()
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    report = {
        "sensor": "zeek-test", "reportID": str(uuid.uuid4()),
        "generatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "contacts": {"sensor": "zeek-test", "maxRows": 1000, "names": [
            {"day": day, "client": "10.20.0.11", "name": C2_DOMAIN, "count": 3, "firstSeen": now - 30, "lastSeen": now,
             "logs": ["dns"], "evidenceFile": "dns.log", "evidenceLine": 41}],
            "servers": [], "droppedContacts": 0, "rejectedNames": 0, "withoutClient": 0},
        "hits": [], "beacons": [],
        "leases": [{"address": "10.20.0.11", "mac": "52:54:00:12:34:56", "hostName": "build-01", "start": now - 86400,
                    "end": now + 86400, "server": "10.20.0.1", "evidenceFile": "dhcp.log", "evidenceLine": 7}],
    }
    return api(base, "/api/v1/network-reports", report, token=token)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    vigil, artefacts = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(artefacts, exist_ok=True)
    data = tempfile.mkdtemp(prefix="vigil-console-browser-")
    server = None
    driver = None
    failures = []
    try:
        store = ["--data-dir", data]
        subprocess.run([vigil, "serve", "user", "add", "admin", "--role", "admin", "--password-stdin"] + store,
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        secret = subprocess.run([vigil, "serve", "secret", "create", "--name", "browser-test"] + store,
                                text=True, check=True, capture_output=True).stdout.strip()
        token = subprocess.run([vigil, "serve", "token", "create", "--user", "admin", "--name", "sensor"] + store,
                               text=True, check=True, capture_output=True).stdout.strip()
        server = subprocess.Popen([vigil, "serve", "--listen", "127.0.0.1:0"] + store,
                                  stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        base = None
        deadline = time.time() + 60
        while time.time() < deadline and base is None:
            line = server.stderr.readline()
            if not line:
                break
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                base = m.group(1)
        if not base:
            print("vigil serve did not start", file=sys.stderr)
            return 1
        planted_path, planted_sha = seed(base, secret)
        time.sleep(1)  # the contact comes after the file appeared
        ack = network_report(base, token)
        verdicts_expected = ack.get("duplicate") is False

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,1000"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
        driver.set_page_load_timeout(30)

        def visit(path, shot):
            if path is not None:
                driver.get(base + path)
            driver.save_screenshot(os.path.join(artefacts, shot + ".png"))
            for entry in driver.get_log("browser"):
                if entry.get("level") == "SEVERE":
                    failures.append(f"{shot}: browser console: {entry.get('message')}")
            return driver.page_source

        def expect(cond, what):
            if not cond:
                failures.append(what)

        visit("/", "00-redirected-to-login")
        expect(driver.current_url.endswith("/login"), f"/ without a session went to {driver.current_url}, not /login")
        driver.find_element(By.NAME, "user").send_keys("admin")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        html = visit(None, "01-overview")
        expect(driver.current_url.rstrip("/") == base, f"after sign-in the browser is at {driver.current_url}")
        expect("hosts enrolled" in html and "build-01" in html, "the overview lacks the host count or the 3CX finding")

        html = visit("/hosts?q=build", "02-hosts")
        expect("build-01" in html and "ws-dev-12" not in html, "the host search for 'build' is wrong")
        driver.find_element(By.LINK_TEXT, "build-01").click()
        html = visit(None, "03-host")
        expect("/opt/3cx/ffmpeg.dll" in html and "10.20.0.11" in html, "the host page lacks its finding or address")

        html = visit("/hash/" + BAD_SHA256, "04-hash")
        expect("known bad" in html and "build-01" in html, "the hash page lacks the indicator or the host holding it")

        # Upload a feed naming ws-dev-12's file: the retro-hunt must find it.
        feed = os.path.join(data, "advisory.txt")
        with open(feed, "w") as f:
            # The advisory also lists the 3CX ffmpeg.dll digest, so build-01's file and the C2 domain share
            # a campaign (the feed that published both) and the contact makes the host active.
            f.write(f"# vendor advisory\n{planted_sha}\n{BAD_SHA256}\n{C2_DOMAIN}\n")
        visit("/feeds", "05-feeds")
        driver.find_element(By.NAME, "name").send_keys("vendor-advisory")
        driver.find_element(By.NAME, "file").send_keys(feed)
        driver.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()
        html = visit(None, "06-feed-imported")
        expect("Imported vendor-advisory" in html and "<strong>1</strong> hosts" in html,
               "the feed upload did not report its retro-hunt hit")
        html = visit("/hosts/3", "07-retro-hunted-host")
        expect(planted_path in html, "the retro-hunt finding is not on the host page")

        html = visit("/", "08-overview-after-hunt")
        expect("vendor-advisory" in html and "ws-dev-12" in html, "the overview lacks the new feed or the retro-hunt finding")
        visit("/agents", "09-agents")
        time.sleep(2)  # the verdict pass after the network retro-hunt runs in the background

        # The verdict filter of the host list (a form without script: choose, submit).
        visit("/hosts", "12-hosts-verdicts")
        Select(driver.find_element(By.NAME, "verdict")).select_by_value(VERDICT_HOST[1])
        driver.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
        html = visit(None, "13-hosts-filtered")
        expect(f"verdict={VERDICT_HOST[1]}" in driver.current_url, f"the verdict filter did not submit: {driver.current_url}")
        expect(f"Hosts whose verdict is {VERDICT_HOST[1]}" in html, "the filtered host list lacks its note")
        if verdicts_expected:
            expect(VERDICT_HOST[0] in html, f"{VERDICT_HOST[0]} is not listed under verdict {VERDICT_HOST[1]}")
        # The host page with its verdict and timeline chart.
        html = visit("/hosts/1", "14-host-verdict")
        if verdicts_expected:
            expect(f'verdict-{VERDICT_HOST[1]}"' in html, "the host page lacks the verdict")
            expect('id="host-timeline-t"' in html and "<circle" in html, "the host page lacks the timeline chart")
        visit("/hosts/1#timeline", "14b-host-timeline")

        # An administrator adds an analyst: password typed twice.
        visit("/users", "15-users")
        form = driver.find_element(By.ID, "add-user")
        form.find_element(By.NAME, "name").send_keys("analyst-anna")
        Select(form.find_element(By.NAME, "role")).select_by_value("analyst")
        form.find_element(By.NAME, "password").send_keys(PASSWORD + "-anna")
        form.find_element(By.NAME, "again").send_keys(PASSWORD + "-anna")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 30).until(lambda d: "added; they can sign in" in d.page_source or "problem" in d.page_source)
        html = visit(None, "16-user-added")
        expect("User analyst-anna (analyst) added" in html, "adding a user did not confirm")

        # Own API tokens: created and shown once.
        visit("/tokens", "17-tokens")
        driver.find_element(By.NAME, "name").send_keys("laptop")
        driver.find_element(By.CSS_SELECTOR, "form.row button[type=submit]").click()
        html = visit(None, "18-token-created")
        expect(re.search(r"vigil_ut_[0-9a-f]{16,}", html) is not None, "the new API token is not shown")

        driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
        visit(None, "10-signed-out")
        expect(driver.current_url.endswith("/login"), "sign-out did not return to /login")
        visit("/", "11-after-sign-out")
        expect(driver.current_url.endswith("/login"), "the session still worked after sign-out")

        # The analyst marks build-01's 3CX finding from the host page.
        driver.find_element(By.NAME, "user").send_keys("analyst-anna")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD + "-anna")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        # bcrypt takes a moment: wait for the sign-in to land before navigating on.
        WebDriverWait(driver, 30).until(lambda d: not d.current_url.endswith("/login"))
        visit("/hosts/1", "19-analyst-host")
        form = driver.find_element(By.CSS_SELECTOR, "form.markform")
        Select(form.find_element(By.NAME, "status")).select_by_value("confirmed")
        form.find_element(By.NAME, "note").send_keys("called home; <b>isolate</b>")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        html = visit(None, "20-finding-marked")
        expect("markt-confirmed" in html and "by analyst-anna" in html, "the mark is not shown on the host page")
        expect("called home; &lt;b&gt;isolate&lt;/b&gt;" in html, "the mark's note is not shown escaped")
        html = visit("/", "21-overview-marked")
        expect("1 confirmed" in html, "the overview does not count the mark")
        expect("/users" not in driver.page_source, "an analyst's navigation offers the users page")
        driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
        visit(None, "23-analyst-signed-out")
    finally:
        if driver is not None:
            driver.quit()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(data, ignore_errors=True)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    print(f"console browser test: {'FAILED' if failures else 'passed'}; screenshots in {artefacts}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
