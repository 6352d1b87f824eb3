"""Benchmark `aplusctl apply` against the sandbox under the real usage plans.

    python bench/apply.py N [--latency-ms 100] [--parallelism 8] [--keep DIR]

1. writes a content repo of N new documents, each with 3 distinct images (a
   STANDARD_THREE_IMAGE_TEXT module, 300x300 PNGs) and one ASIN;
2. starts the sandbox in its own process with the real usage plans (10/s, burst 10 for every A+
   operation and createUploadDestinationForResource) and --latency-ms per request;
3. in a fresh child process runs apply as the CLI does it — plan (refresh + make_plan), then the
   executor — timing each phase, then plans again to check convergence;
4. reads the sandbox's request log: calls per operation in the apply phase, the floor the usage
   plans allow (calls / rate of the busiest operation), the ratio wall / floor, and the 429s.

The figure that matters is the apply phase (the executor): planning is the plan benchmark's job
and must finish before apply can start. The whole command is printed too, with its own floor (the
plan phase's busiest operation plus the apply phase's).

Prints one figure per line, then a JSON line with all of them.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import harness


def doc_yaml(n: int) -> str:
    blocks = "\n".join(
        f"""      block{b}:
        image: {{src: assets/img-{n:05d}-{b}.png, alt: Picture {b} of item {n}}}
        headline: Detail {b}
        body: Hand-forged steel, ground to a keen edge, item {n} part {b}."""
        for b in (1, 2, 3)
    )
    return f"""name: Bench Apply {n:05d}
marketplaces: [US]
asins: [B0A{n:07d}]
modules:
  - standardThreeImageText:
      headline: Three things about item {n}
{blocks}
  - standardText: {{headline: Care, body: Wash by hand and dry at once.}}
"""


def write_repo(root: Path, n: int) -> None:
    from PIL import Image

    (root / "content").mkdir(parents=True)
    (root / "assets").mkdir()
    (root / "aplusctl.yaml").write_text("account_type: seller\nmarketplaces: [US]\nsandbox: false\n")
    for i in range(n):
        (root / "content" / f"doc-{i:05d}.yaml").write_text(doc_yaml(i))
        for b in (1, 2, 3):
            k = i * 3 + b
            Image.new("RGB", (300, 300), (k % 256, (k // 256) % 256, 90)).save(
                root / "assets" / f"img-{i:05d}-{b}.png")


def measure(root: Path, parallelism: int) -> dict[str, Any]:
    """Runs in a fresh process: apply as the CLI does it (minus rendering), phase by phase."""
    from aplusctl.cli.plan import open_pipeline
    from aplusctl.engine.apply import Executor
    from aplusctl.render.apply_view import summary_line

    events = {"n": 0}

    def on_event(_: Any) -> None:
        events["n"] += 1

    async def run() -> dict[str, Any]:
        t0 = time.time()
        async with open_pipeline(root) as pipe:
            t_loaded = time.time()
            plan = await pipe.plan()
            t_planned = time.time()
            executor = Executor(pipe.client, root, pipe.lock, pipe.desired_by_name, on_event,
                                parallelism=parallelism)
            result = await executor.run(plan)
            t_applied = time.time()
            again = await pipe.plan()
            lock_saves = executor.committer.saves
        return {
            "t_loaded": t_loaded, "t_planned": t_planned, "t_applied": t_applied,
            "load_s": round(t_loaded - t0, 3),
            "plan_s": round(t_planned - t_loaded, 3),
            "apply_s": round(t_applied - t_planned, 3),
            "command_s": round(t_applied - t0, 3),
            "summary": summary_line(result),
            "ok": result.ok,
            "converged": not again.has_changes,
            "lock_saves": lock_saves,
            "events": events["n"],
        }

    return asyncio.run(run())


def main() -> None:
    args = harness.arguments(__doc__, ("--parallelism", {"type": int, "default": 8}))
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.parallelism)))
        return

    with harness.workdir(args.keep, "aplusctl-bench-apply-") as (root, db):
        write_repo(root, args.n)
        with harness.sandbox(db, "--latency-ms", str(args.latency_ms), "--rate-scale", "1",
                             "--moderation-seconds", "1") as url:
            figures, log = harness.measure_in_child(__file__, url, root,
                                                    "--parallelism", str(args.parallelism))

    def phase(start: float, end: float) -> list[dict[str, Any]]:
        return [e for e in log if start <= e["time"] <= end]

    plan_calls = harness.calls_of(phase(figures["t_loaded"], figures["t_planned"]))
    calls = harness.calls_of(phase(figures["t_planned"], figures["t_applied"]))
    metered = harness.calls_of(phase(figures["t_planned"], figures["t_applied"]),
                               lambda op: not op.startswith("s3:"))  # S3 has no usage plan
    figures.update({"n": args.n, "images": 3 * args.n, "latency_ms": args.latency_ms,
                    "parallelism": args.parallelism, "calls": dict(sorted(calls.items())),
                    **harness.floors(metered)})
    floor = figures["floor_s"]
    plan_floor = (plan_calls.most_common(1)[0][1] / harness.RATE) if plan_calls else 0.0
    figures.update({
        "ratio": round(figures["apply_s"] / floor, 3),
        "http_429": sum(1 for e in log if e["status"] == 429),
        "command_floor_s": round(plan_floor + floor, 3),
        "command_ratio": round((figures["plan_s"] + figures["apply_s"]) / (plan_floor + floor), 3),
        "request_log_entries": len(log),
    })
    harness.report(figures, ("n", "images", "latency_ms", "parallelism", "apply_s", "floor_s",
                             "floor_after_burst_s", "ratio", "busiest_operation", "http_429",
                             "plan_s", "command_floor_s", "command_ratio", "lock_saves",
                             "converged", "summary"), 20, "calls (apply phase)")
    for key in ("t_loaded", "t_planned", "t_applied"):
        figures.pop(key)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
