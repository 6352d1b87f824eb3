"""How many getContentDocument calls a second the sandbox sustains on one core, limits lifted.

Starts `aplusctl sandbox serve --rate-scale 0` in a subprocess pinned to one CPU, creates a
realistic document, then drives keep-alive HTTP/1.1 connections from this process (pinned to
another CPU where there is one) with a minimal raw-socket client, so the client is not what is
measured. Prints the figures; no assertions.

    .venv/bin/python bench/sandbox.py [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from aplusctl.sandbox.settings import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN

US = "ATVPDKIKX0DER"


def start_server(db: Path, cpu: int | None) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-c", "from aplusctl.cli import main; main()",
           "sandbox", "serve", "--port", "0", "--rate-scale", "0", "--db", str(db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if "listening on" not in first:
        proc.kill()
        raise SystemExit(f"sandbox did not start: {first!r}")
    return proc, first.rsplit(" ", 1)[1].strip()


def make_document(base: str) -> tuple[str, str]:
    with httpx.Client(base_url=base) as c:
        tok = c.post("/auth/o2/token", data={"grant_type": "refresh_token", "refresh_token": SANDBOX_REFRESH_TOKEN,
                                            "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET})
        token = tok.json()["access_token"]
        modules = [{"contentModuleType": "STANDARD_TEXT", "standardText": {
            "headline": {"value": f"Section {i}"},
            "body": {"textList": [{"value": "A sentence of ordinary product copy. " * 20}]}}} for i in range(5)]
        body = {"contentDocument": {"name": "Bench", "contentType": "EBC", "locale": "en-US",
                                    "contentModuleList": modules}}
        r = c.post("/aplus/2020-11-01/contentDocuments", params={"marketplaceId": US}, json=body,
                   headers={"x-amz-access-token": token})
        r.raise_for_status()
        return token, r.json()["contentReferenceKey"]


async def worker(host: str, port: int, request: bytes, stop: float, latencies: list[float],
                 counts: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            counts[status] = counts.get(status, 0) + 1
    finally:
        writer.close()


async def drive(base: str, token: str, key: str, seconds: float, connections: int) -> None:
    url = httpx.URL(base)
    host, port = url.host, url.port or 80
    path = f"/aplus/2020-11-01/contentDocuments/{key}?marketplaceId={US}&includedDataSet=CONTENTS,METADATA"
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nx-amz-access-token: {token}\r\n"
               f"User-Agent: aplusctl-bench/1.0\r\n\r\n").encode()
    # warm-up
    warm: list[float] = []
    await asyncio.gather(*(worker(host, port, request, time.perf_counter() + 0.5, warm, {})
                           for _ in range(connections)))
    latencies: list[float] = []
    counts: dict[int, int] = {}
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(host, port, request, t0 + seconds, latencies, counts)
                           for _ in range(connections)))
    elapsed = time.perf_counter() - t0
    ok = counts.get(200, 0)
    lat = sorted(latencies)
    print(f"getContentDocument (CONTENTS,METADATA, 5 modules), server pinned to one core, "
          f"{connections} keep-alive connections, {elapsed:.1f} s")
    print(f"  requests: {sum(counts.values())}  statuses: {dict(sorted(counts.items()))}")
    print(f"  throughput: {ok / elapsed:.0f} req/s (target >= 500)")
    if lat:
        print(f"  latency ms: p50 {statistics.median(lat) * 1000:.2f}  "
              f"p99 {lat[int(len(lat) * 0.99) - 1] * 1000:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu = cpus[0]
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_server(Path(tmp) / "bench.sqlite", server_cpu)
        try:
            if len(cpus) > 1:
                os.sched_setaffinity(0, set(cpus[1:]))
            token, key = make_document(base)
            asyncio.run(drive(base, token, key, args.seconds, args.connections))
        finally:
            proc.send_signal(2)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
