"""refresh() against the sandbox: reads exactly what planning needs, all pages, no 429s."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from aplusctl.credentials import SpApiCredentials
from aplusctl.engine.lock import Lock
from aplusctl.engine.refresh import refresh
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.spapi.client import SpApiClient
from aplusctl.spapi.ratelimit import A_PLUS_OPERATIONS, UsagePlan

from plan_support import US, desired, text_module

SCALE = 5.0   # sandbox and client both at 5x the real usage plans: same shape, faster test


def client_of(sb: EmbeddedSandbox, scale: float = SCALE) -> SpApiClient:
    env = sb.env
    plans = {op: UsagePlan(10.0 * scale, int(10 * scale)) for op in A_PLUS_OPERATIONS}
    return SpApiClient(SpApiCredentials.from_env(env), env["APLUSCTL_SPAPI_ENDPOINT"],
                       env["APLUSCTL_LWA_ENDPOINT"], usage_plans=plans)


def body(name: str) -> dict[str, Any]:
    return {"name": name, "contentType": "EBC", "locale": "en-US",
            "contentModuleList": [text_module("Headline", f"Body of {name}.")]}


def test_refresh_reads_declared_documents_in_detail(
    make_sandbox: Callable[..., EmbeddedSandbox],
) -> None:
    sb = make_sandbox(rate_scale=SCALE, page_size=5)
    declared = [desired(name=f"Doc {n}", modules=[], asins=(f"B0REFRESH{n}", f"B0REFRESX{n}"))
                for n in range(8)]

    async def seed_and_refresh() -> Any:
        async with client_of(sb) as client:
            for n in range(12):  # 8 declared, 4 made elsewhere
                key = await client.create_content_document(US, body(f"Doc {n}"))
                asins = [f"B0REL{n:02}{k:03}" for k in range(7)]  # 7 ASINs: two pages of 5
                await client.post_content_document_asin_relations(key, US, asins)
            httpx.delete(sb.base_url + "/_sandbox/requests").raise_for_status()
            seen: list[tuple[int, int]] = []
            live = await refresh(client, declared, [US], Lock(),
                                 progress=lambda d, t, _: seen.append((d, t)))
            return live, seen

    live, seen = asyncio.run(seed_and_refresh())
    assert len(live.documents) == 12
    detailed = {d.name for d in live.documents if d.detailed}
    assert detailed == {f"Doc {n}" for n in range(8)}
    doc0 = next(d for d in live.documents if d.name == "Doc 0")
    assert doc0.asins == tuple(sorted(f"B0REL00{k:03}" for k in range(7)))
    assert doc0.document and doc0.document["name"] == "Doc 0"
    assert set(live.publish_records) == {(US, a) for d in declared for a in d.asins}

    log = httpx.get(sb.base_url + "/_sandbox/requests").json()["requests"]
    calls = Counter(e["operation"] for e in log if e["operation"] != "lwa:token")
    assert calls == {
        "searchContentDocuments": 3,            # 12 documents, pages of 5
        "getContentDocument": 8,
        "listContentDocumentAsinRelations": 16,  # 7 ASINs each, pages of 5
        "searchContentPublishRecords": 16,
    }
    assert not [e for e in log if e["status"] == 429]
    assert seen[-1][0] == seen[-1][1] == 1 + 16 + 16   # search + 2 reads x 8 + 16 ASINs
