#!/usr/bin/env python3
"""Instructions per request of two `scimdesk` builds, side by side: a deterministic A/B.

The benchmark (scripts/bench.sh) measures time against a bare axum server run beside it; on a
shared virtual machine its absolute numbers move by 20-40% from one run to the next. This counts
what does not move: the instructions `scimdesk serve` executes per request (valgrind's callgrind,
user space only), for the same requests on the same seeded directory, phase by phase.

    scripts/with-keychain.sh python3 scripts/ab-instructions.py OLD_BINARY NEW_BINARY [--employees N]

Build the old binary from a worktree (git worktree add ../old <commit>; cargo build --release
-p scimdesk --bin scimdesk there). Needs valgrind (apt-get install valgrind). About two minutes
per binary. Prints, per operation, instructions per request of each and their ratio.
"""
import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import tempfile
import time

# Requests per phase, after three unmeasured ones.
PHASES = {"get": 300, "filter_username": 300, "page_first": 40, "post": 150, "put": 100, "patch": 150}


def measure(binary, work, employees):
    def scimdesk(*args):
        return subprocess.run([binary, "--data-dir", work, *args], check=True,
                              capture_output=True, text=True).stdout

    added = json.loads(scimdesk("connection", "add", "ab", "--json"))
    scimdesk("dev", "seed", str(employees), "--connection", "ab")
    scimdesk("config", "set", "rate-limit", "off")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    out = os.path.join(work, "callgrind.out")
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary,
         "--data-dir", work, "serve", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "w"))
    conn = None
    while conn is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            conn.connect()
        except OSError:
            conn = None
            if server.poll() is not None:
                raise SystemExit(f"{binary} serve exited; see {work}/serve.log")
            time.sleep(0.2)
    headers = {"Authorization": f"Bearer {added['token']}", "Content-Type": "application/scim+json"}
    base = f"/scim/v2/{added['id']}"

    def request(method, path, body=None, expect=None):
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        if expect and answer.status != expect:
            raise SystemExit(f"{method} {path} -> {answer.status} {data[:300]!r}")
        return data

    page = json.loads(request("GET", f"{base}/Users?startIndex=1&count=100", expect=200))["Resources"]
    ids = [u["id"] for u in page]
    names = {u["id"]: u["userName"] for u in page}
    user = "urn:ietf:params:scim:schemas:core:2.0:User"
    ops = {
        "get": lambda i: request("GET", f"{base}/Users/{ids[i % len(ids)]}", expect=200),
        "filter_username": lambda i: request(
            "GET", f"{base}/Users?filter=userName%20eq%20%22{names[ids[i % len(ids)]]}%22", expect=200),
        "page_first": lambda i: request("GET", f"{base}/Users?startIndex=1&count=100", expect=200),
        "post": lambda i: request("POST", f"{base}/Users", {
            "schemas": [user], "userName": f"ab-{i}@ab.example", "active": True,
            "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"primary": True, "value": f"ab-{i}@ab.example", "type": "work"}]}, expect=201),
        "put": lambda i: request("PUT", f"{base}/Users/{ids[i % len(ids)]}", {
            "schemas": [user], "userName": names[ids[i % len(ids)]], "active": True,
            "name": {"givenName": f"G{i}", "familyName": "F"}}, expect=200),
        "patch": lambda i: request("PATCH", f"{base}/Users/{ids[i % len(ids)]}", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": i % 2 == 0}}]}, expect=200),
    }

    def control(*args):
        subprocess.run(["callgrind_control", *args, str(server.pid)], check=True, capture_output=True)

    for name, count in PHASES.items():
        for i in range(3):
            ops[name](i)
        control("--zero")
        for i in range(count):
            ops[name](i + 3)
        control(f"--dump={name}")
    server.terminate()
    server.wait()
    totals = {}
    for file in os.listdir(work):
        if file.startswith("callgrind.out."):
            text = open(os.path.join(work, file)).read()
            phase = re.search(r"^desc: Trigger: dump (\S+)", text, re.M)
            summary = re.search(r"^summary: (\d+)", text, re.M)
            if phase and summary and phase.group(1) in PHASES:
                totals[phase.group(1)] = int(summary.group(1)) / PHASES[phase.group(1)]
    return totals


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--employees", type=int, default=2000)
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        old = measure(a.old, os.path.join(work, "old"), a.employees)
        new = measure(a.new, os.path.join(work, "new"), a.employees)
    print(f"{'operation':<18}{'old Ir/request':>16}{'new Ir/request':>16}{'new/old':>9}")
    for name in PHASES:
        print(f"{name:<18}{old[name]:>16,.0f}{new[name]:>16,.0f}{new[name] / old[name]:>9.3f}")


if __name__ == "__main__":
    main()
