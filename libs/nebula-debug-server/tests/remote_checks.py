#!/usr/bin/env python3
"""The memory server checked by what reads it: Prometheus scraping nebula-demo --serve,
`go tool pprof` fetching the live heap profile, promtool reading the docs' config and alert
rules, and NEBULA_HTTP starting a server in a program that never asks for one.

  remote_checks.py prometheus DEMO       Prometheus scrapes the demo; its API answers a query
  remote_checks.py pprof DEMO            go tool pprof -top over HTTP names the mesher
  remote_checks.py environment DEMO      NEBULA_HTTP=127.0.0.1:0: tags, no budget rows; a wrong
                                         one is refused with its reason and the program runs on
  remote_checks.py rules REMOTE_MD TEST  the docs' prometheus.yml and alert rules: promtool
                                         check config, then its unit test of the alerts

Exit 0 passed, 1 failed, 77 skipped (a tool missing). Every process started is killed on exit.
Nothing here measures time: each wait is for a condition, with a generous bound.
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

SKIP = 77
# Bounds on waits for a condition, generous for a loaded 2-core machine; never a measurement.
WAIT_SECONDS = 180
# The token the pprof check starts the demo with.
PPROF_TOKEN = "pprof-check-token"

processes = []


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def start(command, **kwargs):
    process = subprocess.Popen(command, **kwargs)
    processes.append(process)
    return process


def stop_all():
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def get(url, timeout=60):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def wait_for(what, condition, process=None):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            fail(f"{what}: the process exited ({process.returncode}) first")
        result = condition()
        if result:
            return result
        time.sleep(0.25)
    fail(f"{what}: not within {WAIT_SECONDS} s")


def demo_with_server(demo, scratch, extra_env=None, serve="127.0.0.1:0"):
    """Starts the demo headless for as long as the test needs it; returns (process, port)."""
    stderr_path = os.path.join(scratch, "demo.stderr")
    env = dict(os.environ, NEBULA_LEAK_REPORT="0", **(extra_env or {}))
    command = [demo, "--headless", "--frames", "100000000"]
    if serve:
        command += ["--serve", serve]
    stderr = open(stderr_path, "w")
    process = start(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    pattern = re.compile(r"(?:memory server on http://127\.0\.0\.1:|memory server on 127\.0\.0\.1:)(\d+)")

    def port():
        with open(stderr_path) as text:
            found = pattern.search(text.read())
        return int(found.group(1)) if found else None

    return process, wait_for("the demo's server address on its standard error", port, process)


def metrics(port, token=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    status, body = get(request)
    if status != 200:
        fail(f"/metrics answered {status}")
    return body.decode()


def meshes_allocated(port, token=None):
    found = re.search(r'^nebula_allocator_live_bytes\{tag="Meshes"\} (\d+)$', metrics(port, token),
                      re.M)
    return int(found.group(1)) if found else 0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_prometheus(demo):
    prometheus = shutil.which("prometheus")
    if not prometheus:
        print("SKIP: no prometheus (Debian: prometheus)")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="nebula-prometheus-") as scratch:
        demo_process, port = demo_with_server(demo, scratch)
        config = os.path.join(scratch, "prometheus.yml")
        with open(config, "w") as out:
            out.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                      "scrape_configs:\n  - job_name: nebula\n    static_configs:\n"
                      f"      - targets: ['127.0.0.1:{port}']\n")
        # A free port chosen now may be taken before Prometheus binds it: try a few.
        for attempt in range(5):
            web_port = free_port()
            log = open(os.path.join(scratch, f"prometheus-{attempt}.log"), "w")
            server = start([prometheus, f"--config.file={config}",
                            f"--storage.tsdb.path={os.path.join(scratch, f'data-{attempt}')}",
                            f"--web.listen-address=127.0.0.1:{web_port}"],
                           stdout=log, stderr=subprocess.STDOUT)

            def ready():
                if server.poll() is not None:
                    return "exited"
                try:
                    return get(f"http://127.0.0.1:{web_port}/-/ready", timeout=5)[0] == 200
                except (urllib.error.URLError, OSError):
                    return False

            if wait_for("Prometheus ready", ready) is True:
                break
        else:
            fail("Prometheus did not start on any of 5 ports")

        api = f"http://127.0.0.1:{web_port}/api/v1"

        def query(expression):
            url = f"{api}/query?" + urllib.parse.urlencode({"query": expression})
            answer = json.loads(get(url)[1])
            if answer.get("status") != "success":
                fail(f"query {expression}: {answer}")
            return answer["data"]["result"]

        meshes = 'nebula_subsystem_current_bytes{subsystem="Meshes"}'
        result = wait_for(f"Prometheus to hold {meshes}", lambda: query(meshes), demo_process)
        value = float(result[0]["value"][1])
        print(f"{meshes} = {value:.0f} (from Prometheus)")
        if value <= 0:
            fail(f"{meshes} is {value}")
        # Every scrape parsed: the target is up and its last scrape had no error.
        targets = json.loads(get(f"{api}/targets")[1])["data"]["activeTargets"]
        if len(targets) != 1 or targets[0]["health"] != "up" or targets[0]["lastError"]:
            fail(f"the demo's target: {targets}")
        expressions = ['sum(nebula_resident_bytes)',
                       'nebula_subsystem_budget_bytes{subsystem="Chunks"}']
        # Tags exist where tracking is compiled in (not in Release).
        if 'nebula_allocations_total{tag="Chunks"}' in metrics(port):
            expressions.append('nebula_allocations_total{tag="Chunks"}')
        for expression in expressions:
            result = query(expression)
            if not result or float(result[0]["value"][1]) <= 0:
                fail(f"{expression}: {result}")
        promtool = shutil.which("promtool")
        if promtool:
            lint = subprocess.run([promtool, "check", "metrics"], input=metrics(port).encode(),
                                  capture_output=True, timeout=60)
            if lint.returncode != 0:
                fail(f"promtool check metrics: {lint.stdout.decode()} {lint.stderr.decode()}")
    return 0


def check_pprof(demo):
    go = shutil.which("go")
    if not go:
        print("SKIP: no go (Debian: golang-go)")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="nebula-pprof-") as scratch:
        # Sampled often, with fixed draws, and fetched once the mesher holds megabytes: its
        # blocks are in the profile for certain, not by luck. With a token, which pprof sends as
        # the password in the URL (it has no way to send a header of its own).
        demo_process, port = demo_with_server(
            demo, scratch, {"NEBULA_SAMPLING_INTERVAL": "16384", "NEBULA_SAMPLING_SEED": "1",
                            "NEBULA_HTTP_TOKEN": PPROF_TOKEN})
        wait_for("4 MiB of the demo's meshes",
                 lambda: meshes_allocated(port, PPROF_TOKEN) >= 4 << 20, demo_process)
        env = dict(os.environ, HOME=scratch, PPROF_TMPDIR=scratch,
                   GOCACHE=os.path.join(scratch, "cache"), GOPATH=os.path.join(scratch, "go"),
                   GOTOOLCHAIN="local", GOFLAGS="")
        unauthorised = subprocess.run([go, "tool", "pprof", "-top",
                                       f"http://127.0.0.1:{port}/debug/pprof/heap"],
                                      capture_output=True, env=env, cwd=scratch,
                                      timeout=WAIT_SECONDS)
        if unauthorised.returncode == 0 or b"401" not in unauthorised.stderr:
            fail("pprof read the profile without the token: "
                 f"{unauthorised.returncode} {unauthorised.stderr.decode()}")
        url = f"http://pprof:{PPROF_TOKEN}@127.0.0.1:{port}/debug/pprof/heap"
        top = subprocess.run([go, "tool", "pprof", "-top", url], capture_output=True, env=env,
                             cwd=scratch, timeout=WAIT_SECONDS)
        output = top.stdout.decode()
        print(output)
        if top.returncode != 0:
            fail(f"go tool pprof -top {url}: {top.stderr.decode()}")
        if "build_chunk_mesh" not in output:
            fail("the mesher (nebula::demo::build_chunk_mesh) is not in the live profile")
    return 0


def check_environment(demo):
    with tempfile.TemporaryDirectory(prefix="nebula-environment-") as scratch:
        process, port = demo_with_server(demo, scratch, {"NEBULA_HTTP": "127.0.0.1:0"},
                                         serve=None)
        wait_for("the demo's Meshes tag",
                 lambda: re.search(r'^nebula_allocator_live_bytes\{tag="Meshes"\} [1-9]',
                                   metrics(port), re.M), process)
        text = metrics(port)
        if re.search(r"^nebula_subsystem_current_bytes\{", text, re.M):
            fail("NEBULA_HTTP's server shows budget rows, which it cannot know")
        status, snapshot = get(f"http://127.0.0.1:{port}/snapshot.json")
        if status != 200 or json.loads(snapshot)["subsystems"] != []:
            fail("NEBULA_HTTP's snapshot has rows")
        # --serve then finds the one server of the process taken, and says so.
        refused = subprocess.run([demo, "--headless", "--frames", "1", "--serve", "0"],
                                 env=dict(os.environ, NEBULA_HTTP="127.0.0.1:0",
                                          NEBULA_LEAK_REPORT="0"),
                                 capture_output=True, timeout=WAIT_SECONDS)
        if refused.returncode != 1 or b"already running" not in refused.stderr:
            fail(f"--serve under NEBULA_HTTP: {refused.returncode} {refused.stderr.decode()}")
    # Beyond loopback without a token, and nonsense: refused with the reason; the program runs.
    for value, reason in [("0.0.0.0:0", b"token"), ("nonsense", b"ADDRESS:PORT")]:
        run = subprocess.run([demo, "--headless", "--frames", "1"],
                             env=dict(os.environ, NEBULA_HTTP=value, NEBULA_LEAK_REPORT="0"),
                             capture_output=True, timeout=WAIT_SECONDS)
        if run.returncode != 0 or b"NEBULA_HTTP" not in run.stderr or reason not in run.stderr:
            fail(f"NEBULA_HTTP={value}: {run.returncode} {run.stderr.decode()}")
    return 0


def yaml_blocks(markdown_path):
    """The docs' YAML blocks whose first line is '# FILE.yml', by file name."""
    text = open(markdown_path).read()
    blocks = {}
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        first = block.split("\n", 1)[0]
        found = re.fullmatch(r"# ([\w.-]+\.yml)", first)
        if found:
            blocks[found.group(1)] = block
    return blocks


def check_rules(remote_md, unit_test):
    promtool = shutil.which("promtool")
    if not promtool:
        print("SKIP: no promtool (Debian: prometheus)")
        return SKIP
    blocks = yaml_blocks(remote_md)
    for name in ("prometheus.yml", "nebula-alerts.yml"):
        if name not in blocks:
            fail(f"{remote_md} has no yaml block starting '# {name}'")
    with tempfile.TemporaryDirectory(prefix="nebula-rules-") as scratch:
        for name, block in blocks.items():
            with open(os.path.join(scratch, name), "w") as out:
                out.write(block)
        shutil.copy(unit_test, os.path.join(scratch, "alerts_test.yml"))
        for command in (["check", "rules", "nebula-alerts.yml"],
                        ["check", "config", "--syntax-only", "prometheus.yml"],
                        ["test", "rules", "alerts_test.yml"]):
            run = subprocess.run([promtool] + command, cwd=scratch, capture_output=True,
                                 timeout=WAIT_SECONDS)
            print(run.stdout.decode(), run.stderr.decode())
            if run.returncode != 0:
                fail(f"promtool {' '.join(command)} exited {run.returncode}")
    return 0


def main():
    checks = {"prometheus": check_prometheus, "pprof": check_pprof,
              "environment": check_environment, "rules": check_rules}
    if len(sys.argv) < 3 or sys.argv[1] not in checks:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return checks[sys.argv[1]](*sys.argv[2:])
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
