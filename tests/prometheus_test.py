#!/usr/bin/env python3
"""GET /metrics scraped by a real Prometheus (Debian's `prometheus`).

Starts `suanli serve` on a fresh data directory, gives the live fleet a
config (H20 and Ascend 910B nodes, a 50% domestic-share rule), nodes, jobs
(some placed, one too big to place), a drain and a node failure; starts a
Prometheus server on loopback in a temp dir that scrapes the service every
second; then checks PromQL answers against the fleet's own API: devices by
origin and state, allocated devices, the domestic share and its rule's
floor, queue length by tenant, decisions and refusals, the HTTP request
counters and the store-write histogram. Prints each comparison.

Usage: prometheus_test.py SUANLI_BINARY. Exit 77 (CTest: skipped) when no
prometheus binary is installed (`make deps` installs it).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

FLEET_CONFIG = """
name = "prometheus-test-fleet"
seed = 7

[scheduler]
queue = "fifo"
placement = "hetero"

[[sites]]
name = "wuhu"

[[sites]]
name = "qingyang"

[[fleet]]
site = "wuhu"
accelerator = "h20"
nodes = 2

[[fleet]]
site = "qingyang"
accelerator = "ascend-910b"
nodes = 3

[[tenants]]
name = "lab"

[[tenants]]
name = "gov"
sensitivity = "confidential"

[[rules]]
id = "sensitive-on-domestic"
kind = "sensitivity-origin"
min_sensitivity = "confidential"
origins = ["CN"]

[[rules]]
id = "domestic-50"
kind = "domestic-share"
min_share = 0.5
measure = "compute"
"""


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def ok(base, method, path, token=None, body=None):
    status, text = call(base, method, path, token, body)
    if status >= 300:
        fail(f"{method} {path}: {status} {text[:300]}")
    return json.loads(text)


class Prom:
    def __init__(self, base):
        self.base = base

    def query(self, expr):
        status, text = call(self.base, "GET", "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        if status != 200:
            fail(f"PromQL {expr}: HTTP {status} {text[:300]}")
        return json.loads(text)["data"]["result"]

    def scalar(self, expr):
        r = self.query(expr)
        return None if not r else float(r[0]["value"][1])

    def by(self, expr, label):
        return {s["metric"].get(label, ""): float(s["value"][1]) for s in self.query(expr)}


def expect(what, got, want, tol=1e-9):
    same = (got is None and want is None) or (
        got is not None and want is not None and abs(got - want) <= tol * max(1.0, abs(want)))
    print(f"  {what}: Prometheus {got}, fleet {want} -> {'ok' if same else 'MISMATCH'}")
    if not same:
        fail(f"{what}: Prometheus says {got}, the fleet says {want}")


def main():
    if len(sys.argv) != 2:
        fail("usage: prometheus_test.py SUANLI_BINARY")
    binary = os.path.abspath(sys.argv[1])
    prometheus = shutil.which("prometheus")
    if not prometheus:
        print("prometheus not installed (make deps installs Debian's prometheus): skipped")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="suanli-prom-")
    procs = []
    try:
        run(binary, prometheus, work, procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


def start_suanli(binary, work, procs):
    data = os.path.join(work, "data")
    made = subprocess.run([binary, "token", "create", "prom-test", "--data-dir", data, "--json"],
                          capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        fail(f"suanli token create: {made.stderr}")
    token = json.loads(made.stdout)["secret"]
    log_path = os.path.join(work, "serve.log")
    log = open(log_path, "w")
    server = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
                              stdout=log, stderr=subprocess.STDOUT)
    procs.append(server)
    for _ in range(600):
        text = open(log_path).read()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", text)
        if m:
            port = int(m.group(1))
            return f"http://127.0.0.1:{port}", port, token
        if server.poll() is not None:
            fail(f"suanli serve exited {server.returncode}: {text[-2000:]}")
        time.sleep(0.1)
    fail("suanli serve printed no 'listening on' line in 60 s")


def drive_fleet(base, token):
    ok(base, "PUT", "/api/v1/fleet/config", token, {"scenario": FLEET_CONFIG})
    jobs = [("gov-finetune", "gov", 8), ("lab-pretrain", "lab", 8), ("lab-serve", "lab", 4),
            ("lab-huge", "lab", 64)]  # the last fits nowhere: queued with refusals
    for name, tenant, devices in jobs:
        ok(base, "POST", "/api/v1/fleet/jobs", token,
           {"name": name, "tenant": tenant, "devices": devices,
            "durations_hours": {"h20": 10, "ascend-910b": 12}})
    nodes = ok(base, "GET", "/api/v1/fleet/nodes")["nodes"]
    ok(base, "POST", f"/api/v1/fleet/nodes/{nodes[0]['name']}/drain", token)
    ok(base, "POST", f"/api/v1/fleet/nodes/{nodes[-1]['name']}/down", token)
    return len(jobs)


def start_prometheus(prometheus, work, suanli_port, procs):
    """Prometheus on a free loopback port (another one if that port is
    taken before Prometheus binds it), ready to answer queries."""
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: suanli
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:{suanli_port}']
""")
    for attempt in range(5):
        port = free_port()
        log_path = os.path.join(work, f"prometheus-{attempt}.log")
        proc = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={work}/tsdb-{attempt}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=open(log_path, "w"), stderr=subprocess.STDOUT, cwd=work)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            if proc.poll() is not None:
                break
            try:
                if call(base, "GET", "/-/ready")[0] == 200:
                    return Prom(base)
            except OSError:
                pass
            time.sleep(0.1)
        print(f"prometheus did not start on port {port}: {open(log_path).read()[-800:]}")
        proc.kill()
    fail("prometheus did not start in 5 attempts")


def wait_for_scrape(prom, fleet_events):
    """Until Prometheus has scraped the service after the last fleet event."""
    for _ in range(600):
        try:
            if (prom.scalar('up{job="suanli"}') == 1 and
                    prom.scalar("sum(suanli_fleet_events_total)") == fleet_events):
                return
        except (OSError, KeyError, ValueError):
            pass
        time.sleep(0.1)
    fail("Prometheus did not scrape the service's final state in 60 s")


def run(binary, prometheus, work, procs):
    base, port, token = start_suanli(binary, work, procs)
    submitted = drive_fleet(base, token)
    status, text = call(base, "GET", "/metrics")
    if status != 200 or "# TYPE suanli_fleet_devices gauge" not in text:
        fail(f"GET /metrics: {status} {text[:300]}")
    summary = ok(base, "GET", "/api/v1/fleet")
    nodes = ok(base, "GET", "/api/v1/fleet/nodes")["nodes"]
    queue = ok(base, "GET", "/api/v1/fleet/queue")["queued"]
    audit = [d["decision"] for d in ok(base, "GET", "/api/v1/fleet/audit?limit=1000")["decisions"]]
    prom = start_prometheus(prometheus, work, port, procs)
    wait_for_scrape(prom, summary["events"])
    print("Prometheus scraped suanli serve; PromQL against the fleet's own API:")

    origin = {t["accelerator"]: t["origin"] for t in summary["types"]}
    want_origin = {}
    for n in nodes:
        want_origin[origin[n["accelerator"]]] = want_origin.get(origin[n["accelerator"]], 0) + n["devices"]
    got_origin = prom.by("sum by (origin) (suanli_fleet_devices)", "origin")
    for o, v in sorted(want_origin.items()):
        expect(f"devices of origin {o}", got_origin.get(o), float(v))
    expect("devices down", prom.scalar('sum(suanli_fleet_devices{state="down"})'),
           float(sum(n["devices"] for n in nodes if not n["up"])))
    expect("devices cordoned", prom.scalar('sum(suanli_fleet_devices{state="cordoned"})'),
           float(sum(n["devices"] for n in nodes if n["up"] and n.get("cordoned"))))
    expect("devices allocated", prom.scalar("sum(suanli_fleet_devices_allocated)"),
           float(sum(t["devices_allocated"] for t in summary["types"])))
    expect("domestic share", prom.scalar("suanli_fleet_domestic_share_ratio"), summary["domestic_share"])
    expect("domestic-50 floor", prom.scalar('suanli_fleet_domestic_share_min_ratio{rule="domestic-50"}'), 0.5)
    expect("share minus floor (PromQL join)",
           prom.scalar("suanli_fleet_domestic_share_ratio - on() group_left "
                       'suanli_fleet_domestic_share_min_ratio{rule="domestic-50"}'),
           None if summary["domestic_share"] is None else summary["domestic_share"] - 0.5)
    got_queue = prom.by("suanli_fleet_queue_length", "tenant")
    want_queue = {}
    for q in queue:
        want_queue[q["tenant"]] = want_queue.get(q["tenant"], 0) + 1
    if not want_queue:
        fail("the test meant to leave a job queued; none is")
    for t, v in sorted(want_queue.items()):
        expect(f"queue length of {t}", got_queue.get(t), float(v))
    for kind in ("submit", "place", "queue"):
        expect(f"decisions {kind}", prom.scalar(f'sum(suanli_fleet_decisions_total{{event="{kind}"}})'),
               float(sum(1 for d in audit if d.get("event") == kind)))
    refusals = sum(len(d.get("refusals", [])) for d in audit if d.get("event") == "queue")
    expect("refusals", prom.scalar("sum(suanli_fleet_refusals_total)"), float(refusals))
    expect("POST /api/v1/fleet/jobs answered 201",
           prom.scalar('sum(suanli_http_requests_total{route="/api/v1/fleet/jobs",method="POST",code="201"})'),
           float(submitted))
    expect("store writes observed = fleet events",
           prom.scalar('sum(suanli_store_write_duration_seconds_count{operation="fleet_event"})'),
           float(summary["events"]))
    p99 = prom.scalar("histogram_quantile(0.99, sum by (le) (suanli_http_request_duration_seconds_bucket))")
    print(f"  p99 API latency (histogram_quantile): {p99} s")
    if p99 is None or not (0 < p99 <= 10):
        fail(f"p99 latency {p99} is not a positive number of seconds")
    print("prometheus test passed")


if __name__ == "__main__":
    main()
