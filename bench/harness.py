"""What bench/plan.py and bench/apply.py share: a work directory, a sandbox in its own process
under the real usage plans, a measuring child process, and the figures' printout.

The child process is the script itself with `--measure ROOT`: it runs plan or apply the way the
CLI does, with the sandbox's client variables in its environment, and prints its figures as the
last JSON line. The sandbox's request log then gives calls per operation and the 429s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

RATE = 10.0   # every A+ operation's and createUploadDestination's usage plan: 10 requests/s
BURST = 10


def arguments(doc: str | None, *extra: tuple[str, dict[str, Any]]) -> argparse.Namespace:
    """N, --latency-ms, --keep, the hidden --measure, and the script's own `extra` options."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("--latency-ms", type=int, default=100)
    for flag, options in extra:
        parser.add_argument(flag, **options)
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep it")
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


@contextmanager
def workdir(keep: Path | None, prefix: str) -> Iterator[tuple[Path, Path]]:
    """(repo root, sandbox database), both fresh; removed afterwards unless --keep."""
    work = keep or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    root, db = work / "repo", work / "sandbox.sqlite"
    if root.exists():
        shutil.rmtree(root)
    db.unlink(missing_ok=True)
    yield root, db
    if keep is None:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def sandbox(db: Path, *args: str) -> Iterator[str]:
    """`aplusctl sandbox serve` on an ephemeral port in its own process; yields its base URL."""
    exe = Path(sys.executable).with_name("aplusctl")
    proc = subprocess.Popen(
        [str(exe), "sandbox", "serve", "--port", "0", "--db", str(db), "--admin", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "listening on" in line:
                yield line.rsplit(" ", 1)[1].strip()
                return
        raise SystemExit("the sandbox did not start")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure_in_child(script: str, url: str, root: Path, *args: str
                     ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run `script --measure root ARGS` against the sandbox at `url` (request log cleared first);
    (its figures, the request log)."""
    from aplusctl.sandbox.server import client_env

    env = {**os.environ, **client_env(url)}
    httpx.delete(url + "/_sandbox/requests").raise_for_status()
    out = subprocess.run([sys.executable, script, "0", "--measure", str(root), *args], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    log = httpx.get(url + "/_sandbox/requests", timeout=60).json()["requests"]
    return figures, log


def calls_of(log: Iterable[dict[str, Any]], keep: Callable[[str], bool] = lambda op: True) -> Counter[str]:
    """Calls per operation in a request-log slice (admin calls never count)."""
    return Counter(e["operation"] for e in log
                   if e["operation"] and e["operation"] != "admin" and keep(e["operation"]))


def floors(calls: Counter[str]) -> dict[str, Any]:
    """The floor the usage plans allow: the busiest operation's calls at its rate (and after its
    burst)."""
    busiest, busiest_calls = calls.most_common(1)[0]
    return {"busiest_operation": busiest, "floor_s": round(busiest_calls / RATE, 3),
            "floor_after_burst_s": round(max(busiest_calls - BURST, 0) / RATE, 3)}


def report(figures: dict[str, Any], keys: Iterable[str], width: int, calls_label: str) -> None:
    """One figure per line, the calls, then a JSON line with all of them."""
    for key in keys:
        print(f"{key:>{width}}: {figures[key]}")
    print(f"{calls_label:>{width}}: {figures['calls']}")
