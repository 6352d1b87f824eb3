"""Benchmark `aplusctl plan` against the sandbox under the real usage plans.

    python bench/plan.py N [--latency-ms 100] [--keep DIR]

1. writes a content repo of N documents (7 modules, 5 ASINs each);
2. seeds a sandbox (separate process, limits lifted) with all N as applied and approved, and an
   aplus.lock as apply would leave it;
3. restarts the sandbox on the same database with the real usage plans (10/s, burst 10 per A+
   operation) and --latency-ms of latency per request;
4. in a fresh child process: loads the files, refreshes, plans and renders, measuring wall time,
   CPU seconds inside make_plan, and peak memory (the sandbox's memory is not counted);
5. reads the sandbox's request log: calls per operation, the floor the usage plans allow
   (calls / rate of the busiest operation), the ratio wall / floor, and the 429s.

Prints one figure per line, then a JSON line with all of them.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import harness
import httpx


def asin(n: int, k: int) -> str:
    return f"B0{n:05d}{k:03d}"


def doc_yaml(n: int) -> str:
    asins = ", ".join(asin(n, k) for k in range(5))
    text = "Hand-forged steel, ground to a keen edge and balanced for long sessions at the board."
    specs = "\n".join(f"          - {{label: Spec {s}, description: Value {s} for item {n}}}" for s in range(4))
    return f"""name: Bench Document {n:05d}
marketplaces: [US]
asins: [{asins}]
modules:
  - standardText: {{headline: Why item {n}, body: "{text}"}}
  - standardProductDescription: {{body: "Item {n}. {text} {text}"}}
  - standardText: {{headline: Care for item {n}, body: Wash by hand and dry at once.}}
  - standardTechSpecs:
      headline: Specifications
      specificationList:
{specs}
  - standardText: {{headline: Materials, body: "Carbon steel and oiled oak, item {n}."}}
  - standardText: {{headline: Warranty, body: Ten years against defects in making.}}
  - standardProductDescription: {{body: "More about item {n}: {text}"}}
"""


def write_repo(root: Path, n: int) -> None:
    (root / "content").mkdir(parents=True)
    (root / "aplusctl.yaml").write_text("account_type: seller\nmarketplaces: [US]\nsandbox: false\n")
    for i in range(n):
        (root / "content" / f"doc-{i:05d}.yaml").write_text(doc_yaml(i))


async def seed(root: Path, base_url: str) -> None:
    from aplusctl.config import load_config
    from aplusctl.content.loader import load_repo
    from aplusctl.credentials import SpApiCredentials
    from aplusctl.engine.lock import load_lock, save_lock
    from aplusctl.engine.normalize import asins_hash, body_hash
    from aplusctl.sandbox.server import client_env
    from aplusctl.spapi.client import SpApiClient
    from aplusctl.spapi.ratelimit import A_PLUS_OPERATIONS, UsagePlan

    env = client_env(base_url)
    lifted = {op: UsagePlan(10_000.0, 10_000) for op in A_PLUS_OPERATIONS}
    loaded = load_repo(root, load_config(root))
    assert not loaded.errors, loaded.errors[:3]
    lock = load_lock(root)
    slots = asyncio.Semaphore(32)
    async with SpApiClient(SpApiCredentials.from_env(env), base_url, env["APLUSCTL_LWA_ENDPOINT"],
                           max_concurrency=40, usage_plans=lifted) as client:
        async def one(doc: Any) -> None:
            async with slots:
                mid = doc.marketplaces[0]
                body = doc.body(mid)
                key = await client.create_content_document(mid, body)
                await client.post_content_document_asin_relations(key, mid, list(doc.asins))
                await client.post_content_document_approval_submission(key, mid)
                lock.record_document(mid, doc.name, content_reference_key=key,
                                     applied_hash=body_hash(body), asins_hash=asins_hash(doc.asins))

        await asyncio.gather(*(one(d) for d in loaded.documents))
    save_lock(root, lock)
    httpx.post(base_url + "/_sandbox/moderation/settle", timeout=60).raise_for_status()


def measure(root: Path) -> dict[str, Any]:
    """Runs in a fresh process: the plan as the CLI does it, instrumented."""
    import aplusctl.engine.plan as planmod
    from aplusctl.cli.plan import open_pipeline
    from aplusctl.render.plan_text import render_text

    cpu = {"make_plan": 0.0}
    real_make_plan = planmod.make_plan

    def timed_make_plan(*a: Any, **kw: Any) -> Any:
        t = time.process_time()
        try:
            return real_make_plan(*a, **kw)
        finally:
            cpu["make_plan"] += time.process_time() - t

    import aplusctl.cli.plan as cliplan

    cliplan.make_plan = timed_make_plan  # type: ignore[assignment]

    async def run() -> dict[str, Any]:
        t0 = time.perf_counter()
        async with open_pipeline(root) as pipe:
            t_loaded = time.perf_counter()
            live = await pipe.refresh()
            t_refreshed = time.perf_counter()
            plan = timed_make_plan(pipe.documents, live, pipe.lock, pipe.config,
                                   target=pipe.target.description)
            text = render_text(plan)
            t_done = time.perf_counter()
        return {
            "load_s": round(t_loaded - t0, 3),
            "refresh_s": round(t_refreshed - t_loaded, 3),
            "plan_wall_s": round(t_done - t_loaded, 3),
            "total_wall_s": round(t_done - t0, 3),
            "make_plan_cpu_s": round(cpu["make_plan"], 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "changes": sum(1 for c in plan.changes if c.changed),
            "documents": len(plan.changes),
            "closing_line": text.rstrip().splitlines()[-1],
        }

    return asyncio.run(run())


def main() -> None:
    args = harness.arguments(__doc__)
    if args.measure is not None:
        print(json.dumps(measure(args.measure)))
        return

    with harness.workdir(args.keep, "aplusctl-bench-plan-") as (root, db):
        write_repo(root, args.n)
        t = time.perf_counter()
        with harness.sandbox(db, "--rate-scale", "0", "--moderation-seconds", "0") as url:
            asyncio.run(seed(root, url))
        print(f"seeded {args.n} documents x 7 modules x 5 ASINs in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)
        with harness.sandbox(db, "--latency-ms", str(args.latency_ms), "--rate-scale", "1") as url:
            figures, log = harness.measure_in_child(__file__, url, root)

    calls = harness.calls_of(log)
    figures.update({"n": args.n, "latency_ms": args.latency_ms, "calls": dict(sorted(calls.items())),
                    **harness.floors(calls)})
    figures.update({
        "ratio": round(figures["plan_wall_s"] / figures["floor_s"], 3),
        "http_429": sum(1 for e in log if e["status"] == 429),
        "request_log_entries": len(log),
    })
    harness.report(figures, ("n", "documents", "changes", "load_s", "refresh_s", "plan_wall_s",
                             "floor_s", "floor_after_burst_s", "ratio", "busiest_operation",
                             "http_429", "make_plan_cpu_s", "peak_rss_mb"), 18, "calls")
    print(f"{'closing line':>18}: {figures['closing_line']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
