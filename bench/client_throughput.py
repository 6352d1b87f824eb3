"""How close SpApiClient gets to the usage plan, and whether the server ever has to say 429.

300 getContentDocument calls against an embedded sandbox at the real usage plan (10 rps, burst
10) with 100 ms of injected latency: all at once through the client's limiter, then a plain
sequential loop. The floor is what the plan allows: (calls - burst) / rate seconds. 429s are
counted by the sandbox's own request log, not by the client.

    .venv/bin/python bench/client_throughput.py [--calls 300] [--latency-ms 100] [--jitter 0.15]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from aplusctl.credentials import SpApiCredentials
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SandboxSettings
from aplusctl.spapi import RetryPolicy, SpApiClient
from aplusctl.spapi.ratelimit import RateLimiter

US = "ATVPDKIKX0DER"
RATE, BURST = 10.0, 10
DOC = {
    "name": "Bench",
    "contentType": "EBC",
    "locale": "en-US",
    "contentModuleList": [
        {
            "contentModuleType": "STANDARD_TEXT",
            "standardText": {"headline": {"value": "Bench"}, "body": {"textList": [{"value": "Words."}]}},
        }
    ],
}


def admin(sb: EmbeddedSandbox, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, f"{sb.base_url}/_sandbox{path}", timeout=30, **kwargs)
    response.raise_for_status()
    return response.json()


def server_statuses(sb: EmbeddedSandbox) -> list[int]:
    entries = admin(sb, "GET", "/requests", params={"operation": "getContentDocument"})["requests"]
    return [e["status"] for e in entries]


def new_client(sb: EmbeddedSandbox, jitter: float) -> SpApiClient:
    client = SpApiClient(
        SpApiCredentials.from_env(sb.env),
        sb.env["APLUSCTL_SPAPI_ENDPOINT"],
        sb.env["APLUSCTL_LWA_ENDPOINT"],
        retry=RetryPolicy(),
    )
    client.limiter = RateLimiter(jitter=jitter)
    return client


async def concurrent(sb: EmbeddedSandbox, key: str, calls: int, jitter: float) -> float:
    async with new_client(sb, jitter) as client:
        await client.tokens.get()  # the LWA exchange is not part of the plan being measured
        start = time.perf_counter()
        await asyncio.gather(*(client.get_content_document(key, US, ["METADATA"]) for _ in range(calls)))
        return time.perf_counter() - start


async def sequential(sb: EmbeddedSandbox, key: str, calls: int, jitter: float) -> float:
    async with new_client(sb, jitter) as client:
        await client.tokens.get()
        start = time.perf_counter()
        for _ in range(calls):
            await client.get_content_document(key, US, ["METADATA"])
        return time.perf_counter() - start


async def create_doc(sb: EmbeddedSandbox) -> str:
    async with new_client(sb, 0.15) as client:
        return await client.create_content_document(US, DOC)


def report(label: str, wall: float, floor: float, statuses: list[int]) -> None:
    throttled = statuses.count(429)
    print(
        f"{label:<11} wall {wall:6.2f} s   floor {floor:5.2f} s   ratio {wall / floor:5.3f}   "
        f"429s {throttled}   requests {len(statuses)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--jitter", type=float, default=0.15, help="seconds of arrival jitter the limiter absorbs")
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()
    floor = (args.calls - BURST) / RATE
    print(
        f"{args.calls} getContentDocument calls, usage plan {RATE:g} rps / burst {BURST}, "
        f"{args.latency_ms} ms latency, limiter jitter allowance {args.jitter:g} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings = SandboxSettings(db=Path(tmp) / "bench.sqlite", latency_ms=args.latency_ms, admin=True)
        with EmbeddedSandbox(settings) as sb:
            key = asyncio.run(create_doc(sb))
            admin(sb, "DELETE", "/requests")
            wall = asyncio.run(concurrent(sb, key, args.calls, args.jitter))
            report("concurrent", wall, floor, server_statuses(sb))
            if not args.skip_sequential:
                admin(sb, "POST", "/ratelimits/reset")
                admin(sb, "DELETE", "/requests")
                wall = asyncio.run(sequential(sb, key, args.calls, args.jitter))
                report("sequential", wall, floor, server_statuses(sb))


if __name__ == "__main__":
    main()
